package sym

import (
	"debug/elf"
	"encoding/binary"
)

// relocs is what IFUNC resolution needs from a file's dynamic relocations.
type relocs struct {
	irelative map[uint64]uint64   // R_X86_64_IRELATIVE: resolver (addend) -> GOT slot
	gotByName map[string][]uint64 // R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT: symbol name -> GOT slots
}

// relocations returns the file's dynamic relocations, parsed on first use.
func (o *objFile) relocations() *relocs {
	o.relOnce.Do(func() { o.rels = parseRelocs(o.f) })
	return o.rels
}

func parseRelocs(f *elf.File) *relocs {
	r := &relocs{irelative: map[uint64]uint64{}, gotByName: map[string][]uint64{}}
	dynsyms, _ := f.DynamicSymbols()
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_RELA {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for ; len(data) >= 24; data = data[24:] {
			off := binary.LittleEndian.Uint64(data)
			info := binary.LittleEndian.Uint64(data[8:])
			addend := binary.LittleEndian.Uint64(data[16:])
			switch elf.R_X86_64(info & 0xffffffff) {
			case elf.R_X86_64_IRELATIVE:
				r.irelative[addend] = off
			case elf.R_X86_64_JMP_SLOT, elf.R_X86_64_GLOB_DAT:
				if i := int(info >> 32); i >= 1 && i <= len(dynsyms) {
					name := dynsyms[i-1].Name
					r.gotByName[name] = append(r.gotByName[name], off)
				}
			}
		}
	}
	return r
}

// resolveIFunc returns the implementation that the resolver of IFUNC s (in
// module m) chose, as gdb does without calling the resolver: the relocated
// GOT slot of m's R_X86_64_IRELATIVE relocation whose addend is the
// resolver, or else a JUMP_SLOT/GLOB_DAT slot for the name in another
// module that points into m. ok is false when no slot is relocated yet.
func (t *Table) resolveIFunc(m *Module, s *elfSym) (uint64, bool) {
	if t.mem == nil {
		return 0, false
	}
	resolver := m.Bias + s.value
	if slot, ok := m.obj.relocations().irelative[s.value]; ok {
		var raw [8]byte
		_ = m.obj.readLink(slot, raw[:])
		if v, ok := t.readU64(m.Bias + slot); ok && v != 0 && v != resolver && v != binary.LittleEndian.Uint64(raw[:]) && m.Contains(v) {
			return v, true
		}
	}
	for _, other := range t.mods {
		for _, slot := range other.obj.relocations().gotByName[s.name] {
			if v, ok := t.readU64(other.Bias + slot); ok && v != resolver && m.Contains(v) {
				return v, true
			}
		}
	}
	return 0, false
}

func (t *Table) readU64(addr uint64) (uint64, bool) {
	if t.mem == nil {
		return 0, false
	}
	var b [8]byte
	if n, _ := t.mem.ReadMem(addr, b[:]); n < len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}
