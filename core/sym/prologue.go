package sym

import "bytes"

var (
	endbr64   = []byte{0xf3, 0x0f, 0x1e, 0xfa}
	movRSPRBP = [][]byte{{0x48, 0x89, 0xe5}, {0x48, 0x8b, 0xec}} // mov %rsp,%rbp
)

// frameSetupEnd returns the address after "[endbr64] push %rbp; mov
// %rsp,%rbp" at link-time address entry, or entry when the function does
// not start by setting up a frame pointer. It is gdb's
// amd64_analyze_prologue.
func (o *objFile) frameSetupEnd(entry uint64) uint64 {
	o.setupMu.Lock()
	end, ok := o.setupEnd[entry]
	o.setupMu.Unlock()
	if !ok {
		end = o.readFrameSetupEnd(entry)
		o.setupMu.Lock()
		if o.setupEnd == nil {
			o.setupEnd = map[uint64]uint64{}
		}
		o.setupEnd[entry] = end
		o.setupMu.Unlock()
	}
	return end
}

func (o *objFile) readFrameSetupEnd(entry uint64) uint64 {
	var b [8]byte
	if o.readLink(entry, b[:]) != nil {
		return entry
	}
	code := bytes.TrimPrefix(b[:], endbr64)
	if code[0] != 0x55 { // push %rbp
		return entry
	}
	for _, mov := range movRSPRBP {
		if bytes.HasPrefix(code[1:], mov) {
			return entry + uint64(len(b)-len(code)) + 1 + uint64(len(mov))
		}
	}
	return entry
}

// skipPrologue moves link-time address addr past the prologue of the
// function containing it, as gdb's skip_prologue_sal does for a
// breakpoint: when addr is before the end of the prologue, it becomes the
// first line-table row after the frame setup. Functions of units whose
// locations gdb trusts (optimized GCC code) are not moved, and for LLVM
// units the prologue is the function's first row. ok says addr moved.
func (m *Module) skipPrologue(lt *lineTable, addr uint64) (uint64, bool) {
	var entry, end uint64
	var llvm bool
	if f, ok := lt.funcAt(addr); ok {
		if f.locValid {
			return addr, false
		}
		entry, end, llvm = f.lo, f.hi, f.llvm
	} else if s, ok := m.obj.symbols().lookupAddr(addr); ok {
		entry, end = s.value, s.limit
	} else {
		return addr, false
	}
	post := entry
	if llvm {
		if next, ok := lt.nextRowAddr(entry); ok && next < end {
			post = next
		}
	} else if post = m.obj.frameSetupEnd(entry); post != entry && !lt.isRowStart(post) {
		if next, ok := lt.nextRowAddr(post); ok && next < end {
			post = next
		}
	}
	if addr < post {
		return post, true
	}
	return addr, false
}
