package sym

import "debug/elf"

// Offsets in glibc's struct r_debug (amd64).
const (
	rDebugVersion = 0  // int r_version
	rDebugMap     = 8  // struct link_map *r_map
	rDebugBrk     = 16 // ElfW(Addr) r_brk: called on every change to the list
	rDebugState   = 24 // enum { RT_CONSISTENT, RT_ADD, RT_DELETE } r_state
)

// RDebug returns the runtime address of the dynamic linker's struct
// r_debug, read from DT_DEBUG in the executable's dynamic section in
// memory. ok is false until the dynamic linker has filled DT_DEBUG in, for
// a static executable, and without memory.
func (t *Table) RDebug() (uint64, bool) {
	exe := t.Exec()
	if exe == nil || exe.obj.dyn == 0 || t.mem == nil {
		return 0, false
	}
	addr := exe.Bias + exe.obj.dyn
	for i := 0; i < 512; i++ {
		tag, ok1 := t.readU64(addr + uint64(16*i))
		val, ok2 := t.readU64(addr + uint64(16*i) + 8)
		if !ok1 || !ok2 || elf.DynTag(tag) == elf.DT_NULL {
			return 0, false
		}
		if elf.DynTag(tag) == elf.DT_DEBUG {
			return val, val != 0
		}
	}
	return 0, false
}

// RDebugState returns r_debug.r_state: 0 consistent, 1 adding, 2 deleting.
func (t *Table) RDebugState() (int, bool) {
	rd, ok := t.RDebug()
	if !ok {
		return 0, false
	}
	v, ok := t.readU64(rd + rDebugState)
	return int(uint32(v)), ok
}

// RendezvousAddr returns where to place the breakpoint that reports every
// change to the list of loaded objects (dlopen, dlclose, and the libraries
// loaded at start-up): r_debug.r_brk once the dynamic linker has set it,
// and before that _dl_debug_state in the dynamic linker, which is the same
// function. ok is false for a static executable.
func (t *Table) RendezvousAddr() (uint64, bool) {
	if rd, ok := t.RDebug(); ok {
		if brk, ok := t.readU64(rd + rDebugBrk); ok && brk != 0 {
			return brk, true
		}
	}
	for _, m := range t.mods {
		if !m.Interp {
			continue
		}
		for _, s := range m.obj.symbols().lookupName("_dl_debug_state") {
			if s.kind != SymObject {
				return m.Bias + s.value, true
			}
		}
	}
	return 0, false
}
