package dwarfvars

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// scopePCs returns addresses at which to compare scopes: the start of
// every function of the corpus's units, and the start and the last byte
// of each range of every block and inlined call in them.
func scopePCs(t *testing.T, d *Data) []uint64 {
	t.Helper()
	idx, err := d.names()
	if err != nil {
		t.Fatal(err)
	}
	var pcs []uint64
	d.mu.Lock()
	defer d.mu.Unlock()
	var walk func(s *scope)
	walk = func(s *scope) {
		for _, r := range s.ranges {
			pcs = append(pcs, r[0], r[1]-1)
		}
		for _, k := range s.kids {
			walk(k)
		}
	}
	for _, u := range idx.units {
		if !strings.Contains(u.name, "c/typed/") {
			continue
		}
		for _, r := range u.ranges {
			s, err := d.funcAt(u, r[0])
			if err != nil {
				t.Fatal(err)
			}
			if s != nil {
				walk(s)
			}
		}
		for _, f := range u.funcs {
			s, err := d.funcAt(u, f.lo)
			if err != nil {
				t.Fatal(err)
			}
			walk(s)
		}
	}
	return pcs
}

// scopeNames lists the variables in scope in frame f as gdb's info scope
// does: each enclosing block's, innermost first, then the function's
// parameters and locals.
func scopeNames(f *Frame) []string {
	var names []string
	for i, b := range f.Blocks {
		if i == len(f.Blocks)-1 {
			for _, v := range f.Params {
				names = append(names, v.Name)
			}
		}
		for _, v := range b {
			names = append(names, v.Name)
		}
	}
	return names
}

// TestScopesMatchGDB compares, at the start and end of every block and
// inlined call of the corpus, the variables of the innermost frame with
// gdb's "info scope *PC" on the same binary, which lists the symbols of
// the block at PC and of its enclosing blocks up to the function (or the
// inlined function) that contains it.
func TestScopesMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin := openTarget(t, "c/typed", v)
			pcs := scopePCs(t, d)
			if len(pcs) < 10 {
				t.Fatalf("only %d addresses to compare", len(pcs))
			}
			var cmds []string
			for _, pc := range pcs {
				cmds = append(cmds, fmt.Sprintf("info scope *%#x", pc))
			}
			out := gdbBatch(t, bin, cmds)
			inlined := 0
			for i, pc := range pcs {
				var want []string
				for _, l := range strings.Split(out[i], "\n") {
					name, rest, ok := strings.Cut(strings.TrimPrefix(l, "Symbol "), " is ")
					if ok && strings.HasPrefix(l, "Symbol ") && !strings.HasPrefix(rest, "a function") {
						want = append(want, name)
					}
				}
				fs, err := d.FramesAt(pc)
				if err != nil {
					t.Errorf("FramesAt(%#x): %v", pc, err)
					continue
				}
				if fs[0].Inlined {
					inlined++
				}
				got := scopeNames(fs[0])
				if v == testtarget.CO2NoFP {
					// gdb lists the variables of an inlined call in the
					// order of the concrete entries, which gcc does not
					// keep; stardbg lists them in declaration order
					// (TestFramesInlined checks it), so only the sets are
					// compared here.
					slices.Sort(got)
					slices.Sort(want)
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("at %#x in %s: got %q, gdb's info scope says %q", pc, fs[0].Function, got, want)
				}
			}
			if v == testtarget.CO2NoFP && inlined == 0 {
				t.Errorf("no address of -O2 code is in an inlined call")
			}
		})
	}
}

// TestFramesInlined checks that an address in an inlined call yields the
// inlined frame first, then the function that holds the code.
func TestFramesInlined(t *testing.T) {
	d, _ := openTarget(t, "c/typed", testtarget.CO2NoFP)
	found := false
	for _, pc := range scopePCs(t, d) {
		fs, err := d.FramesAt(pc)
		if err != nil {
			t.Fatal(err)
		}
		if fs[0].Function != "scaled" {
			continue
		}
		found = true
		if !fs[0].Inlined || len(fs) != 2 || fs[1].Function != "process" || fs[1].Inlined {
			t.Errorf("at %#x: frames %s", pc, frameNames(fs))
		}
		if want := testtarget.Line(t, "c/typed/typed.c", "scaled-call"); fs[0].CallLine != want {
			t.Errorf("at %#x: inlined call at line %d, want %d", pc, fs[0].CallLine, want)
		}
		if names := scopeNames(fs[0]); strings.Join(names, " ") != "v k product" {
			t.Errorf("at %#x: scaled's variables %q", pc, names)
		}
	}
	if !found {
		t.Fatal("no address in the inlined call of scaled")
	}
	if _, err := d.FramesAt(1); !errors.Is(err, ErrNoFunction) {
		t.Errorf("FramesAt(1): %v, want ErrNoFunction", err)
	}
}

