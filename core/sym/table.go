package sym

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
)

// Memory reads the memory of the process a Table describes. The engine
// provides it; reads must show original bytes where breakpoints are set.
type Memory interface {
	ReadMem(addr uint64, b []byte) (int, error)
}

// A Table is the symbol view of one process: its modules placed at their
// load addresses, and name, line and address lookups over all of them.
type Table struct {
	files *Files
	pid   int
	exe   string
	mem   Memory
	maps  []Map
	mods  []*Module // by Start
	vdso  *objFile  // parsed from memory once

	noCFI bool // tests: unwind by frame pointers alone

	goStackHi func(g uint64) (uint64, error) // see SetGoStackHi
}

// SetGoStackHi lets Backtrace follow a Go program's calls into C: from the
// system stack, where runtime.asmcgocall runs the C function, back to the
// goroutine's stack, which asmcgocall records as the g and the depth below
// its top (g.stack.hi). stackHi returns a g's stack.hi; the caller knows
// the runtime's layout (package goruntime), which this package does not.
func (t *Table) SetGoStackHi(stackHi func(g uint64) (uint64, error)) { t.goStackHi = stackHi }

// NewTable returns the symbol table of process pid, whose executable is exe
// ("" for /proc/PID/exe), reading its memory through mem. mem may be nil:
// then IFUNC targets stay Pending, RDebug is unknown, the vDSO is left out
// and Backtrace needs a Memory of its own. With pid 0 the table describes
// the file exe alone, at its link-time addresses (a PIE at 0), as gdb shows
// a program that is not running.
func NewTable(files *Files, pid int, exe string, mem Memory) (*Table, error) {
	t := &Table{files: files, pid: pid, exe: exe, mem: mem}
	if pid <= 0 {
		obj, err := files.open(exe)
		if err != nil {
			return nil, err
		}
		lo, hi := obj.linkRange()
		t.mods = []*Module{{Path: exe, Name: path.Base(exe), Start: lo, End: hi, Exec: true, Go: obj.isGo, obj: obj}}
		return t, nil
	}
	if t.exe == "" {
		t.exe = fmt.Sprintf("/proc/%d/exe", pid)
	}
	if _, _, err := t.Refresh(); err != nil {
		return nil, err
	}
	return t, nil
}

// Pid returns the process the table describes (0 for a file alone).
func (t *Table) Pid() int { return t.pid }

// Modules returns the loaded modules, by address.
func (t *Table) Modules() []*Module { return append([]*Module(nil), t.mods...) }

// Maps returns the memory maps read by the last Refresh.
func (t *Table) Maps() []Map { return append([]Map(nil), t.maps...) }

// Exec returns the main executable's module, or nil.
func (t *Table) Exec() *Module {
	for _, m := range t.mods {
		if m.Exec {
			return m
		}
	}
	return nil
}

// ModuleAt returns the module mapped at runtime address addr, or nil.
func (t *Table) ModuleAt(addr uint64) *Module {
	i := sort.Search(len(t.mods), func(i int) bool { return t.mods[i].Start > addr }) - 1
	if i >= 0 && t.mods[i].Contains(addr) {
		return t.mods[i]
	}
	return nil
}

