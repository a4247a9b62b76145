package sym

import (
	"debug/elf"
	"path"
	"sort"
)

// A Module is one ELF object loaded into the process: the executable, a
// shared library, the dynamic linker or the vDSO.
type Module struct {
	Path       string // path of the mapped file, or "[vdso]"
	Name       string // base name of Path: "libc.so.6"
	Bias       uint64 // load bias: runtime address = link-time address + Bias
	Start, End uint64 // lowest and highest (exclusive) mapped address
	Dev        string // device of the mapped file, as in /proc/PID/maps
	Inode      uint64
	Exec       bool // the main executable
	Interp     bool // the dynamic linker named by the executable's PT_INTERP
	Go         bool // a Go binary (has .gopclntab)
	Maps       []Map

	obj *objFile
}

// Contains reports whether addr is in one of the module's mappings.
func (m *Module) Contains(addr uint64) bool {
	if addr < m.Start || addr >= m.End {
		return false
	}
	for _, mp := range m.Maps {
		if mp.Contains(addr) {
			return true
		}
	}
	return len(m.Maps) == 0
}

// mapped reports whether the module has addresses: false for a library
// that Table.Needed found on disk and that is not loaded yet.
func (m *Module) mapped() bool { return m.End > m.Start }

// matchesScope reports whether a module qualifier in a location spec
// ("libc", "libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6") names m:
// the full path, a path suffix, the base name, or a prefix of the base
// name that ends where a '.' or '-' follows.
func (m *Module) matchesScope(scope string) bool {
	if scope == m.Name || scope == m.Path || pathSuffixMatch(m.Path, scope) && path.Base(scope) == m.Name {
		return true
	}
	if len(scope) < len(m.Name) && m.Name[:len(scope)] == scope {
		c := m.Name[len(scope)]
		return c == '.' || c == '-'
	}
	return false
}

func (m *Module) key() moduleKey { return moduleKey{m.Dev, m.Inode, m.Start, m.Path} }

type moduleKey struct {
	dev   string
	inode uint64
	start uint64
	path  string
}

func sortModules(mods []*Module) {
	sort.Slice(mods, func(i, j int) bool { return mods[i].Start < mods[j].Start })
}

// ELF returns the module's parsed ELF file, owned by the Files cache the
// Table was made with (do not close it; it is closed with the cache), or
// nil for a module that has none.
func (m *Module) ELF() *elf.File {
	if m.obj == nil {
		return nil
	}
	return m.obj.f
}

// DebugELF returns the ELF file that holds the module's DWARF: the
// module's own file when it has .debug_info, or else its separate debug
// file found by build ID (libc6-dbg's), opened once and owned by the
// Files cache like the module's file. It is nil when there is no DWARF.
func (m *Module) DebugELF() *elf.File {
	if m.obj == nil {
		return nil
	}
	return m.obj.dwarfFile()
}
