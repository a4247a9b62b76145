package dwarfvars

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// gdbStop is the state of a program stopped by gdb at a breakpoint: its
// registers, the CFA of frame 0, and its memory, dumped by gdb's gcore.
type gdbStop struct {
	regs   map[int]uint64
	cfa    uint64
	core   *elf.File
	exe    *elf.File
	bias   uint64
	tls    *elf.Prog
	fsBase uint64
}

var gdbDwarfRegs = map[string]int{"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
	"r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15, "rip": 16}

func (s *gdbStop) Reg(n int) (uint64, error) {
	v, ok := s.regs[n]
	if !ok {
		return 0, ErrUnavailable
	}
	return v, nil
}

func (s *gdbStop) CFA() (uint64, error) { return s.cfa, nil }

func (s *gdbStop) ReadMem(addr uint64, b []byte) error {
	for _, p := range s.core.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr <= addr && addr+uint64(len(b)) <= p.Vaddr+p.Filesz {
			_, err := p.ReadAt(b, int64(addr-p.Vaddr))
			return err
		}
	}
	// gcore leaves out read-only file mappings: read those from the file.
	link := addr - s.bias
	for _, p := range s.exe.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr <= link && link+uint64(len(b)) <= p.Vaddr+p.Filesz {
			_, err := p.ReadAt(b, int64(link-p.Vaddr))
			return err
		}
	}
	return fmt.Errorf("address %#x is not in the core file", addr)
}

func (s *gdbStop) TLSAddr(off uint64) (uint64, error) {
	return ExecTLSAddr(s.fsBase, s.tls.Memsz, s.tls.Align, off), nil
}

// symbolizer names code addresses from the executable's symbol table.
func (s *gdbStop) symbol(addr uint64) string {
	syms, _ := s.exe.Symbols()
	link := addr - s.bias
	for _, sym := range syms {
		if elf.ST_TYPE(sym.Info) == elf.STT_FUNC && sym.Value <= link && link < sym.Value+max(sym.Size, 1) {
			if link == sym.Value {
				return sym.Name
			}
			return fmt.Sprintf("%s+%d", sym.Name, link-sym.Value)
		}
	}
	return ""
}

var (
	gdbBreakAtRE = regexp.MustCompile(`Breakpoint 1 at (0x[0-9a-f]+): file`)
	gdbRegRE     = regexp.MustCompile(`^(\w+)\s+(0x[0-9a-f]+)`)
	gdbFrameRE   = regexp.MustCompile(`frame at (0x[0-9a-f]+)`)
	gdbAddrRE    = regexp.MustCompile(`\) (0x[0-9a-f]+) <global_counter>`)
)

// knownPrintDiffs are the values of TestPrintMatchesGDB that stardbg
// prints differently from gdb, by variant and expression, with the reason.
var knownPrintDiffs = map[string]string{
	"co2nofp n": "at -O2, n's location here is DW_OP_entry_value(rsi): gdb recovers the value at entry " +
		"from the caller's DW_TAG_call_site_parameter (it prints n@entry); stardbg does not read call sites yet " +
		"and says <optimized out>",
	"co2dwarf4 n": "as co2nofp n, with DWARF 4's DW_OP_GNU_entry_value and DW_TAG_GNU_call_site_parameter",
}

// TestPrintMatchesGDB stops c/typed at the return of process() under gdb
// and compares, for every variable in scope there and some globals and
// dereferenced pointers, the text of gdb's print with Printer.Format of
// the bytes that Location and ReadBytes find in gdb's own dump of the
// process (gcore) with gdb's registers.
func TestPrintMatchesGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP, testtarget.CO2DWARF4} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin, loc, pc, f := processReturn(t, v)
			var names []string
			for _, b := range append([][]*Variable{f.Params}, f.Blocks...) {
				for _, vr := range b {
					names = append(names, vr.Name)
				}
			}
			names = append(names, "global_counter", "global_name", "file_static", "tls_counter", "global_grid",
				"global_origin", "global_order", "global_message", "global_color", "global_op", "global_secret",
				"global_mask", "step", "global_z")
			derefs := map[string]string{"*o": "o", "*global_message": "global_message", "*global_secret": "global_secret",
				"*global_order": "global_order"}
			var exprs []string
			exprs = append(exprs, names...)
			for e := range derefs {
				exprs = append(exprs, e)
			}
			var cmds []string
			for _, e := range exprs {
				cmds = append(cmds, "print "+e)
			}
			stop, out := gdbStopAt(t, d, bin, loc, cmds)

			p := &Printer{ReadMem: stop.ReadMem, Symbol: stop.symbol}
			env := Env{Ctx: stop, Bias: stop.bias}
			for i, e := range exprs {
				_, want, ok := strings.Cut(out[i], " = ")
				if !ok {
					t.Errorf("gdb print %s: %s", e, out[i])
					continue
				}
				name, deref := e, false
				if base, ok := derefs[e]; ok {
					name, deref = base, true
				}
				vr, err := d.LookupVar(f, name)
				if err != nil {
					t.Errorf("%s: %v", e, err)
					continue
				}
				got := printVar(d, p, f, vr, pc, env, deref)
				if why, ok := knownPrintDiffs[v.String()+" "+e]; ok {
					if got != "<optimized out>" || got == want {
						t.Errorf("print %s: got %s, gdb %s: the known difference (%s) changed: update knownPrintDiffs", e, got, want, why)
					}
					continue
				}
				if got != want {
					t.Errorf("print %s:\n got %s\nwant %s", e, got, want)
				}
			}
		})
	}
}

