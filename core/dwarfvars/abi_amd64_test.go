package dwarfvars

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

var gdbXMMRE = regexp.MustCompile(`^xmm(\d+)\s.*uint128 = 0x([0-9a-f]+)`)

// entryGDBWrong are the arguments that gdb prints wrong at its breakpoint
// after the prologue, with the value the source passes. At -O2 gcc places
// mixed's t at DW_OP_fbreg -24 for the whole function, a slot that is
// written only after the address gdb breaks at: gdb reads stale stack.
var entryGDBWrong = map[string]string{
	"co2nofp/mixed t": "{a = 1, b = 2, c = 3}",
}

// TestEntryLocationsMatchGDB stops c/typed at the first instruction of
// mixed() and make_big() under gdb, reads each argument from where the
// SysV ABI passes it (EntryLocations, gdb's registers and core dump), and
// compares it with gdb's print of the argument after the prologue, where
// DWARF's locations are valid.
func TestEntryLocationsMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		for _, fn := range []string{"mixed", "make_big"} {
			t.Run(v.String()+"/"+fn, func(t *testing.T) {
				d, bin := openTarget(t, "c/typed", v)
				core := filepath.Join(t.TempDir(), "core")
				cmds := []string{"break *" + fn, "run", "gcore " + core, "info registers", "info frame", "print &global_counter",
					"info registers fs_base"}
				for i := 0; i < 8; i++ {
					cmds = append(cmds, fmt.Sprintf("info registers xmm%d", i))
				}
				cmds = append(cmds, "print $pc")
				out := gdbBatch(t, bin, cmds)
				stop := readGDBStop(t, d, bin, core, out[3]+"\n"+out[6], out[4], out[5])
				for i := 0; i < 8; i++ {
					m := gdbXMMRE.FindStringSubmatch(out[7+i])
					if m == nil {
						t.Fatalf("gdb: %s", out[7+i])
					}
					low := m[2][max(0, len(m[2])-16):]
					x, _ := strconv.ParseUint(low, 16, 64)
					n, _ := strconv.Atoi(m[1])
					stop.regs[17+n] = x
				}
				_, pcText, _ := strings.Cut(out[15], ") ")
				pc, err := strconv.ParseUint(strings.Fields(pcText)[0], 0, 64)
				if err != nil {
					t.Fatalf("gdb print $pc: %s", out[15])
				}
				fs, err := d.FramesAt(pc - stop.bias)
				if err != nil {
					t.Fatal(err)
				}
				f := fs[0]
				if f.Function != fn {
					t.Fatalf("stopped in %s, want %s", f.Function, fn)
				}
				locs, err := EntryLocations(f, Env{Ctx: stop, Bias: stop.bias})
				if err != nil {
					t.Fatal(err)
				}

				cmds = []string{"break " + fn, "run"}
				for _, p := range f.Params {
					cmds = append(cmds, "print "+p.Name)
				}
				want := gdbBatch(t, bin, cmds)[2:]
				pr := &Printer{ReadMem: stop.ReadMem, Symbol: stop.symbol}
				for i, p := range f.Params {
					b, err := ReadBytes(locs[i], p.Type.Size(), stop)
					if err != nil {
						t.Errorf("%s: %+v: %v", p.Name, locs[i], err)
						continue
					}
					_, w, _ := strings.Cut(want[i], " = ")
					if src, ok := entryGDBWrong[v.String()+"/"+fn+" "+p.Name]; ok {
						if w == src {
							t.Errorf("%s: gdb now prints %s: remove it from entryGDBWrong", p.Name, w)
						}
						w = src
					}
					if got := pr.Format(p.Type, b, 0); got != w {
						t.Errorf("%s at entry (%+v): got %s, gdb prints %s after the prologue", p.Name, locs[i], got, w)
					}
				}
			})
		}
	}
}

// TestClassify checks the classes of the SysV ABI on hand-built types.
func TestClassify(t *testing.T) {
	i32 := &BaseType{Name: "int", K: Int, ByteSize: 4}
	f32 := &BaseType{Name: "float", K: Float, ByteSize: 4}
	f64 := &BaseType{Name: "double", K: Float, ByteSize: 8}
	ld := &BaseType{Name: "long double", K: Float, ByteSize: 16}
	st := func(size int64, fs ...Field) Type { return &StructType{K: Struct, ByteSize: size, Fields: fs} }
	for _, c := range []struct {
		t    Type
		want []abiClass
	}{
		{i32, []abiClass{classInteger}},
		{f64, []abiClass{classSSE}},
		{ld, []abiClass{classMemory}},
		{&PointerType{Elem: f64, ByteSize: 8}, []abiClass{classInteger}},
		{st(8, Field{Type: f32}, Field{Type: f32, Offset: 4}), []abiClass{classSSE}},
		{st(8, Field{Type: f32}, Field{Type: i32, Offset: 4}), []abiClass{classInteger}},
		{st(16, Field{Type: f64}, Field{Type: i32, Offset: 8}), []abiClass{classSSE, classInteger}},
		{st(12, Field{Type: &ArrayType{Elem: i32, Len: 3}}), []abiClass{classInteger, classInteger}},
		{st(24, Field{Type: &ArrayType{Elem: i32, Len: 6}}), []abiClass{classMemory}},
		{st(16, Field{Type: ld}), []abiClass{classMemory}},
	} {
		got, err := classify(c.t)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("classify(%s) = %v, %v; want %v", Ptype(c.t), got, err, c.want)
		}
	}
}
