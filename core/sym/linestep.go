package sym

import (
	"sort"
	"strings"
)

// Source-level stepping needs the line table as gdb keeps it, since a step
// ends where gdb's would: at the first address of a line-table entry whose
// line differs from the one being stepped. gdb does not keep every row of
// the DWARF line program (dwarf_record_line_p and lnp_state_machine in its
// dwarf2/read.c): a row of line 0 is dropped; a row that repeats the line
// of the row before, in a line that had a non-zero discriminator (the
// increment of a for loop at -O0), is dropped, so that returning into it
// from a call is the middle of a line and not its start; and a row that
// only switches file at the same address as the row before, without being
// a statement, is dropped.

// gdbRows returns the rows of one sequence that gdb keeps, and its end.
// nonZeroDisc says which rows had a non-zero discriminator.
func gdbRows(seq []lineRow, nonZeroDisc []bool) []lineRow {
	var out []lineRow
	lastFile, lastLine := ^uint32(0), int32(0)
	var lastAddr uint64
	prevLine, discLine := int32(-1), false
	for i, r := range seq {
		if r.end {
			// The end marker drops the rows that would be empty before it.
			for len(out) > 0 && out[len(out)-1].addr == r.addr {
				out = out[:len(out)-1]
			}
			out = append(out, r)
			break
		}
		if r.line != prevLine {
			discLine = nonZeroDisc[i]
		} else {
			discLine = discLine || nonZeroDisc[i]
		}
		prevLine = r.line
		fileChanged := r.file != lastFile
		ignore := fileChanged && lastFile != ^uint32(0) && r.addr == lastAddr && !r.stmt || r.line == 0
		lastAddr = r.addr
		if ignore {
			continue
		}
		if fileChanged || r.line != lastLine || !discLine {
			out = append(out, r)
		}
		lastFile, lastLine = r.file, r.line
	}
	return out
}

// A LineEntry is the line-table entry that covers an address, as gdb's
// find_pc_line gives it: the address range from the entry's first address
// to the next entry of the table, whatever its line.
type LineEntry struct {
	File  string
	Line  int    // 0 when no line covers the address
	Start uint64 // runtime address of the entry's first instruction
	End   uint64 // runtime address of the next entry
	Stmt  bool   // the entry is a statement (is_stmt)
}

// At reports whether pc is the first address of the entry.
func (e LineEntry) At(pc uint64) bool { return e.Line != 0 && pc == e.Start }

// StepLine returns the line-table entry that covers runtime address pc,
// for stepping by source lines. ok is false when the module at pc has no
// line table (a library without debug information); the entry's Line is
// 0 when the table has no line for pc. A Go binary without DWARF
// (-ldflags=-w) has only .gopclntab: each address is an entry of its own.
func (t *Table) StepLine(pc uint64) (LineEntry, bool) {
	m := t.ModuleAt(pc)
	if m == nil {
		return LineEntry{}, false
	}
	lt, _ := m.obj.lineTable()
	if lt == nil {
		return m.goStepLine(pc)
	}
	return lt.stepEntry(pc-m.Bias, m.Bias), true
}

// goStepLine is StepLine from .gopclntab, for a Go binary without DWARF:
// the table has no statements nor entries, so every address is an entry
// of its own, and a step ends at the first instruction of another line.
func (m *Module) goStepLine(pc uint64) (LineEntry, bool) {
	g, _ := m.obj.goTable()
	if g == nil {
		return LineEntry{}, false
	}
	file, line, fn := g.tab.PCToLine(pc - m.Bias)
	if fn == nil {
		return LineEntry{Start: pc, End: pc + 1}, true
	}
	return LineEntry{File: file, Line: line, Start: pc, End: pc + 1, Stmt: true}, true
}

// stepEntry is find_pc_line over the rows gdb keeps, for link-time address
// addr of a module loaded at bias.
func (lt *lineTable) stepEntry(addr, bias uint64) LineEntry {
	rows := lt.steps
	next := sort.Search(len(rows), func(i int) bool { return rows[i].addr > addr })
	i := next - 1
	if i < 0 || rows[i].end || rows[i].line == 0 {
		return LineEntry{}
	}
	// Of several entries at one address, gdb prefers a statement.
	if !rows[i].stmt {
		j := i
		for j > 0 && rows[j-1].addr == rows[j].addr && !rows[j-1].end && !rows[j].stmt {
			j--
		}
		if rows[j].stmt {
			i = j
		}
	}
	e := LineEntry{File: lt.files[rows[i].file], Line: int(rows[i].line), Start: rows[i].addr + bias, Stmt: rows[i].stmt}
	if next < len(rows) {
		e.End = rows[next].addr + bias
	}
	return e
}