// Refresh re-reads /proc/PID/maps and returns the modules that appeared and
// those that disappeared since the last call (all modules, the first time).
// Modules that stayed keep their identity.
func (t *Table) Refresh() (added, removed []*Module, err error) {
	if t.pid <= 0 {
		return nil, nil, nil
	}
	maps, err := ReadMaps(t.pid)
	if err != nil {
		return nil, nil, err
	}
	var exeIno uint64
	if fi, err := os.Stat(t.exe); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			exeIno = st.Ino
		}
	}
	old := map[moduleKey]*Module{}
	for _, m := range t.mods {
		old[m.key()] = m
	}
	groups := groupMaps(maps)
	var mods []*Module
	for _, g := range groups {
		first := g[0]
		p := strings.TrimSuffix(first.Path, " (deleted)")
		m := &Module{Path: p, Name: path.Base(p), Dev: first.Dev, Inode: first.Inode, Maps: g}
		m.Start, m.End = first.Start, g[len(g)-1].End
		for _, mp := range g {
			m.Start, m.End = min(m.Start, mp.Start), max(m.End, mp.End)
		}
		if prev := old[m.key()]; prev != nil {
			prev.Maps = g
			prev.End = max(prev.End, m.End)
			mods = append(mods, prev)
			delete(old, m.key())
			continue
		}
		obj, err := t.openModule(first)
		if err != nil {
			continue // not an ELF file (locale archive, fonts, ...)
		}
		m.obj, m.Bias, m.Go = obj, obj.bias(first), obj.isGo
		m.Exec = first.Inode != 0 && first.Inode == exeIno
		mods = append(mods, m)
		added = append(added, m)
	}
	for _, m := range t.mods {
		if old[m.key()] == m {
			removed = append(removed, m)
		}
	}
	sortModules(mods)
	t.maps, t.mods = maps, mods
	t.markInterp()
	return added, removed, nil
}

// groupMaps splits file-backed mappings (and the vDSO) into one group per
// loaded object: a mapping at file offset 0 starts an object, and later
// mappings of the same file join the latest object of that file.
func groupMaps(maps []Map) [][]Map {
	var groups [][]Map
	last := map[string]int{}
	for _, m := range maps {
		if m.Path == "[vdso]" {
			groups = append(groups, []Map{m})
			continue
		}
		if m.Inode == 0 || !strings.HasPrefix(m.Path, "/") {
			continue
		}
		k := m.Dev + " " + m.Path
		if i, ok := last[k]; ok && m.Offset != 0 {
			groups[i] = append(groups[i], m)
			continue
		}
		if m.Offset != 0 {
			continue // a file mapped in pieces with no header: not a loaded object
		}
		last[k] = len(groups)
		groups = append(groups, []Map{m})
	}
	return groups
}

// openModule parses the object mapped by m. A file deleted or replaced
// since it was mapped is read through /proc/PID/map_files.
func (t *Table) openModule(m Map) (*objFile, error) {
	if m.Path == "[vdso]" {
		if t.vdso != nil {
			return t.vdso, nil
		}
		if t.mem == nil {
			return nil, ErrNoProcess
		}
		b := make([]byte, m.End-m.Start)
		n, err := t.mem.ReadMem(m.Start, b)
		if err != nil && n < len(b) {
			return nil, err
		}
		obj, err := readObjFile(bytes.NewReader(b), "[vdso]")
		if err == nil {
			t.vdso = obj
		}
		return obj, err
	}
	p := m.Path
	fi, err := os.Stat(p)
	st, ok := (*syscall.Stat_t)(nil), false
	if err == nil {
		st, ok = fi.Sys().(*syscall.Stat_t)
	}
	if m.Deleted() || !ok || st.Ino != m.Inode {
		p = fmt.Sprintf("/proc/%d/map_files/%x-%x", t.pid, m.Start, m.End)
	}
	return t.files.open(p)
}

// markInterp flags the dynamic linker named by the executable's PT_INTERP.
func (t *Table) markInterp() {
	exe := t.Exec()
	if exe == nil || exe.obj.interp == "" {
		return
	}
	var ino uint64
	if fi, err := os.Stat(exe.obj.interp); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
	}
	for _, m := range t.mods {
		m.Interp = m.Inode == ino && ino != 0 || ino == 0 && m.Name == path.Base(exe.obj.interp)
	}
}

// A Symbol is an ELF (or Go) symbol placed at its runtime address.
type Symbol struct {
	Name   string
	Entry  uint64 // runtime address of the symbol
	Size   uint64 // 0 when unknown
	Offset uint64 // for PCToFunc, the address looked up minus Entry
	Kind   SymKind
	Local  bool   // STB_LOCAL (a static function)
	File   string // for a local symbol, the source file named before it in .symtab, if any
	Module string // base name of the module
}

