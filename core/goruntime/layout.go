package goruntime

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"slices"
)

// ErrNoDWARF is wrapped by the errors of reads that need the runtime's
// layouts in a binary that has no DWARF (built with -ldflags=-w or
// stripped).
var ErrNoDWARF = errors.New("the binary has no DWARF, so the layout of runtime.g is unknown (built with -ldflags=-w or stripped?)")

// ErrNotGo is the error of Load for a file that is not a Go program.
var ErrNotGo = errors.New("not a Go program (no runtime.allgs)")

// ErrNoSymbols is the error of Load for a Go program without its symbol
// table (stripped, or built with -ldflags=-s), where runtime.allgs cannot
// be found.
var ErrNoSymbols = errors.New("a Go program without its symbol table (built with -ldflags=-s or stripped?): runtime.allgs cannot be found")

// A Runtime is what this package knows of one Go executable: the offsets of
// the runtime's fields it reads, its status constants, and the link-time
// addresses of its globals. It is read-only after Load and safe for
// concurrent use.
type Runtime struct {
	g      gLayout
	m      mLayout
	status statusConsts
	layErr error // non-nil: g and m are unknown (ErrNoDWARF, or a missing field)

	allgs, allglen uint64 // link-time addresses
	waitReasons    symbol // runtime.waitReasonStrings, [N]string
	tlsOff         int64  // the g slot is at fs_base + tlsOff

	// fallback says the layouts are knownLayouts' for version (the
	// binary has no DWARF), not read.
	fallback bool
	version  string
}

// Fallback reports whether the layouts come from stardbg's table for the Go
// release that built the binary (a binary without DWARF), and that
// release.
func (rt *Runtime) Fallback() (bool, string) { return rt.fallback, rt.version }

type symbol struct{ addr, size uint64 }

// gLayout holds the offsets in runtime.g of the fields read, and the number
// of bytes one read of a g covers.
type gLayout struct {
	stackLo, stackHi     int64
	m                    int64
	schedSP, schedPC     int64
	schedBP              int64
	status               int64
	goid                 int64
	waitReason           int64
	parentGoid           int64 // -1: not in this version
	gopc, startpc        int64
	syscallSP, syscallPC int64
	syscallBP            int64 // -1: not in this version
	size                 int64
}

type mLayout struct {
	g0, procid, curg int64
	size             int64
}

// statusConsts are runtime._G* as the binary defines them.
type statusConsts struct {
	idle, runnable, running, syscall, waiting, dead, copystack, preempted, scan uint32
	// optional ones (absent in some versions): -1 when absent
	leaked, deadextra int64
}

// Load reads the layouts of the runtime from f's DWARF and the addresses of
// its globals from f's symbol table. A Go binary without DWARF loads with
// the layouts of knownLayouts for the Go release that built it (from its
// build information), or, for a release not there, with goroutine reads
// failing with ErrNoDWARF; a file that is not a Go program is ErrNotGo.
func Load(f *elf.File) (*Runtime, error) {
	rt := &Runtime{tlsOff: -8}
	syms, err := f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, fmt.Errorf("goruntime: symbols: %w", err)
	}
	var tlsg *elf.Symbol
	for i := range syms {
		s := &syms[i]
		switch s.Name {
		case "runtime.allgs":
			rt.allgs = s.Value
		case "runtime.allglen":
			rt.allglen = s.Value
		case "runtime.waitReasonStrings":
			rt.waitReasons = symbol{s.Value, s.Size}
		case "runtime.tlsg":
			tlsg = s
		}
	}
	if rt.allgs == 0 || rt.allglen == 0 {
		if f.Section(".gopclntab") != nil {
			return nil, ErrNoSymbols
		}
		return nil, ErrNotGo
	}
	if tlsg != nil && elf.ST_TYPE(tlsg.Info) == elf.STT_TLS {
		off, err := tlsOffset(f, tlsg.Value)
		if err != nil {
			return nil, fmt.Errorf("goruntime: runtime.tlsg: %w", err)
		}
		rt.tlsOff = off
	}
	d, err := f.DWARF()
	if err != nil {
		rt.layErr = rt.useKnownLayout(f, err)
		return rt, nil
	}
	rt.layErr = rt.readLayouts(d)
	return rt, nil
}

