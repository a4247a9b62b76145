package dwarfvars

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// gdbRegNames are gdb's names of the x86-64 DWARF registers.
var gdbRegNames = []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"}

var gdbPieceRE = regexp.MustCompile(`^a variable in \$(\w+) \[(\d+)-byte piece\]`)

// gdbSymbols splits gdb's info scope output into each symbol's
// description, by name.
func gdbSymbols(out string) map[string]string {
	syms := map[string]string{}
	cur := ""
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "Symbol "); ok {
			name, desc, _ := strings.Cut(rest, " is ")
			cur = name
			syms[cur] = desc
			continue
		}
		if cur != "" {
			syms[cur] += "\n" + l
		}
	}
	return syms
}

var (
	gdbRangeRE  = regexp.MustCompile(`Range (0x[0-9a-f]+)-(0x[0-9a-f]+): (.*)`)
	gdbStaticRE = regexp.MustCompile(`^in static storage at address (0x[0-9a-f]+), length`)
	gdbFbregRE  = regexp.MustCompile(`^a complex DWARF expression:\n\s+0: DW_OP_fbreg (-?\d+)\n, length`)
	gdbTLSRE    = regexp.MustCompile(`^a thread-local variable at offset (0x[0-9a-f]+) in the thread-local storage`)
)

// recordingCtx is a Context that answers register r with r*0x100, the CFA
// 0x1000, memory of zeros and a TLS address equal to the offset, so that
// a location shows what it was computed from.
type recordingCtx struct{}

func (recordingCtx) Reg(n int) (uint64, error)           { return uint64(n) * 0x100, nil }
func (recordingCtx) CFA() (uint64, error)                { return 0x1000, nil }
func (recordingCtx) ReadMem(addr uint64, b []byte) error { clear(b); return nil }
func (recordingCtx) TLSAddr(off uint64) (uint64, error)  { return off, nil }

// TestLocationsMatchGDB compares the locations of every variable in
// scope at the edges of every block of c/typed with gdb's info scope: the
// ranges of each location list and, where gdb names it, the register or
// constant of each range; the address of statics; the frame offset of
// -O0 locals; the offset of thread-locals.
func TestLocationsMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP, testtarget.CO2DWARF4} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin := openTarget(t, "c/typed", v)
			pcs := scopePCs(t, d)
			var cmds []string
			for _, pc := range pcs {
				cmds = append(cmds, fmt.Sprintf("info scope *%#x", pc))
			}
			out := gdbBatch(t, bin, cmds)
			checked := map[string]int{}
			for i, pc := range pcs {
				fs, err := d.FramesAt(pc)
				if err != nil {
					t.Fatal(err)
				}
				syms := gdbSymbols(out[i])
				for _, b := range append(fs[0].Blocks, fs[0].Params) {
					for _, vr := range b {
						desc, ok := syms[vr.Name]
						if !ok {
							t.Errorf("at %#x: gdb does not list %s", pc, vr.Name)
							continue
						}
						kind := checkLocation(t, d, fs[0], vr, pc, desc)
						checked[kind]++
					}
				}
			}
			t.Logf("checked %v", checked)
			want := []string{"static", "list", "register", "optimized out"}
			if v == testtarget.CO0 {
				want = []string{"static", "fbreg"}
			}
			for _, k := range want {
				if checked[k] == 0 {
					t.Errorf("no location of kind %s was compared", k)
				}
			}
		})
	}
}

