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

// retvalsFuncs are the functions c/retvals' values mode calls, in order.
var retvalsFuncs = []string{"answer", "negate", "narrow", "grade", "scale", "half", "label", "make_pair",
	"make_mixed", "make_dpair", "make_fquad", "make_tiny", "make_big", "nothing"}

var gdbValueReturnedRE = regexp.MustCompile(`Value returned is \$\d+ = (.*)`)

// TestResultsMatchGDB runs c/retvals' values under gdb, finishes each
// function, dumps the process at the return address (gcore, registers,
// xmm0 and xmm1), reads the result where Results says it is and compares
// it with gdb's "Value returned": integers, a char, a pointer, a float and
// a double, structs in rax:rdx, xmm0:xmm1 and rax:xmm0, a 3-byte struct, a
// struct returned in memory, and void.
func TestResultsMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin := openTarget(t, "c/retvals", v)
			dir := t.TempDir()
			var cmds []string
			for _, fn := range retvalsFuncs {
				cmds = append(cmds, "break "+fn)
			}
			cmds = append(cmds, "run values")
			const perStop = 9
			first := len(cmds)
			for i := range retvalsFuncs {
				cmds = append(cmds, "finish", "gcore "+filepath.Join(dir, fmt.Sprint("core", i)), "info registers", "info frame",
					"print &global_counter", "info registers fs_base", "info registers xmm0", "info registers xmm1", "continue")
			}
			out := gdbBatch(t, bin, cmds)
			syms := funcSymbols(t, bin)
			for i, fn := range retvalsFuncs {
				o := out[first+i*perStop : first+(i+1)*perStop]
				stop := readGDBStop(t, d, bin, filepath.Join(dir, fmt.Sprint("core", i)), o[2]+"\n"+o[5], o[3], o[4])
				for j, x := range o[6:8] {
					m := gdbXMMRE.FindStringSubmatch(x)
					if m == nil {
						t.Fatalf("gdb: %s", x)
					}
					low, _ := strconv.ParseUint(m[2][max(0, len(m[2])-16):], 16, 64)
					stop.regs[dwXMM0+j] = low
				}
				fs, err := d.FramesAt(syms[fn])
				if err != nil {
					t.Fatalf("%s: %v", fn, err)
				}
				f := fs[len(fs)-1]
				res, err := Results(f, Env{Ctx: stop, Bias: stop.bias})
				if err != nil {
					t.Errorf("%s: %v", fn, err)
					continue
				}
				m := gdbValueReturnedRE.FindStringSubmatch(o[0])
				if m == nil {
					if len(res) != 0 {
						t.Errorf("%s: %d results, gdb's finish shows none:\n%s", fn, len(res), o[0])
					}
					continue
				}
				if len(res) != 1 {
					t.Errorf("%s: %d results, want 1", fn, len(res))
					continue
				}
				b, err := ReadBytes(res[0].Loc, res[0].Type.Size(), stop)
				if err != nil {
					t.Errorf("%s: %+v: %v", fn, res[0].Loc, err)
					continue
				}
				addr, _ := res[0].Loc.Addr()
				pr := &Printer{ReadMem: stop.ReadMem, Symbol: stop.symbol}
				if got := pr.Format(res[0].Type, b, addr); got != m[1] {
					t.Errorf("%s returned %s (%+v), gdb says %s", fn, got, res[0].Loc, m[1])
				}
			}
		})
	}
}

// funcSymbols returns the link-time address of each function symbol of bin.
func funcSymbols(t *testing.T, bin string) map[string]uint64 {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			out[s.Name] = s.Value
		}
	}
	return out
}

// regNames names the DWARF registers of results in places().
var regNames = map[int]string{0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 4: "rsi", 5: "rdi", 7: "rsp", 8: "r8", 9: "r9", 10: "r10", 11: "r11"}

// places renders a location as "rax:8 pad:4 xmm0:4", or "mem 0x...".
func places(l Location) string {
	var s []string
	for _, p := range l.Pieces {
		switch p.Kind {
		case InRegister:
			name := regNames[p.Reg]
			if p.Reg >= dwXMM0 {
				name = fmt.Sprintf("x%d", p.Reg-dwXMM0)
			}
			s = append(s, fmt.Sprintf("%s:%d", name, p.Size))
		case Implicit:
			s = append(s, fmt.Sprintf("pad:%d", p.Size))
		case InMemory:
			s = append(s, fmt.Sprintf("mem %#x", p.Addr))
		default:
			s = append(s, "?")
		}
	}
	return strings.Join(s, " ")
}

// fakeRegs is a Context with only registers.
type fakeRegs map[int]uint64

func (r fakeRegs) Reg(n int) (uint64, error) {
	v, ok := r[n]
	if !ok {
		return 0, ErrUnavailable
	}
	return v, nil
}
func (fakeRegs) CFA() (uint64, error)           { return 0, ErrUnavailable }
func (fakeRegs) ReadMem(uint64, []byte) error   { return ErrUnavailable }
func (fakeRegs) TLSAddr(uint64) (uint64, error) { return 0, ErrUnavailable }

