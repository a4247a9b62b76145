package sym

import (
	"debug/elf"
	"debug/gosym"
	"errors"
	"path"
)

// goTable is the function and line table of a Go binary, from .gopclntab.
// It needs no DWARF, so it works for binaries built with -ldflags=-w (and
// names functions even with -s).
type goTable struct {
	tab    *gosym.Table
	inline *goInline // nil when the inline trees cannot be read
	byName map[string][]*gosym.Func
	byBase map[string][]string // base name -> full file names
}

// goTable returns the Go table of the file, or nil for a non-Go file. A
// .gopclntab that cannot be read is a *DebugInfoError.
func (o *objFile) goTable() (*goTable, error) {
	o.goOnce.Do(func() {
		if !o.isGo {
			return
		}
		if o.gotab, o.goErr = parseGo(o.f); o.goErr != nil {
			o.gotab, o.goErr = nil, &DebugInfoError{Path: o.path, Table: ".gopclntab", Err: o.goErr}
		}
	})
	return o.gotab, o.goErr
}

func parseGo(f *elf.File) (*goTable, error) {
	sec := f.Section(".gopclntab")
	if sec == nil {
		return nil, errors.New("no .gopclntab section")
	}
	pcln, err := sec.Data()
	if err != nil {
		return nil, err
	}
	var symtab []byte
	if s := f.Section(".gosymtab"); s != nil {
		symtab, _ = s.Data()
	}
	text := goTextStart(f)
	tab, err := gosym.NewTable(symtab, gosym.NewLineTable(pcln, text))
	if err != nil {
		return nil, err
	}
	if len(tab.Funcs) == 0 {
		// gosym reads a header it does not know as Go 1.1's, and finds
		// nothing in it: a Go program has functions.
		return nil, errors.New("no function in .gopclntab (an unknown format, or damaged)")
	}
	g := &goTable{tab: tab, byName: map[string][]*gosym.Func{}, byBase: map[string][]string{}}
	g.inline, _ = newGoInline(f, pcln, text) // without them, inlined calls are not frames
	for i := range tab.Funcs {
		fn := &tab.Funcs[i]
		g.byName[fn.Name] = append(g.byName[fn.Name], fn)
	}
	for name := range tab.Files {
		base := path.Base(name)
		g.byBase[base] = append(g.byBase[base], name)
	}
	return g, nil
}

// goTextStart returns the address the pclntab's pcs count from: that of
// runtime.text, which is where .text starts in a program the Go linker
// linked alone, but not in one linked by the system linker (cgo), where C
// code comes first.
func goTextStart(f *elf.File) uint64 {
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.text" {
				return s.Value
			}
		}
	}
	if s := f.Section(".text"); s != nil {
		return s.Addr
	}
	return 0
}

// matchFiles returns the file names that end with name on a path-component
// boundary.
func (g *goTable) matchFiles(name string) []string {
	var out []string
	for _, full := range g.byBase[path.Base(name)] {
		if pathSuffixMatch(full, name) {
			out = append(out, full)
		}
	}
	return out
}

// maxLineGap bounds how far LineToPC looks past a line without code in a
// Go binary without DWARF (each try scans the whole pclntab).
const maxLineGap = 40

// lineToPC returns the lowest address of line in file, or of the next line
// that has code, and the line found.
func (g *goTable) lineToPC(file string, line int) (uint64, int, bool) {
	for l := line; l < line+maxLineGap; l++ {
		pc, fn, err := g.tab.LineToPC(file, l)
		if err == nil && fn != nil {
			return pc, l, true
		}
	}
	return 0, 0, false
}

// GoInlined returns the calls the compiler inlined at runtime address pc of
// a Go module, innermost first, from the inline trees of .gopclntab (what a
// backtrace of a binary without DWARF shows of them), with CallPC as a
// runtime address. It is nil where nothing is inlined, outside Go modules,
// and for a format of .gopclntab it does not read (before Go 1.18), or a
// binary without its symbol table (-s).
func (t *Table) GoInlined(pc uint64) []InlinedCall {
	m := t.ModuleAt(pc)
	if m == nil || !m.Go {
		return nil
	}
	g, _ := m.obj.goTable()
	if g == nil || g.inline == nil {
		return nil
	}
	calls := g.inline.at(pc - m.Bias)
	for i := range calls {
		calls[i].CallPC += m.Bias
	}
	return calls
}