// FuncBounds returns the runtime address range of the function that covers
// pc: its DWARF subprogram, or else its ELF or Go symbol.
func (t *Table) FuncBounds(pc uint64) (lo, hi uint64, ok bool) {
	m := t.ModuleAt(pc)
	if m == nil {
		return 0, 0, false
	}
	if lt, _ := m.obj.lineTable(); lt != nil {
		if f, ok := lt.funcAt(pc - m.Bias); ok {
			return f.lo + m.Bias, f.hi + m.Bias, true
		}
	}
	if s := t.PCToFunc(pc); s != nil && s.Size > 0 {
		return s.Entry, s.Entry + s.Size, true
	}
	return 0, 0, false
}

// StepInto returns where a step into the function entered at runtime
// address entry stops, as gdb's step does (handle_step_into_function): past
// the frame setup ("push %rbp; mov %rsp,%rbp", amd64_skip_prologue), and
// when that is in the middle of a line-table entry, at the entry's end if
// it is still in the function. ok is false when the function has no line
// information: a step steps over it.
func (t *Table) StepInto(entry uint64) (uint64, bool) {
	m := t.ModuleAt(entry)
	if m == nil {
		return 0, false
	}
	lt, _ := m.obj.lineTable()
	if lt == nil {
		// Go without DWARF: a Go function needs no prologue skipped.
		e, ok := m.goStepLine(entry)
		return entry, ok && e.Line != 0
	}
	link := entry - m.Bias
	if lt.stepEntry(link, 0).Line == 0 {
		return 0, false
	}
	start := link
	if f, ok := lt.funcAt(link); ok && f.llvm {
		if next, ok := lt.nextRowAddr(link); ok && next < f.hi {
			start = next
		}
	} else {
		start = m.obj.frameSetupEnd(link)
	}
	if e := lt.stepEntry(start, 0); e.Line != 0 && e.Start != start && e.End != 0 {
		if _, hi, ok := t.FuncBounds(entry); ok && e.End+m.Bias < hi {
			start = e.End
		}
	}
	return start + m.Bias, true
}

// InPLT reports whether runtime address pc is in a procedure linkage table
// (.plt, .plt.sec, .plt.got) of its module: a stub that jumps to a function
// of another module through the GOT.
func (t *Table) InPLT(pc uint64) bool {
	m := t.ModuleAt(pc)
	if m == nil || m.obj == nil {
		return false
	}
	link := pc - m.Bias
	for _, s := range m.obj.f.Sections {
		switch s.Name {
		case ".plt", ".plt.sec", ".plt.got":
			if link >= s.Addr && link < s.Addr+s.Size {
				return true
			}
		}
	}
	return false
}

// PLTTarget returns the function that the PLT stub at runtime address pc
// jumps to, found as gdb finds it (find_solib_trampoline_target): by the
// name of the function its GOT slot is relocated for, in the other
// modules. It needs no bound GOT slot, so that the first call of a lazily
// bound function, which goes through the dynamic linker, is followed too.
// ok is false when pc is in no stub or the function is loaded nowhere.
func (t *Table) PLTTarget(pc uint64) (uint64, bool) {
	m := t.ModuleAt(pc)
	if m == nil || m.obj == nil {
		return 0, false
	}
	stub, ok := m.obj.pltAt(pc - m.Bias)
	if !ok {
		return 0, false
	}
	var others []*Module
	for _, o := range t.orderedModules() {
		if o != m {
			others = append(others, o)
		}
	}
	locs, err := t.lookupFunc(others, strings.TrimSuffix(stub.name, "@plt"), "")
	if err != nil {
		return 0, false
	}
	for _, l := range locs {
		if !l.Pending && !l.Unloaded {
			return l.Addr, true
		}
	}
	return 0, false
}
