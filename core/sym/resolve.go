package sym

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A Location is one place a location spec resolved to.
type Location struct {
	Addr     uint64 // runtime address (for a Pending IFUNC, its resolver's)
	Function string // function at Addr (for a name, the name looked up)
	File     string // source file at Addr, when known
	Line     int    // source line (for file:line, the line chosen), or 0
	Module   string // base name of the module: "libc.so.6"
	// Body is, for a function, the first address past its prologue: where
	// gdb places "break FUNCTION" (Addr when no line table says more, and for
	// Go, whose functions need no prologue skipping).
	Body uint64
	// IFunc says the name is a GNU indirect function: Addr is the
	// implementation its resolver chose, read from the relocated GOT.
	IFunc bool
	// Pending says an IFUNC's GOT slot is not relocated yet: Addr is the
	// resolver. Resolve again once the dynamic linker has run.
	Pending bool
	// Unloaded says the function is in a library the program needs that is
	// not mapped yet (see Table.ResolveNeeded): Addr is its link-time address.
	Unloaded bool
}

// Resolve parses a location spec (see ParseLocation) and returns every
// place it names: an address; each function of that name in every module
// (a static function in two files, a function in two libraries); the
// addresses gdb chooses for file:line; a function in the modules named by
// "lib:function", or in the source file named by "file.c:function". A spec
// that names nothing fails with a *NotFoundError listing close names.
func (t *Table) Resolve(spec string) ([]Location, error) {
	s, err := ParseLocation(spec)
	if err != nil {
		return nil, err
	}
	return t.ResolveSpec(s)
}

// ResolveSpec is Resolve for a parsed spec.
func (t *Table) ResolveSpec(s Spec) ([]Location, error) {
	switch s.Kind {
	case SpecAddr:
		loc, err := t.locationAt(s.Addr)
		if err != nil {
			return nil, err
		}
		return []Location{loc}, nil
	case SpecLine:
		return t.LineToPC(s.File, s.Line)
	case SpecScoped:
		// Go names hold single colons too: "type:.eq.main.T", "go:buildid".
		if locs, err := t.lookupFunc(t.orderedModules(), s.String(), ""); len(locs) > 0 || err != nil {
			return locs, err
		}
		return t.lookupScoped(s.Scope, s.Func, s.String())
	case SpecFunc:
		if locs, err := t.lookupFunc(t.orderedModules(), s.Func, ""); len(locs) > 0 || err != nil {
			return locs, err
		}
		return nil, &NotFoundError{Spec: s.String(), What: "function or file:line", Suggestions: suggest(s.Func, t.funcNames(nil))}
	}
	return nil, &SpecError{Spec: s.String(), Reason: "invalid spec"}
}

// LookupFunc returns the entry of every function called name, in every
// module, or only in the modules named by "lib:name" (libc:malloc,
// libc.so.6:malloc) or defined in the source file of "file.c:name".
func (t *Table) LookupFunc(name string) ([]Location, error) {
	if locs, err := t.lookupFunc(t.orderedModules(), name, ""); len(locs) > 0 || err != nil {
		return locs, err
	}
	if i := singleColon(name); i >= 0 {
		s, err := ParseLocation(name)
		if err == nil && s.Kind == SpecScoped {
			return t.lookupScoped(s.Scope, s.Func, name)
		}
	}
	return nil, &NotFoundError{Spec: name, What: "function", Suggestions: suggest(name, t.funcNames(nil))}
}

// orderedModules returns the executable first, then the others by address.
func (t *Table) orderedModules() []*Module {
	mods := make([]*Module, 0, len(t.mods))
	for _, m := range t.mods {
		if m.Exec {
			mods = append(mods, m)
		}
	}
	for _, m := range t.mods {
		if !m.Exec {
			mods = append(mods, m)
		}
	}
	return mods
}

func (t *Table) lookupScoped(scope, fn, spec string) ([]Location, error) {
	var mods []*Module
	for _, m := range t.orderedModules() {
		if m.matchesScope(scope) {
			mods = append(mods, m)
		}
	}
	if len(mods) > 0 {
		if locs, err := t.lookupFunc(mods, fn, ""); len(locs) > 0 || err != nil {
			return locs, err
		}
		return nil, &NotFoundError{Spec: spec, What: "function", Suggestions: suggest(fn, t.funcNames(mods))}
	}
	if locs, err := t.lookupFunc(t.orderedModules(), fn, scope); len(locs) > 0 || err != nil {
		return locs, err
	}
	if !t.hasSourceFile(scope) {
		return nil, &NotFoundError{Spec: spec, What: "module or source file", Suggestions: suggest(scope, t.scopeNames())}
	}
	return nil, &NotFoundError{Spec: spec, What: "function", Suggestions: suggest(fn, t.funcNames(nil))}
}