// checkLocation compares one variable's location with gdb's description
// and returns the kind of comparison made.
func checkLocation(t *testing.T, d *Data, f *Frame, v *Variable, pc uint64, desc string) string {
	t.Helper()
	env := Env{Ctx: recordingCtx{}} // the frame base is the function's: the CFA at -O0 and -O2
	if m := gdbStaticRE.FindStringSubmatch(desc); m != nil {
		loc, err := d.Location(v, f, pc, env)
		want, _ := strconv.ParseUint(m[1], 0, 64)
		if a, ok := loc.Addr(); err != nil || !ok || a != want {
			t.Errorf("at %#x: %s: %+v, %v; gdb says static at %#x", pc, v.Name, loc, err, want)
		}
		return "static"
	}
	if m := gdbFbregRE.FindStringSubmatch(desc); m != nil {
		loc, err := d.Location(v, f, pc, env)
		off, _ := strconv.ParseInt(m[1], 10, 64)
		if a, ok := loc.Addr(); err != nil || !ok || a != uint64(0x1000+off) {
			t.Errorf("at %#x: %s: %+v, %v; gdb says fbreg %d", pc, v.Name, loc, err, off)
		}
		return "fbreg"
	}
	if m := gdbTLSRE.FindStringSubmatch(desc); m != nil {
		loc, err := d.Location(v, f, pc, env)
		off, _ := strconv.ParseUint(m[1], 0, 64)
		if a, ok := loc.Addr(); err != nil || !ok || a != off {
			t.Errorf("at %#x: %s: %+v, %v; gdb says TLS offset %#x", pc, v.Name, loc, err, off)
		}
		return "tls"
	}
	if reg, ok := strings.CutPrefix(desc, "a variable in $"); ok {
		reg, _, _ = strings.Cut(reg, ",")
		loc, err := d.Location(v, f, pc, env)
		if err != nil || len(loc.Pieces) != 1 || loc.Pieces[0].Kind != InRegister || gdbRegNames[loc.Pieces[0].Reg] != reg {
			t.Errorf("at %#x: %s: %+v, %v; gdb says register %s", pc, v.Name, loc, err, reg)
		}
		return "register"
	}
	if strings.HasPrefix(desc, "optimized out.") {
		loc, err := d.Location(v, f, pc, env)
		if err != nil || !loc.OptimizedOut() {
			t.Errorf("at %#x: %s: %+v, %v; gdb says optimized out", pc, v.Name, loc, err)
		}
		return "optimized out"
	}
	if !strings.HasPrefix(desc, "multi-location:") {
		return "other: " + strings.SplitN(desc, "\n", 2)[0]
	}
	es, err := d.locList(v.u, v.loc)
	if err != nil {
		t.Errorf("at %#x: %s: %v", pc, v.Name, err)
		return "list"
	}
	ranges := gdbRangeRE.FindAllStringSubmatch(desc, -1)
	if len(ranges) != len(es) {
		t.Errorf("at %#x: %s: %d entries, gdb lists %d:\n%s", pc, v.Name, len(es), len(ranges), desc)
		return "list"
	}
	for i, m := range ranges {
		lo, _ := strconv.ParseUint(m[1], 0, 64)
		hi, _ := strconv.ParseUint(m[2], 0, 64)
		e := es[i]
		if e.lo != lo || e.hi != hi {
			t.Errorf("at %#x: %s: entry %d is [%#x, %#x), gdb says [%#x, %#x)", pc, v.Name, i, e.lo, e.hi, lo, hi)
			continue
		}
		lenv := env
		lenv.FrameBase = func() (uint64, error) { return d.frameBase(f, e.lo, env) }
		loc, err := Eval(e.expr, lenv)
		if err != nil {
			t.Errorf("at %#x: %s: entry %d: %v", pc, v.Name, i, err)
			continue
		}
		what := strings.TrimSpace(m[3])
		if strings.Contains(what, "-byte piece]") {
			// "a variable in $rsi [8-byte piece], and a variable in $rdx
			// [8-byte piece], and ...": check the register pieces.
			for k, part := range strings.Split(what, ", and ") {
				pm := gdbPieceRE.FindStringSubmatch(part)
				if pm == nil {
					continue
				}
				n, _ := strconv.ParseInt(pm[2], 10, 64)
				if k >= len(loc.Pieces) || loc.Pieces[k].Kind != InRegister || gdbRegNames[loc.Pieces[k].Reg] != pm[1] || loc.Pieces[k].Size != n {
					t.Errorf("at %#x: %s: entry %d is %+v, gdb says piece %d is %s", pc, v.Name, i, loc, k, part)
				}
			}
			continue
		}
		if reg, ok := strings.CutPrefix(what, "a variable in $"); ok {
			p := loc.Pieces[0]
			if len(loc.Pieces) != 1 || p.Kind != InRegister || p.Reg >= len(gdbRegNames) || gdbRegNames[p.Reg] != reg {
				t.Errorf("at %#x: %s: entry %d is %+v, gdb says register %s", pc, v.Name, i, loc, reg)
			}
		}
		if c, ok := strings.CutPrefix(what, "the constant "); ok {
			want, _ := strconv.ParseInt(c, 10, 64)
			p := loc.Pieces[0]
			if len(loc.Pieces) != 1 || p.Kind != Implicit || int64(binary.LittleEndian.Uint64(p.Bytes)) != want {
				t.Errorf("at %#x: %s: entry %d is %+v, gdb says constant %d", pc, v.Name, i, loc, want)
			}
		}
	}
	return "list"
}

// TestGlobalLocations compares the locations of file-scope variables with
// gdb's info address: static storage at an address (plus the load bias),
// and a thread-local's offset in the executable's TLS block.
func TestGlobalLocations(t *testing.T) {
	d, bin := openTarget(t, "c/typed", testtarget.CO0)
	names := []string{"global_counter", "global_grid", "global_order", "tls_counter"}
	var cmds []string
	for _, n := range names {
		cmds = append(cmds, "info address "+n)
	}
	out := gdbBatch(t, bin, cmds)
	staticRE := regexp.MustCompile(`is static storage at address (0x[0-9a-f]+)\.`)
	const bias = 0x555555554000
	env := Env{Ctx: recordingCtx{}, Bias: bias}
	for i, n := range names {
		vs, err := d.Globals(n)
		if err != nil || len(vs) != 1 {
			t.Fatalf("Globals(%q): %v, %v", n, vs, err)
		}
		loc, err := d.Location(vs[0], nil, 0, env)
		a, ok := loc.Addr()
		if err != nil || !ok {
			t.Errorf("%s: %+v, %v", n, loc, err)
			continue
		}
		if m := staticRE.FindStringSubmatch(out[i]); m != nil {
			want, _ := strconv.ParseUint(m[1], 0, 64)
			if a != want+bias {
				t.Errorf("%s at %#x, gdb says %#x (+ bias %#x)", n, a, want, bias)
			}
		} else if m := gdbTLSRE.FindStringSubmatch(strings.TrimPrefix(out[i], `Symbol "`+n+`" is `)); m != nil {
			want, _ := strconv.ParseUint(m[1], 0, 64)
			if a != want {
				t.Errorf("%s at TLS offset %#x, gdb says %#x", n, a, want)
			}
		} else {
			t.Errorf("gdb info address %s: %s", n, out[i])
		}
	}
}
