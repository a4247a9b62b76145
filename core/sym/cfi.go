package sym

import (
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// A CIE (common information entry) holds what the FDEs that point to it
// share.
type cie struct {
	codeAlign uint64
	dataAlign int64
	raReg     uint64
	initial   []byte // initial instructions
	fdeEnc    byte   // pointer encoding of FDE addresses ('R'), .eh_frame only
	hasAug    bool   // augmentation starts with 'z': FDEs carry augmentation data
	signal    bool   // 'S': frames are signal frames, whose pc is not a return address
}

// An FDE (frame description entry) describes how to unwind one range of
// code: [lo, hi) at link-time addresses.
type fde struct {
	lo, hi uint64
	cie    *cie
	instrs []byte
}

// cfiTable is the call-frame information of one file: the FDEs of
// .eh_frame and .debug_frame, by address.
type cfiTable struct {
	fdes []fde
}

// cfiTable returns the file's CFI, parsed on first use.
func (o *objFile) cfiTable() *cfiTable {
	o.cfiOnce.Do(func() {
		t := &cfiTable{}
		lo, hi := o.linkRange()
		for _, name := range []string{".eh_frame", ".debug_frame"} {
			sec := o.f.Section(name)
			if sec == nil || sec.Type == elf.SHT_NOBITS {
				continue
			}
			data, err := sec.Data()
			if err != nil {
				continue
			}
			fdes, _ := parseCFI(data, sec.Addr, name == ".eh_frame")
			for _, f := range fdes {
				if f.lo >= lo && f.lo < hi && f.hi > f.lo {
					t.fdes = append(t.fdes, f)
				}
			}
		}
		// Stable: for the same range, .eh_frame wins over .debug_frame.
		sort.SliceStable(t.fdes, func(i, j int) bool { return t.fdes[i].lo < t.fdes[j].lo })
		o.cfi = t
	})
	return o.cfi
}

// find returns the FDE covering link-time address pc.
func (t *cfiTable) find(pc uint64) *fde {
	i := sort.Search(len(t.fdes), func(i int) bool { return t.fdes[i].lo > pc }) - 1
	if i < 0 {
		return nil
	}
	lo := t.fdes[i].lo
	for i > 0 && t.fdes[i-1].lo == lo {
		i--
	}
	for ; i < len(t.fdes) && t.fdes[i].lo == lo; i++ {
		if pc < t.fdes[i].hi {
			return &t.fdes[i]
		}
	}
	return nil
}

// parseCFI parses a .eh_frame (eh) or .debug_frame section whose first
// byte is at link-time address secAddr. It returns the FDEs it could
// parse, and the first error.
func parseCFI(data []byte, secAddr uint64, eh bool) ([]fde, error) {
	cies := map[int]*cie{}
	var fdes []fde
	var firstErr error
	note := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for off := 0; off+4 <= len(data); {
		r := &reader{b: data, off: off}
		length := uint64(r.u32())
		dwarf64 := false
		if length == 0xffffffff {
			length, dwarf64 = r.u64(), true
		}
		if length == 0 {
			if eh {
				break // terminator
			}
			off = r.off
			continue
		}
		start := r.off
		if length > uint64(len(data)-start) {
			note(fmt.Errorf("CFI entry at %#x overruns the section", off))
			break
		}
		end := start + int(length)
		body := &reader{b: data[:end], off: start}
		var id uint64
		if dwarf64 {
			id = body.u64()
		} else {
			id = uint64(body.u32())
		}
		isCIE := eh && id == 0 || !eh && (id == 0xffffffff || id == ^uint64(0))
		if isCIE {
			c, err := parseCIE(body, eh)
			if err != nil {
				note(fmt.Errorf("CIE at %#x: %v", off, err))
			} else {
				cies[off] = c
			}
		} else {
			ciePos := int(id)
			if eh {
				ciePos = start - int(id)
			}
			c := cies[ciePos]
			if c == nil {
				// A CIE after its FDE (allowed in .debug_frame).
				if ciePos >= 0 && ciePos < len(data) {
					if cr := cieAt(data, ciePos, eh); cr != nil {
						c, _ = parseCIE(cr, eh)
						cies[ciePos] = c
					}
				}
			}
			if c == nil {
				note(fmt.Errorf("FDE at %#x: no CIE at %#x", off, ciePos))
			} else if f, err := parseFDE(body, c, secAddr, eh); err != nil {
				note(fmt.Errorf("FDE at %#x: %v", off, err))
			} else {
				fdes = append(fdes, f)
			}
		}
		off = end
	}
	return fdes, firstErr
}

// cieAt returns a reader positioned after the id field of the CIE at off.
func cieAt(data []byte, off int, eh bool) *reader {
	r := &reader{b: data, off: off}
	length := uint64(r.u32())
	idSize := 4
	if length == 0xffffffff {
		length, idSize = r.u64(), 8
	}
	if r.err != nil || length > uint64(len(data)-r.off) {
		return nil
	}
	body := &reader{b: data[:r.off+int(length)], off: r.off + idSize}
	return body
}

func parseCIE(r *reader, eh bool) (*cie, error) {
	c := &cie{}
	version := r.u8()
	aug := r.cstring()
	if version >= 4 {
		if addrSize := r.u8(); addrSize != 8 {
			return nil, fmt.Errorf("address size %d", addrSize)
		}
		r.u8() // segment selector size
	}
	c.codeAlign = r.uleb()
	c.dataAlign = r.sleb()
	if version == 1 {
		c.raReg = uint64(r.u8())
	} else {
		c.raReg = r.uleb()
	}
	if strings.HasPrefix(aug, "z") {
		c.hasAug = true
		n := r.uleb()
		augData := &reader{b: r.bytes(int(n))}
		for _, ch := range aug[1:] {
			switch ch {
			case 'R':
				c.fdeEnc = augData.u8()
			case 'L':
				augData.u8()
			case 'P':
				enc := augData.u8()
				readEncoded(augData, enc&^pePCRel, 0)
			case 'S':
				c.signal = true
			}
		}
	} else if aug != "" {
		return nil, fmt.Errorf("unsupported augmentation %q", aug)
	}
	if r.err != nil {
		return nil, r.err
	}
	c.initial = r.b[r.off:]
	return c, nil
}

func parseFDE(r *reader, c *cie, secAddr uint64, eh bool) (fde, error) {
	f := fde{cie: c}
	if eh {
		f.lo = readEncoded(r, c.fdeEnc, secAddr)
		f.hi = f.lo + readEncoded(r, c.fdeEnc&0x0f, 0)
	} else {
		f.lo = r.u64()
		f.hi = f.lo + r.u64()
	}
	if c.hasAug {
		r.bytes(int(r.uleb()))
	}
	if r.err != nil {
		return f, r.err
	}
	f.instrs = r.b[r.off:]
	return f, nil
}

// DWARF exception-header pointer encodings.
const (
	peAbsPtr  = 0x00
	peULEB    = 0x01
	peUData2  = 0x02
	peUData4  = 0x03
	peUData8  = 0x04
	peSLEB    = 0x09
	peSData2  = 0x0a
	peSData4  = 0x0b
	peSData8  = 0x0c
	pePCRel   = 0x10
	peOmit    = 0xff
	peAppMask = 0x70
)

// readEncoded reads a pointer in encoding enc; secAddr is the link-time
// address of r.b[0], for pc-relative pointers.
func readEncoded(r *reader, enc byte, secAddr uint64) uint64 {
	if enc == peOmit {
		return 0
	}
	pos := secAddr + uint64(r.off)
	var v uint64
	switch enc & 0x0f {
	case peAbsPtr, peUData8, peSData8:
		v = r.u64()
	case peULEB:
		v = r.uleb()
	case peUData2:
		v = uint64(r.u16())
	case peUData4:
		v = uint64(r.u32())
	case peSLEB:
		v = uint64(r.sleb())
	case peSData2:
		v = uint64(int64(int16(r.u16())))
	case peSData4:
		v = uint64(int64(int32(r.u32())))
	default:
		r.fail()
		return 0
	}
	if enc&peAppMask == pePCRel {
		v += pos
	}
	return v
}