// lookupFunc returns the functions called name in mods, only those
// defined in a source file matching file when file is not "". A table it
// needs that cannot be read is an error (see DebugInfoError).
func (t *Table) lookupFunc(mods []*Module, name, file string) ([]Location, error) {
	var locs []Location
	for _, m := range mods {
		n := len(locs)
		for _, s := range m.obj.symbols().lookupName(name) {
			if s.kind == SymObject {
				continue
			}
			loc, err := t.funcLocation(m, s)
			if err != nil {
				return nil, err
			}
			locs = append(locs, loc)
		}
		if len(locs) == n {
			g, err := m.obj.goTable()
			if err != nil {
				return nil, err
			}
			if g != nil {
				for _, fn := range g.byName[name] {
					loc, err := t.funcLocation(m, &elfSym{name: fn.Name, value: fn.Entry, size: fn.End - fn.Entry})
					if err != nil {
						return nil, err
					}
					locs = append(locs, loc)
				}
			}
		}
	}
	if file != "" {
		out := locs[:0]
		for _, l := range locs {
			if l.File != "" && pathSuffixMatch(l.File, file) {
				out = append(out, l)
			}
		}
		locs = out
	}
	return locs, nil
}

// funcLocation places symbol s of module m.
func (t *Table) funcLocation(m *Module, s *elfSym) (Location, error) {
	loc := Location{Addr: m.Bias + s.value, Function: s.name, Module: m.Name}
	if s.kind == SymIFunc {
		loc.IFunc = true
		if impl, ok := t.resolveIFunc(m, s); ok {
			loc.Addr = impl
		} else {
			loc.Pending = true
		}
	}
	loc.Body = loc.Addr
	var err error
	if im := t.ModuleAt(loc.Addr); im != nil && m.mapped() {
		if loc.File, loc.Line, err = im.pcToLine(loc.Addr - im.Bias); err != nil {
			return loc, err
		}
		if !loc.Pending && !im.Go {
			lt, err := im.obj.lineTable()
			if err != nil {
				return loc, err
			}
			if lt != nil {
				body, _ := im.skipPrologue(lt, loc.Addr-im.Bias)
				loc.Body = body + im.Bias
			}
		}
	} else if loc.File, loc.Line, err = m.pcToLine(s.value); err != nil {
		return loc, err
	}
	if loc.File == "" {
		loc.File = s.file
	}
	return loc, nil
}

// locationAt describes runtime address addr.
func (t *Table) locationAt(addr uint64) (Location, error) {
	loc := Location{Addr: addr, Body: addr}
	if m := t.ModuleAt(addr); m != nil {
		loc.Module = m.Name
		var err error
		if loc.File, loc.Line, err = m.pcToLine(addr - m.Bias); err != nil {
			return loc, err
		}
	}
	if s := t.PCToFunc(addr); s != nil {
		loc.Function = s.Name
	}
	return loc, nil
}

