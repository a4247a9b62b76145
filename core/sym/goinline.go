package sym

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"sort"
)

// goInline reads the inline trees of .gopclntab (Go 1.20 and later), which
// say which calls the compiler inlined at a pc without DWARF: a binary built
// with -ldflags=-w still has them, for the runtime's own tracebacks.
type goInline struct {
	pcln      []byte
	text      uint64 // runtime.text: entry offsets count from it
	nfunc     int
	names     []byte // funcnametab
	pctab     []byte
	functab   []byte // nfunc+1 (entryOff, funcOff) pairs, then the _funcs
	gofunc    uint64 // go:func.*, which funcdata offsets count from
	gofuncSec *elf.Section
}

// Magic numbers of the pclntab formats with the layout read here.
const (
	go120Magic = 0xfffffff1
	go118Magic = 0xfffffff0
)

// Indexes of the inline tree's tables in a _func.
const (
	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3
)

// newGoInline reads the header of f's .gopclntab, or fails for a format it
// does not know or a binary without the go:func.* symbol (-s).
func newGoInline(f *elf.File, pcln []byte, text uint64) (*goInline, error) {
	if len(pcln) < 8+8*8 || f.Class != elf.ELFCLASS64 {
		return nil, errors.New("a .gopclntab too short, or not 64-bit")
	}
	le := binary.LittleEndian
	switch magic := le.Uint32(pcln); magic {
	case go120Magic, go118Magic:
	default:
		return nil, errors.New("a .gopclntab of an unknown version")
	}
	if pcln[6] != 1 || pcln[7] != 8 {
		return nil, errors.New("a .gopclntab not for amd64")
	}
	word := func(i int) uint64 { return le.Uint64(pcln[8+8*i:]) }
	in := &goInline{pcln: pcln, text: text, nfunc: int(word(0))}
	off := func(i int) []byte {
		o := word(i)
		if o > uint64(len(pcln)) {
			return nil
		}
		return pcln[o:]
	}
	in.names, in.pctab, in.functab = off(3), off(6), off(7)
	if in.names == nil || in.pctab == nil || len(in.functab) < 8*(in.nfunc+1) {
		return nil, errors.New("a .gopclntab with offsets out of it")
	}
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "go:func.*" {
			in.gofunc = s.Value
			if int(s.Section) < len(f.Sections) {
				in.gofuncSec = f.Sections[s.Section]
			}
		}
	}
	if in.gofuncSec == nil {
		return nil, errors.New("no go:func.* symbol")
	}
	return in, nil
}

// An InlinedCall is a call the compiler inlined, as .gopclntab's inline tree
// records it.
type InlinedCall struct {
	Function string
	// CallPC is the link-time address of an instruction of the caller at
	// the call site: its line is the line of the call.
	CallPC uint64
}

// at returns the calls inlined at link-time address pc, innermost first
// (the function that holds the code is not among them).
func (in *goInline) at(pc uint64) []InlinedCall {
	le := binary.LittleEndian
	if pc < in.text {
		return nil
	}
	rel := uint32(pc - in.text)
	i := sort.Search(in.nfunc, func(i int) bool { return le.Uint32(in.functab[8*(i+1):]) > rel })
	if i >= in.nfunc {
		return nil
	}
	fo := le.Uint32(in.functab[8*i+4:])
	if int(fo)+44 > len(in.functab) {
		return nil
	}
	fn := in.functab[fo:]
	entry := le.Uint32(fn)
	npcdata, nfuncdata := le.Uint32(fn[28:]), uint32(fn[43])
	if npcdata <= pcdataInlTreeIndex || nfuncdata <= funcdataInlTree || len(fn) < int(44+4*(npcdata+nfuncdata)) {
		return nil
	}
	table := le.Uint32(fn[44+4*pcdataInlTreeIndex:])
	treeOff := le.Uint32(fn[44+4*npcdata+4*funcdataInlTree:])
	if table == 0 || treeOff == ^uint32(0) {
		return nil
	}
	var out []InlinedCall
	for idx := in.pcvalue(table, entry, rel); idx >= 0 && len(out) < 100; {
		call, ok := in.inlinedCall(treeOff, idx)
		if !ok {
			return out
		}
		parent := entry + uint32(call.parentPC)
		out = append(out, InlinedCall{Function: call.name, CallPC: in.text + uint64(parent)})
		idx = in.pcvalue(table, entry, parent)
	}
	return out
}

type inlinedCall struct {
	name     string
	parentPC int32
}

// inlinedCall reads entry idx of the inline tree at gofunc+treeOff: 16
// bytes of funcID, padding, nameOff, parentPc and startLine.
func (in *goInline) inlinedCall(treeOff uint32, idx int32) (inlinedCall, bool) {
	var b [16]byte
	addr := in.gofunc + uint64(treeOff) + 16*uint64(idx)
	sec := in.gofuncSec
	if addr < sec.Addr || addr+16 > sec.Addr+sec.Size {
		return inlinedCall{}, false
	}
	if _, err := sec.ReadAt(b[:], int64(addr-sec.Addr)); err != nil {
		return inlinedCall{}, false
	}
	le := binary.LittleEndian
	nameOff := le.Uint32(b[4:])
	if int(nameOff) >= len(in.names) {
		return inlinedCall{}, false
	}
	name := in.names[nameOff:]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	return inlinedCall{name: string(name), parentPC: int32(le.Uint32(b[8:]))}, true
}

// pcvalue decodes the pc-value table at pctab[off] of a function whose
// entry is at text offset entry, and returns its value at text offset pc
// (-1 where the table says none, or when it cannot be read).
func (in *goInline) pcvalue(off, entry, pc uint32) int32 {
	if int(off) >= len(in.pctab) {
		return -1
	}
	p := in.pctab[off:]
	val, cur := int32(-1), entry
	for first := true; ; first = false {
		uv, n := binary.Uvarint(p)
		if n <= 0 || uv == 0 && !first {
			return -1
		}
		p = p[n:]
		val += int32(-(uint32(uv) & 1) ^ (uint32(uv) >> 1))
		pcd, n := binary.Uvarint(p)
		if n <= 0 {
			return -1
		}
		p = p[n:]
		cur += uint32(pcd) // PCQuantum is 1 on amd64
		if pc < cur {
			return val
		}
	}
}