// printVar formats variable v (or what it points to) as print does.
func printVar(d *Data, p *Printer, f *Frame, v *Variable, pc uint64, env Env, deref bool) string {
	loc, err := d.Location(v, f, pc, env)
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := ReadBytes(loc, v.Type.Size(), env.Ctx)
	if err == ErrOptimizedOut {
		return "<optimized out>"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	if !deref {
		addr, _ := loc.Addr()
		return p.Format(v.Type, b, addr)
	}
	ptr := Underlying(v.Type).(*PointerType)
	addr := readUint(b)
	elem := make([]byte, ptr.Elem.Size())
	if err := p.ReadMem(addr, elem); err != nil {
		return "error: " + err.Error()
	}
	return p.Format(ptr.Elem, elem, addr)
}

// processReturn opens variant v of c/typed and finds where gdb breaks at
// the return of process(): the pc and stardbg's innermost frame there.
func processReturn(t *testing.T, v testtarget.Variant) (d *Data, bin, loc string, pc uint64, f *Frame) {
	t.Helper()
	d, bin = openTarget(t, "c/typed", v)
	loc = fmt.Sprintf("typed.c:%d", testtarget.Line(t, "c/typed/typed.c", "process-return"))
	m := gdbBreakAtRE.FindStringSubmatch(gdbBatch(t, bin, []string{"break " + loc})[0])
	if m == nil {
		t.Fatalf("gdb did not set a breakpoint at %s", loc)
	}
	pc, _ = strconv.ParseUint(m[1], 0, 64)
	fs, err := d.FramesAt(pc)
	if err != nil {
		t.Fatal(err)
	}
	return d, bin, loc, pc, fs[0]
}

// gdbStopAt runs bin under gdb to loc, dumps the process there (gcore) and
// runs cmds. It returns the stop (see readGDBStop) and the output of each of
// cmds, in order.
func gdbStopAt(t *testing.T, d *Data, bin, loc string, cmds []string) (*gdbStop, []string) {
	t.Helper()
	core := filepath.Join(t.TempDir(), "core")
	pre := []string{"break " + loc, "run", "gcore " + core, "info registers", "info frame", "print &global_counter", "info registers fs_base"}
	out := gdbBatch(t, bin, append(pre, cmds...))
	return readGDBStop(t, d, bin, core, out[3]+"\n"+out[6], out[4], out[5]), out[len(pre):]
}

// readGDBStop gathers the registers, CFA and memory of gdb's stop.
func readGDBStop(t *testing.T, d *Data, bin, core, regsOut, frameOut, addrOut string) *gdbStop {
	t.Helper()
	s := &gdbStop{regs: map[int]uint64{}}
	for _, l := range strings.Split(regsOut, "\n") {
		if m := gdbRegRE.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseUint(m[2], 0, 64)
			if n, ok := gdbDwarfRegs[m[1]]; ok {
				s.regs[n] = v
			}
			if m[1] == "fs_base" {
				s.fsBase = v
			}
		}
	}
	m := gdbFrameRE.FindStringSubmatch(frameOut)
	if m == nil || len(s.regs) != len(gdbDwarfRegs) || s.fsBase == 0 {
		t.Fatalf("gdb's stop: registers %v fs_base %#x\n%s\n%s", s.regs, s.fsBase, regsOut, frameOut)
	}
	s.cfa, _ = strconv.ParseUint(m[1], 0, 64)
	var err error
	if s.core, err = elf.Open(core); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.core.Close() })
	if s.exe, err = elf.Open(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.exe.Close() })
	for _, p := range s.exe.Progs {
		if p.Type == elf.PT_TLS {
			s.tls = p
		}
	}
	// The load bias: where gdb says global_counter is, minus where DWARF
	// says it is linked.
	m = gdbAddrRE.FindStringSubmatch(addrOut)
	gs, err := d.Globals("global_counter")
	if m == nil || err != nil || len(gs) != 1 {
		t.Fatalf("global_counter: %s, %v", addrOut, err)
	}
	loc, err := d.Location(gs[0], nil, 0, Env{Ctx: s})
	link, ok := loc.Addr()
	if err != nil || !ok {
		t.Fatalf("global_counter: %+v, %v", loc, err)
	}
	run, _ := strconv.ParseUint(m[1], 0, 64)
	s.bias = run - link
	return s
}