// LineToPC returns the addresses gdb chooses for "break file:line": for
// each function with code for the line, its first statement address; a
// line without code moves to the next line that has code; and an address
// inside a function's prologue moves past it (unless the compiler's
// locations are trusted, as gdb does for optimized GCC code). file may be
// a path suffix ("hotloop.c", "src/hotloop.c").
func (t *Table) LineToPC(file string, line int) ([]Location, error) {
	spec := file + ":" + strconv.Itoa(line)
	type source struct {
		m     *Module
		lt    *lineTable
		ids   []uint32
		g     *goTable
		files []string
	}
	var srcs []source
	for _, m := range t.orderedModules() {
		// A table that cannot be read may hold the file: say so, rather
		// than that no module has it.
		lt, err := m.obj.lineTable()
		if err != nil {
			return nil, err
		}
		if lt != nil {
			if ids := lt.matchFiles(file); len(ids) > 0 {
				srcs = append(srcs, source{m: m, lt: lt, ids: ids})
			}
			continue
		}
		g, err := m.obj.goTable()
		if err != nil {
			return nil, err
		}
		if g != nil {
			if files := g.matchFiles(file); len(files) > 0 {
				srcs = append(srcs, source{m: m, g: g, files: files})
			}
		}
	}
	if len(srcs) == 0 {
		return nil, &NotFoundError{Spec: spec, What: "source file", Suggestions: suggest(file, t.fileNames())}
	}

	type cand struct {
		src  *source
		addr uint64 // link-time
	}
	collect := func(l int) []cand {
		var cs []cand
		for i := range srcs {
			s := &srcs[i]
			if s.lt != nil {
				for _, a := range s.lt.exactLines(s.ids, l) {
					cs = append(cs, cand{s, a})
				}
				continue
			}
			for _, f := range s.files {
				if pc, fn, err := s.g.tab.LineToPC(f, l); err == nil && fn != nil {
					cs = append(cs, cand{s, pc})
				}
			}
		}
		return cs
	}
	found := line
	cands := collect(line)
	if len(cands) == 0 {
		best, ok := 0, false
		for _, s := range srcs {
			var l int
			var have bool
			if s.lt != nil {
				l, have = s.lt.nextLine(s.ids, line)
			} else {
				for _, f := range s.files {
					if _, fl, ok := s.g.lineToPC(f, line+1); ok && (!have || fl < l) {
						l, have = fl, true
					}
				}
			}
			if have && (!ok || l < best) {
				best, ok = l, true
			}
		}
		if !ok {
			return nil, &NotFoundError{Spec: spec, What: "line with code"}
		}
		found, cands = best, collect(best)
	}

	// One address per function: the lowest.
	type fkey struct {
		m     *Module
		entry uint64
	}
	lowest := map[fkey]cand{}
	var order []fkey
	for _, c := range cands {
		k := fkey{c.src.m, c.addr}
		if c.src.lt != nil {
			if f, ok := c.src.lt.funcAt(c.addr); ok {
				k.entry = f.lo
			} else if s, ok := c.src.m.obj.symbols().lookupAddr(c.addr); ok {
				k.entry = s.value
			}
		} else if fn := c.src.g.tab.PCToFunc(c.addr); fn != nil {
			k.entry = fn.Entry
		}
		if prev, ok := lowest[k]; !ok || c.addr < prev.addr {
			if !ok {
				order = append(order, k)
			}
			lowest[k] = c
		}
	}
	var locs []Location
	seen := map[uint64]bool{}
	for _, k := range order {
		c := lowest[k]
		m, addr, l := c.src.m, c.addr, found
		if c.src.lt != nil {
			if moved, ok := m.skipPrologue(c.src.lt, addr); ok {
				addr = moved
				if _, ml, ok := c.src.lt.pcToLine(addr); ok {
					l = ml
				}
			}
		}
		if seen[m.Bias+addr] {
			continue
		}
		seen[m.Bias+addr] = true
		loc, err := t.locationAt(m.Bias + addr)
		if err != nil {
			return nil, err
		}
		loc.Line = l
		locs = append(locs, loc)
	}
	sort.SliceStable(locs, func(i, j int) bool { return locs[i].Addr < locs[j].Addr })
	return locs, nil
}

// FuncNames returns the names of the functions of every loaded module that
// start with prefix, sorted and each once: what a name given to Resolve may
// be, for completion.
func (t *Table) FuncNames(prefix string) []string {
	var names []string
	for name := range t.funcNames(nil) {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// funcNames yields the function names of mods (all modules when nil).
func (t *Table) funcNames(mods []*Module) func(func(string) bool) {
	if mods == nil {
		mods = t.mods
	}
	return func(yield func(string) bool) {
		for _, m := range mods {
			st := m.obj.symbols()
			for name, idx := range st.byName {
				if st.syms[idx[0]].kind != SymObject && !yield(name) {
					return
				}
			}
			if g, _ := m.obj.goTable(); g != nil && len(st.text) == 0 {
				for name := range g.byName {
					if !yield(name) {
						return
					}
				}
			}
		}
	}
}

// fileNames yields the base names of the source files of every module.
func (t *Table) fileNames() func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, m := range t.mods {
			if lt, _ := m.obj.lineTable(); lt != nil {
				for base := range lt.byBase {
					if !yield(base) {
						return
					}
				}
			} else if g, _ := m.obj.goTable(); g != nil {
				for base := range g.byBase {
					if !yield(base) {
						return
					}
				}
			}
		}
	}
}

// scopeNames yields module names and source file base names.
func (t *Table) scopeNames() func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, m := range t.mods {
			if !yield(m.Name) {
				return
			}
		}
		t.fileNames()(yield)
	}
}

func (t *Table) hasSourceFile(name string) bool {
	for _, m := range t.mods {
		if lt, _ := m.obj.lineTable(); lt != nil && len(lt.matchFiles(name)) > 0 {
			return true
		}
		if g, _ := m.obj.goTable(); g != nil && len(g.matchFiles(name)) > 0 {
			return true
		}
	}
	return false
}
