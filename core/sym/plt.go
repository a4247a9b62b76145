package sym

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"sort"
)

// pltStub is one stub of a procedure linkage table, at link-time addresses.
type pltStub struct {
	addr, size uint64
	name       string // "puts@plt", as objdump names it
}

// pltStubs returns the PLT stubs of o that jump through a GOT slot the
// dynamic linker fills with a named function (R_X86_64_JUMP_SLOT or
// GLOB_DAT), by address, parsed on first use.
func (o *objFile) pltStubs() []pltStub {
	o.pltOnce.Do(func() { o.plt = parsePLT(o.f, o.relocations()) })
	return o.plt
}

// jmpGOT is the encoding of jmp *rel32(%rip), the jump of a PLT stub.
var jmpGOT = []byte{0xff, 0x25}

// parsePLT reads the stubs of .plt, .plt.sec and .plt.got: each stub of
// sh_entsize bytes jumps through its GOT slot (after endbr64 and bnd, where
// the code has them), and the slot's relocation names the function.
func parsePLT(f *elf.File, rels *relocs) []pltStub {
	slots := map[uint64]string{}
	for name, offs := range rels.gotByName {
		for _, off := range offs {
			slots[off] = name
		}
	}
	var stubs []pltStub
	for _, sec := range f.Sections {
		if sec.Name != ".plt" && sec.Name != ".plt.sec" && sec.Name != ".plt.got" {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		size := sec.Entsize
		if size == 0 {
			size = 16
		}
		for e := uint64(0); e+size <= uint64(len(data)); e += size {
			entry := data[e : e+size]
			k := bytes.Index(entry, jmpGOT)
			if k < 0 || k > 5 || uint64(k)+6 > size {
				continue // plt0, or a stub that pushes and jumps to it
			}
			rel := int32(binary.LittleEndian.Uint32(entry[k+2:]))
			slot := sec.Addr + e + uint64(k) + 6 + uint64(int64(rel))
			if name, ok := slots[slot]; ok {
				stubs = append(stubs, pltStub{addr: sec.Addr + e, size: size, name: name + "@plt"})
			}
		}
	}
	sort.Slice(stubs, func(i, j int) bool { return stubs[i].addr < stubs[j].addr })
	return stubs
}

// pltAt returns the stub covering link-time address addr.
func (o *objFile) pltAt(addr uint64) (pltStub, bool) {
	stubs := o.pltStubs()
	i := sort.Search(len(stubs), func(i int) bool { return stubs[i].addr > addr }) - 1
	if i < 0 || addr >= stubs[i].addr+stubs[i].size {
		return pltStub{}, false
	}
	return stubs[i], true
}