// tlsOffset returns where a TLS symbol of the executable at offset v in its
// PT_TLS segment is, from the thread pointer (TLS variant II: the
// executable's block ends at fs_base).
func tlsOffset(f *elf.File, v uint64) (int64, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_TLS {
			align := p.Align
			if align == 0 {
				align = 1
			}
			size := (p.Memsz + align - 1) / align * align
			return int64(v) - int64(size), nil
		}
	}
	return 0, errors.New("a TLS symbol but no PT_TLS segment")
}

// LayoutErr returns nil when the layouts of runtime.g and runtime.m were
// read, else why not (an error wrapping ErrNoDWARF when the binary has no
// DWARF).
func (rt *Runtime) LayoutErr() error { return rt.layErr }

// readLayouts finds runtime.g, runtime.m and the status constants among the
// top-level entries of the runtime's compilation unit, skipping the
// children of everything else (functions and their variables are most of
// Go's DWARF).
func (rt *Runtime) readLayouts(d *dwarf.Data) error {
	structs := map[string]dwarf.Offset{"runtime.g": 0, "runtime.m": 0}
	consts := map[string]int64{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("goruntime: reading DWARF: %w", err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			// The runtime's types and constants are in its own unit:
			// skipping another unit's children costs nothing (a
			// jump), while walking them costs a parse of every entry
			// (Go's DWARF has no DW_AT_sibling).
			if name, _ := e.Val(dwarf.AttrName).(string); name != "runtime" {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagStructType:
			if off, ok := structs[name]; ok && off == 0 {
				structs[name] = e.Offset
			}
		case dwarf.TagConstant:
			if len(name) > 10 && name[:10] == "runtime._G" {
				if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok && slices.Contains(gStatusNames, name[8:]) {
					consts[name[8:]] = v
				}
			}
		}
		if e.Children {
			r.SkipChildren()
		}
		if structs["runtime.g"] != 0 && structs["runtime.m"] != 0 && len(consts) == len(gStatusNames) {
			break // everything found: the rest of the unit is functions
		}
	}
	for name, off := range structs {
		if off == 0 {
			return fmt.Errorf("goruntime: no %s in the DWARF", name)
		}
	}
	g, err := readStruct(d, structs["runtime.g"])
	if err != nil {
		return err
	}
	m, err := readStruct(d, structs["runtime.m"])
	if err != nil {
		return err
	}
	if err := rt.g.fill(g); err != nil {
		return err
	}
	if err := rt.m.fill(m); err != nil {
		return err
	}
	return rt.status.fill(consts)
}

// fieldOffsets is a struct's fields by name, with the offsets of the fields
// of nested structs under "outer.inner".
type fieldOffsets struct {
	name string
	off  map[string]int64
	size int64
}

func readStruct(d *dwarf.Data, off dwarf.Offset) (*fieldOffsets, error) {
	t, err := d.Type(off)
	if err != nil {
		return nil, fmt.Errorf("goruntime: DWARF type at %#x: %w", off, err)
	}
	st, ok := t.(*dwarf.StructType)
	if !ok {
		return nil, fmt.Errorf("goruntime: %s is a %T in the DWARF, not a struct", t, t)
	}
	fo := &fieldOffsets{name: st.StructName, off: map[string]int64{}, size: st.ByteSize}
	var walk func(prefix string, base int64, st *dwarf.StructType, depth int)
	walk = func(prefix string, base int64, st *dwarf.StructType, depth int) {
		for _, f := range st.Field {
			fo.off[prefix+f.Name] = base + f.ByteOffset
			ft := f.Type
			for {
				td, ok := ft.(*dwarf.TypedefType)
				if !ok {
					break
				}
				ft = td.Type
			}
			if inner, ok := ft.(*dwarf.StructType); ok && depth < 2 {
				walk(prefix+f.Name+".", base+f.ByteOffset, inner, depth+1)
			}
		}
	}
	walk("", 0, st, 0)
	return fo, nil
}

// get returns the offset of a field, or records that it is missing.
func (fo *fieldOffsets) get(name string, missing *[]string) int64 {
	off, ok := fo.off[name]
	if !ok {
		*missing = append(*missing, name)
		return -1
	}
	return off
}

// opt returns the offset of a field that some versions lack, or -1.
func (fo *fieldOffsets) opt(names ...string) int64 {
	for _, n := range names {
		if off, ok := fo.off[n]; ok {
			return off
		}
	}
	return -1
}

func (fo *fieldOffsets) missing(names []string) error {
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("goruntime: %s has no field %q in the DWARF (an unsupported Go version?)", fo.name, names[0])
}

func (l *gLayout) fill(fo *fieldOffsets) error {
	var miss []string
	l.stackLo = fo.get("stack.lo", &miss)
	l.stackHi = fo.get("stack.hi", &miss)
	l.m = fo.get("m", &miss)
	l.schedSP = fo.get("sched.sp", &miss)
	l.schedPC = fo.get("sched.pc", &miss)
	l.schedBP = fo.get("sched.bp", &miss)
	l.status = fo.get("atomicstatus", &miss) // a uint32, or atomic.Uint32 whose value is at 0
	l.goid = fo.get("goid", &miss)
	l.waitReason = fo.get("waitreason", &miss)
	l.gopc = fo.get("gopc", &miss)
	l.startpc = fo.get("startpc", &miss)
	l.syscallSP = fo.get("syscallsp", &miss)
	l.syscallPC = fo.get("syscallpc", &miss)
	l.syscallBP = fo.opt("syscallbp")
	l.parentGoid = fo.opt("parentGoid")
	if err := fo.missing(miss); err != nil {
		return err
	}
	for _, off := range []int64{l.stackHi, l.m, l.schedSP, l.schedPC, l.schedBP, l.status, l.goid,
		l.waitReason, l.gopc, l.startpc, l.syscallSP, l.syscallPC, l.syscallBP, l.parentGoid} {
		l.size = max(l.size, off+8)
	}
	return nil
}

func (l *mLayout) fill(fo *fieldOffsets) error {
	var miss []string
	l.g0 = fo.get("g0", &miss)
	l.procid = fo.get("procid", &miss)
	l.curg = fo.get("curg", &miss)
	if err := fo.missing(miss); err != nil {
		return err
	}
	l.size = max(l.g0, l.procid, l.curg) + 8
	return nil
}

// gStatusNames are the runtime._G* constants read: the fill of
// statusConsts, and _Gleaked and _Gdeadextra, which some versions lack.
var gStatusNames = []string{"_Gidle", "_Grunnable", "_Grunning", "_Gsyscall", "_Gwaiting", "_Gdead",
	"_Gcopystack", "_Gpreempted", "_Gscan", "_Gleaked", "_Gdeadextra"}

func (s *statusConsts) fill(c map[string]int64) error {
	need := []struct {
		name string
		dst  *uint32
	}{
		{"_Gidle", &s.idle}, {"_Grunnable", &s.runnable}, {"_Grunning", &s.running},
		{"_Gsyscall", &s.syscall}, {"_Gwaiting", &s.waiting}, {"_Gdead", &s.dead},
		{"_Gcopystack", &s.copystack}, {"_Gpreempted", &s.preempted}, {"_Gscan", &s.scan},
	}
	for _, n := range need {
		v, ok := c[n.name]
		if !ok {
			return fmt.Errorf("goruntime: no constant runtime.%s in the DWARF", n.name)
		}
		*n.dst = uint32(v)
	}
	s.leaked, s.deadextra = -1, -1
	if v, ok := c["_Gleaked"]; ok {
		s.leaked = v
	}
	if v, ok := c["_Gdeadextra"]; ok {
		s.deadextra = v
	}
	return nil
}