// PCToFunc returns the function symbol covering runtime address pc, or nil.
func (t *Table) PCToFunc(pc uint64) *Symbol {
	m := t.ModuleAt(pc)
	if m == nil {
		return nil
	}
	link := pc - m.Bias
	if s, ok := m.obj.symbols().lookupAddr(link); ok {
		sym := m.symbol(s, pc)
		if m.Go {
			// Name Go assembly functions as Go does: runtime.goexit, not
			// the ELF symbol runtime.goexit.abi0.
			sym.Name = strings.TrimSuffix(sym.Name, ".abi0")
		}
		return sym
	}
	if g, _ := m.obj.goTable(); g != nil {
		if fn := g.tab.PCToFunc(link); fn != nil {
			return &Symbol{Name: fn.Name, Entry: fn.Entry + m.Bias, Size: fn.End - fn.Entry, Offset: link - fn.Entry, Module: m.Name}
		}
	}
	return nil
}

// SymbolAt returns the symbol covering runtime address addr: a function,
// as PCToFunc finds it, or else a PLT stub named as objdump names it
// ("puts@plt"), or a data symbol (a global variable), or nil.
func (t *Table) SymbolAt(addr uint64) *Symbol {
	if s := t.PCToFunc(addr); s != nil {
		return s
	}
	m := t.ModuleAt(addr)
	if m == nil || m.obj == nil {
		return nil
	}
	link := addr - m.Bias
	if p, ok := m.obj.pltAt(link); ok {
		return &Symbol{Name: p.name, Entry: p.addr + m.Bias, Size: p.size, Offset: link - p.addr, Kind: SymFunc, Module: m.Name}
	}
	if s, ok := m.obj.symbols().lookupData(link); ok {
		return m.symbol(s, addr)
	}
	return nil
}

func (m *Module) symbol(s *elfSym, pc uint64) *Symbol {
	sym := &Symbol{Name: s.name, Entry: s.value + m.Bias, Size: s.size, Kind: s.kind, Local: s.bind == elf.STB_LOCAL, File: s.file, Module: m.Name}
	if pc >= sym.Entry {
		sym.Offset = pc - sym.Entry
	}
	return sym
}

// PCToLine returns the source file and line of runtime address pc, and the
// name of the function that covers it. Any of them may be empty (or 0)
// when unknown. err is a *DebugInfoError when the module's line tables are
// there but cannot be read (the function's name is still returned).
func (t *Table) PCToLine(pc uint64) (file string, line int, fn string, err error) {
	m := t.ModuleAt(pc)
	if m == nil {
		return "", 0, "", nil
	}
	file, line, err = m.pcToLine(pc - m.Bias)
	if s := t.PCToFunc(pc); s != nil {
		fn = s.Name
	}
	return file, line, fn, err
}

// pcToLine returns the file and line of link-time address link. Go
// binaries use .gopclntab, others DWARF.
func (m *Module) pcToLine(link uint64) (string, int, error) {
	g, err := m.obj.goTable()
	if err != nil {
		return "", 0, err
	}
	if g != nil {
		if file, line, fn := g.tab.PCToLine(link); fn != nil {
			return file, line, nil
		}
	}
	lt, err := m.obj.lineTable()
	if err != nil {
		return "", 0, err
	}
	if lt != nil {
		if file, line, ok := lt.pcToLine(link); ok {
			return file, line, nil
		}
	}
	return "", 0, nil
}

// LookupSym returns every symbol called name, code or data (a global
// variable), in every module, at runtime addresses. Unlike LookupFunc it
// does not resolve IFUNCs nor read line tables.
func (t *Table) LookupSym(name string) []*Symbol {
	var out []*Symbol
	for _, m := range t.orderedModules() {
		for _, s := range m.obj.symbols().lookupName(name) {
			out = append(out, m.symbol(s, 0))
		}
	}
	return out
}