// TestGoResultPlaces checks where go/retgo's functions have their
// results at the return address and their arguments at the entry, as
// ABIInternal assigns them: one register per scalar field, integers and
// floats counted apart, padding between fields, registers restarting
// at RAX for the results, arrays of two and more on the stack after the
// stack-assigned arguments. go/retgo's output checks the values at run
// time (core's return probe tests).
func TestGoResultPlaces(t *testing.T) {
	d, bin := openTarget(t, "go/retgo", testtarget.Go)
	syms := funcSymbols(t, bin)
	const sp = 0x1000
	regs := fakeRegs{dwRSP: sp}
	for _, c := range []struct {
		fn            string
		args, results string
	}{
		{"main.divmod", "a=rax:8 b=rbx:8", "q=rax:8 err=rbx:8 rcx:8"},
		{"main.mkPoint", "a=rax:8", "~r0=rax:8 rbx:8 x0:8"},
		{"main.named", "a=rax:8", "~r0=rax:8 rbx:8 ~r1=x0:8"},
		{"main.small", "a=rax:1", "~r0=rax:1 ~r1=rbx:1 ~r2=rcx:2"},
		{"main.pair", "a=mem 0x1008", "~r0=mem 0x1018"},
		{"main.cplx", "a=x0:8", "~r0=x0:8 x1:8"},
		{"main.fib", "n=rax:8", "~r0=rax:8"},
	} {
		fs, err := d.FramesAt(syms[c.fn])
		if err != nil {
			t.Fatalf("%s: %v", c.fn, err)
		}
		f := fs[len(fs)-1]
		if !f.IsGo() {
			t.Fatalf("%s: not a Go function", c.fn)
		}
		res, err := Results(f, Env{Ctx: regs})
		if err != nil {
			t.Fatalf("%s: %v", c.fn, err)
		}
		var got []string
		for _, r := range res {
			got = append(got, r.Name+"="+places(r.Loc))
		}
		if g := strings.Join(got, " "); g != c.results {
			t.Errorf("%s results: %s, want %s", c.fn, g, c.results)
		}
		locs, err := EntryLocations(f, Env{Ctx: regs})
		if err != nil {
			t.Fatalf("%s: %v", c.fn, err)
		}
		got = nil
		for i, p := range f.Params {
			if p.Result {
				if !locs[i].OptimizedOut() {
					t.Errorf("%s: result %s has a place at the entry: %+v", c.fn, p.Name, locs[i])
				}
				continue
			}
			got = append(got, p.Name+"="+places(locs[i]))
		}
		if g := strings.Join(got, " "); g != c.args {
			t.Errorf("%s arguments: %s, want %s", c.fn, g, c.args)
		}
	}
}

// TestCResultPlaces checks the SysV places of results of hand-built types,
// and the types the reader refuses.
func TestCResultPlaces(t *testing.T) {
	i32 := &BaseType{Name: "int", K: Int, ByteSize: 4}
	i64 := &BaseType{Name: "long", K: Int, ByteSize: 8}
	f32 := &BaseType{Name: "float", K: Float, ByteSize: 4}
	f64 := &BaseType{Name: "double", K: Float, ByteSize: 8}
	ld := &BaseType{Name: "long double", K: Float, ByteSize: 16}
	cplx := &BaseType{Name: "complex double", K: Complex, ByteSize: 16}
	st := func(size int64, fs ...Field) Type { return &StructType{K: Struct, ByteSize: size, Fields: fs} }
	regs := fakeRegs{dwRAX: 0x5000}
	for _, c := range []struct {
		t    Type
		want string
	}{
		{i32, "rax:4"},
		{&PointerType{Elem: i32, ByteSize: 8}, "rax:8"},
		{f64, "x0:8"},
		{st(16, Field{Type: i64}, Field{Type: f64, Offset: 8}), "rax:8 x0:8"},
		{st(16, Field{Type: f64}, Field{Type: i64, Offset: 8}), "x0:8 rax:8"},
		{st(12, Field{Type: f32}, Field{Type: f32, Offset: 4}, Field{Type: f32, Offset: 8}), "x0:8 x1:4"},
		{st(16, Field{Type: i64}, Field{Type: i64, Offset: 8}), "rax:8 rdx:8"},
		{st(24, Field{Type: i64}, Field{Type: i64, Offset: 8}, Field{Type: i64, Offset: 16}), "mem 0x5000"},
		{ld, "error"},
		{cplx, "error"},
		{st(16, Field{Type: ld}), "error"},
	} {
		f := &Frame{Function: "f", Return: c.t}
		res, err := Results(f, Env{Ctx: regs})
		got := "error"
		if err == nil {
			got = places(res[0].Loc)
		}
		if got != c.want {
			t.Errorf("result of type %s: %s (%v), want %s", Ptype(c.t), got, err, c.want)
		}
	}
	if res, err := Results(&Frame{Function: "f", Return: &VoidType{}}, Env{Ctx: regs}); err != nil || res != nil {
		t.Errorf("void: %v, %v; want no result", res, err)
	}
	if _, err := Results(&Frame{Function: "f", Inlined: true, Return: i32}, Env{Ctx: regs}); err == nil {
		t.Error("an inlined frame has results")
	}
}