func frameNames(fs []*Frame) string {
	var s []string
	for _, f := range fs {
		n := f.Function
		if f.Inlined {
			n += "(inlined)"
		}
		s = append(s, n)
	}
	return strings.Join(s, " > ")
}

// framesAtLine returns the frames at the first address of a tagged line
// of a source file of c/typed ("typed.c"), as gdb's info line finds it.
func framesAtLine(t *testing.T, d *Data, bin, file, tag string) []*Frame {
	t.Helper()
	line := testtarget.Line(t, "c/typed/"+file, tag)
	out := gdbBatch(t, bin, []string{fmt.Sprintf("info line %s:%d", file, line)})[0]
	_, rest, ok := strings.Cut(out, "address 0x")
	if !ok {
		t.Fatalf("gdb info line: %s", out)
	}
	var pc uint64
	fmt.Sscanf(rest, "%x", &pc)
	fs, err := d.FramesAt(pc)
	if err != nil {
		t.Fatalf("FramesAt(%#x) for line %d: %v", pc, line, err)
	}
	return fs
}

// TestLookupVar checks the lookup order: locals of the innermost block
// first, then parameters, then the statics of the frame's unit, then
// globals; and the error for an unknown name.
func TestLookupVar(t *testing.T) {
	d, bin := openTarget(t, "c/typed", testtarget.CO0)
	inner := framesAtLine(t, d, bin, "typed.c", "process-inner")[0]
	ret := framesAtLine(t, d, bin, "typed.c", "process-return")[0]
	base := framesAtLine(t, d, bin, "typed.c", "recurse-base")[0]
	opaque := framesAtLine(t, d, bin, "opaque.c", "opaque-new")[0]
	for _, c := range []struct {
		f         *Frame
		name      string
		kind      VarKind
		unit, typ string
	}{
		{inner, "step", Local, "typed.c", "int"}, // the block's, not the global
		{ret, "step", Global, "typed.c", "int"},  // the block is not in scope
		{inner, "o", Param, "typed.c", "order_t *"},
		{inner, "total", Local, "typed.c", "long"},
		{base, "calls", Local, "typed.c", "int"},         // a function's static
		{inner, "file_static", Static, "typed.c", "int"}, // the unit's static before opaque.c's global
		{opaque, "file_static", Global, "opaque.c", "int"},
		{opaque, "opaque_count", Static, "opaque.c", "int"},
		{inner, "global_order", Global, "typed.c", "order_t *"},
		{opaque, "global_order", Global, "typed.c", "order_t *"},
		{inner, "tls_counter", Global, "typed.c", "int"},
	} {
		v, err := d.LookupVar(c.f, c.name)
		if err != nil {
			t.Errorf("%s: LookupVar(%q): %v", c.f.Function, c.name, err)
			continue
		}
		if v.Name != c.name || v.Kind != c.kind || !strings.HasSuffix(v.Unit, "/"+c.unit) || v.Type.String() != c.typ || !v.HasLocation() {
			t.Errorf("%s: LookupVar(%q) = %s %s %s of %s (location %v), want %s %s of %s",
				c.f.Function, c.name, v.Kind, v.Type, v.Name, v.Unit, v.HasLocation(), c.kind, c.typ, c.unit)
		}
	}

	_, err := d.LookupVar(inner, "opaque_count")
	var nf *NotFoundError
	if !errors.As(err, &nf) || err.Error() != `no variable "opaque_count" in scope` {
		t.Errorf("opaque.c's static from typed.c: %v", err)
	}
	_, err = d.LookupVar(inner, "totl")
	if err == nil || err.Error() != `no variable "totl" in scope (did you mean "total"?)` {
		t.Errorf("LookupVar(totl): %v", err)
	}
	_, err = d.LookupVar(inner, "global_countr")
	if err == nil || err.Error() != `no variable "global_countr" in scope (did you mean "global_counter"?)` {
		t.Errorf("LookupVar(global_countr): %v", err)
	}

	gs, err := d.Globals("file_static")
	if err != nil || len(gs) != 2 {
		t.Fatalf("Globals(file_static): %v, %v", gs, err)
	}
	kinds := map[string]VarKind{}
	for _, g := range gs {
		kinds[g.Unit[strings.LastIndex(g.Unit, "/")+1:]] = g.Kind
	}
	if kinds["typed.c"] != Static || kinds["opaque.c"] != Global {
		t.Errorf("Globals(file_static): %v", kinds)
	}
}

// TestFramesAtCached checks that the frames of a pc are made once: a
// breakpoint's callback asks for them on every hit.
func TestFramesAtCached(t *testing.T) {
	d, _ := openTarget(t, "c/typed", testtarget.CO0)
	pc := scopePCs(t, d)[0]
	a, err := d.FramesAt(pc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.FramesAt(pc)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || len(a) != len(b) || a[0] != b[0] {
		t.Errorf("FramesAt(%#x) made new frames on the second call", pc)
	}
}
