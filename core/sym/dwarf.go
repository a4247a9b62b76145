package sym

import (
	"debug/dwarf"
	"errors"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// lineRow is one row of a DWARF line table, at a link-time address.
type lineRow struct {
	addr uint64
	file uint32
	line int32
	stmt bool
	end  bool // end_sequence: addr is one past the sequence
}

// fileLine is a statement row of one file, for LineToPC.
type fileLine struct {
	line int32
	addr uint64
}

// dwarfFunc is the address range of one concrete function (DW_TAG_subprogram)
// and how gdb skips its prologue.
type dwarfFunc struct {
	lo, hi uint64
	// locValid is gdb's "locations valid": GCC 4.5 or later wrote location
	// lists in this unit (optimized code), and gdb then does not skip
	// prologues at all.
	locValid bool
	llvm     bool // producer is clang/LLVM: the prologue is the function's first line
}

// lineTable is the DWARF line information of one file.
type lineTable struct {
	files  []string            // full paths, by file id
	byBase map[string][]uint32 // base name -> file ids
	rows   []lineRow           // by address
	steps  []lineRow           // the rows gdb keeps, by address (see gdbRows)
	byFile [][]fileLine        // statement rows by file id, sorted by line then address
	funcs  []dwarfFunc         // by lo
}

// lineTable returns the file's DWARF line table, or nil if it has no DWARF.
// DWARF that cannot be read is a *DebugInfoError.
func (o *objFile) lineTable() (*lineTable, error) {
	o.linesOnce.Do(func() {
		if o.f.Section(".debug_info") == nil && o.f.Section(".zdebug_info") == nil {
			return
		}
		d, err := o.f.DWARF()
		if err == nil {
			lo, hi := o.linkRange()
			o.lines, err = parseLines(d, lo, hi)
		}
		if err != nil {
			o.lines, o.linesErr = nil, &DebugInfoError{Path: o.path, Table: "DWARF", Err: err}
		}
	})
	return o.lines, o.linesErr
}

func parseLines(d *dwarf.Data, textLo, textHi uint64) (*lineTable, error) {
	lt := &lineTable{byBase: map[string][]uint32{}}
	fileID := map[string]uint32{}
	idOf := func(name string) uint32 {
		if id, ok := fileID[name]; ok {
			return id
		}
		id := uint32(len(lt.files))
		fileID[name] = id
		lt.files = append(lt.files, name)
		lt.byFile = append(lt.byFile, nil)
		base := path.Base(name)
		lt.byBase[base] = append(lt.byBase[base], id)
		return id
	}

	var (
		cuFuncs  int  // index in lt.funcs of the current unit's first function
		locLists bool // the current unit has location lists
		gcc45    bool
		llvm     bool
	)
	endUnit := func() {
		for i := cuFuncs; i < len(lt.funcs); i++ {
			lt.funcs[i].locValid = locLists && gcc45
			lt.funcs[i].llvm = llvm
		}
		cuFuncs = len(lt.funcs)
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		switch e.Tag {
		case dwarf.TagCompileUnit, dwarf.TagPartialUnit:
			endUnit()
			producer, _ := e.Val(dwarf.AttrProducer).(string)
			gcc45, llvm = producerGCC45(producer), strings.Contains(producer, "clang") || strings.Contains(producer, "LLVM")
			locLists = false
			if err := readLineRows(d, e, lt, idOf, textLo, textHi); err != nil {
				return nil, err
			}
			continue
		case dwarf.TagSubprogram:
			if ranges, err := d.Ranges(e); err == nil {
				for _, rg := range ranges {
					if rg[0] < rg[1] && rg[0] >= textLo && rg[1] <= textHi {
						lt.funcs = append(lt.funcs, dwarfFunc{lo: rg[0], hi: rg[1]})
					}
				}
			}
		case dwarf.TagLexDwarfBlock, dwarf.TagInlinedSubroutine, dwarf.TagNamespace:
		case dwarf.TagVariable, dwarf.TagFormalParameter:
			if f := e.AttrField(dwarf.AttrLocation); f != nil && (f.Class == dwarf.ClassLocList || f.Class == dwarf.ClassLocListPtr) {
				locLists = true
			}
		default:
			if e.Children {
				r.SkipChildren()
			}
		}
		if e.Tag == dwarf.TagSubprogram && !locLists {
			if f := e.AttrField(dwarf.AttrFrameBase); f != nil && (f.Class == dwarf.ClassLocList || f.Class == dwarf.ClassLocListPtr) {
				locLists = true
			}
		}
	}
	endUnit()

	byAddr := func(rows []lineRow) {
		sort.SliceStable(rows, func(i, j int) bool {
			a, b := &rows[i], &rows[j]
			if a.addr != b.addr {
				return a.addr < b.addr
			}
			return a.end && !b.end
		})
	}
	byAddr(lt.rows)
	byAddr(lt.steps)
	for _, fl := range lt.byFile {
		sort.Slice(fl, func(i, j int) bool {
			if fl[i].line != fl[j].line {
				return fl[i].line < fl[j].line
			}
			return fl[i].addr < fl[j].addr
		})
	}
	sort.Slice(lt.funcs, func(i, j int) bool { return lt.funcs[i].lo < lt.funcs[j].lo })
	return lt, nil
}

// readLineRows appends the rows of one unit's line program. Sequences
// outside the loaded text (functions the linker discarded, left at
// address 0) are dropped.
func readLineRows(d *dwarf.Data, cu *dwarf.Entry, lt *lineTable, idOf func(string) uint32, textLo, textHi uint64) error {
	lr, err := d.LineReader(cu)
	if err != nil || lr == nil {
		return err
	}
	var seq []lineRow
	var discs []bool // seq's rows with a non-zero discriminator
	var e dwarf.LineEntry
	for {
		if err := lr.Next(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		row := lineRow{addr: e.Address, line: int32(e.Line), stmt: e.IsStmt, end: e.EndSequence}
		if e.File != nil {
			row.file = idOf(e.File.Name)
		}
		seq = append(seq, row)
		discs = append(discs, e.Discriminator != 0)
		if !e.EndSequence {
			continue
		}
		if seq[0].addr >= textLo && seq[0].addr < textHi {
			lt.rows = append(lt.rows, seq...)
			lt.steps = append(lt.steps, gdbRows(seq, discs)...)
			for _, r := range seq {
				if r.stmt && !r.end && r.line > 0 {
					lt.byFile[r.file] = append(lt.byFile[r.file], fileLine{r.line, r.addr})
				}
			}
		}
		seq, discs = seq[:0], discs[:0]
	}
}

// producerGCC45 reports whether a DW_AT_producer names GCC 4.5 or later.
func producerGCC45(p string) bool {
	rest, ok := strings.CutPrefix(p, "GNU ")
	if !ok || strings.Contains(p, "clang") {
		return false
	}
	// "GNU C17 12.2.0 -mtune=generic ...": find the first word that starts with a digit.
	for _, w := range strings.Fields(rest) {
		if w[0] < '0' || w[0] > '9' {
			continue
		}
		major, minor, _ := strings.Cut(w, ".")
		maj, err := strconv.Atoi(major)
		if err != nil {
			return false
		}
		mi, _ := strconv.Atoi(strings.SplitN(minor, ".", 2)[0])
		return maj > 4 || maj == 4 && mi >= 5
	}
	return false
}

// rowAt returns the index of the row that covers link-time address addr:
// the last row at or before it (preferring a statement row at the same
// address), if it is not the end of a sequence.
func (lt *lineTable) rowAt(addr uint64) (int, bool) {
	i := sort.Search(len(lt.rows), func(i int) bool { return lt.rows[i].addr > addr }) - 1
	if i < 0 || lt.rows[i].end {
		return -1, false
	}
	// Of several rows at one address, the last statement row (as gdb).
	for j := i; j >= 0 && lt.rows[j].addr == lt.rows[i].addr && !lt.rows[j].end; j-- {
		if lt.rows[j].stmt {
			i = j
			break
		}
	}
	if lt.rows[i].line == 0 {
		return -1, false
	}
	return i, true
}

// pcToLine returns the file and line of link-time address addr.
func (lt *lineTable) pcToLine(addr uint64) (string, int, bool) {
	i, ok := lt.rowAt(addr)
	if !ok {
		return "", 0, false
	}
	return lt.files[lt.rows[i].file], int(lt.rows[i].line), true
}

// nextRowAddr returns the address of the first row after addr (the end of
// the line-table entry that covers addr).
func (lt *lineTable) nextRowAddr(addr uint64) (uint64, bool) {
	i := sort.Search(len(lt.rows), func(i int) bool { return lt.rows[i].addr > addr })
	if i == len(lt.rows) {
		return 0, false
	}
	return lt.rows[i].addr, true
}

// isRowStart reports whether some row begins at addr.
func (lt *lineTable) isRowStart(addr uint64) bool {
	i := sort.Search(len(lt.rows), func(i int) bool { return lt.rows[i].addr >= addr })
	return i < len(lt.rows) && lt.rows[i].addr == addr && !lt.rows[i].end
}

// funcAt returns the DWARF function covering addr.
func (lt *lineTable) funcAt(addr uint64) (*dwarfFunc, bool) {
	i := sort.Search(len(lt.funcs), func(i int) bool { return lt.funcs[i].lo > addr }) - 1
	if i >= 0 && addr < lt.funcs[i].hi {
		return &lt.funcs[i], true
	}
	return nil, false
}

// matchFiles returns the ids of the files whose path ends with name on a
// path-component boundary ("hotloop.c" and "src/hotloop.c" both match
// "/build/src/hotloop.c").
func (lt *lineTable) matchFiles(name string) []uint32 {
	var ids []uint32
	for _, id := range lt.byBase[path.Base(name)] {
		if pathSuffixMatch(lt.files[id], name) {
			ids = append(ids, id)
		}
	}
	return ids
}

// pathSuffixMatch reports whether full ends with name on a path-component
// boundary.
func pathSuffixMatch(full, name string) bool {
	name = strings.TrimPrefix(path.Clean(name), "./")
	full = path.Clean(full)
	if full == name {
		return true
	}
	return strings.HasSuffix(full, name) && (strings.HasPrefix(name, "/") || full[len(full)-len(name)-1] == '/')
}

// exactLines returns the statement rows of the files with exactly line.
func (lt *lineTable) exactLines(ids []uint32, line int) []uint64 {
	var addrs []uint64
	for _, id := range ids {
		fl := lt.byFile[id]
		i := sort.Search(len(fl), func(i int) bool { return int(fl[i].line) >= line })
		for ; i < len(fl) && int(fl[i].line) == line; i++ {
			addrs = append(addrs, fl[i].addr)
		}
	}
	return addrs
}

// nextLine returns the smallest line greater than line with a statement
// row in the files.
func (lt *lineTable) nextLine(ids []uint32, line int) (int, bool) {
	best, ok := 0, false
	for _, id := range ids {
		fl := lt.byFile[id]
		i := sort.Search(len(fl), func(i int) bool { return int(fl[i].line) > line })
		if i < len(fl) && (!ok || int(fl[i].line) < best) {
			best, ok = int(fl[i].line), true
		}
	}
	return best, ok
}
