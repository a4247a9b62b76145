package builtins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"stardbg/internal/testtarget"
	"stardbg/script"
)

// goDropped are the variables of go/gotyped's typed() that the optimized
// build may not have at the call of probe: Go keeps no register across a
// call, and the compiler describes these by registers only, or in part
// (str() says <optimized out> and .value fails), or folds them away
// entirely (the DWARF has no variable of that name in typed(), and
// frame.var fails with "no variable"). Which of them it drops moves with
// the code around them; where one is present it must be right. Every
// other variable must be present and right. staleAtCall are those whose
// DWARF location at the call is a stack slot the compiler no longer
// writes: their value reads as garbage (Delve 1.27.2 reads the same:
// "could not resolve interface type"), so the test only requires that
// reading them does not fail the script.
var (
	goDropped = []string{"anyInt", "anyVal", "bs", "emptySlice", "errVal", "i", "items", "nilSlice",
		"s", "shape", "upper", "anyPtr", "anyNil", "arr", "empty", "errNil", "f", "nilChan", "nilFunc", "nilMap",
		"ok", "r", "u8", "z", "z64"}
	staleAtCall = []string{"errSet"}
)

// typedValues stops go/gotyped (variant v) at its probe and returns
// json.encode(frame.var(name).value) of every local of typed() (frame 1),
// "<optimized out>" for one absent at the pc, and the globals main.config
// and main.counter, with what the program printed, by name.
func typedValues(t *testing.T, v testtarget.Variant) (got, want map[string]string) {
	t.Helper()
	bin := testtarget.Build(t, "go/gotyped", v)
	out := filepath.Join(t.TempDir(), "stdout")
	stale := "[]"
	if v == testtarget.Go {
		stale = starlarkList(staleAtCall)
	}
	got = map[string]string{}
	record := func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name, text string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "text", &text); err != nil {
			return nil, err
		}
		got[name] = text
		return starlark.None, nil
	}
	src := fmt.Sprintf(`
p = launch([%q], stdout = %q)
p.break_at("main.probe")
ev = p.run()
f = ev.thread.frame(1)
if f.function != "main.typed":
    fail("frame 1 is %%s" %% f.function)
locals = {v.name: v for v in f.locals()}
for line in read(%q).split("\n"):
    words = line.split(" ")
    if words[0] == "global":
        record(words[1], json.encode(p.var(words[1]).value))
    if words[0] != "var":
        continue
    name = words[1]
    if name not in locals:
        record(name, "<not in DWARF>")
        continue
    if str(locals[name]) == "<optimized out>":
        record(name, "<optimized out>")
    elif name in %s:
        record(name, "stale " + str(locals[name]))
    else:
        record(name, json.encode(f.var(name).value))
p.kill()
`, bin, out, out, stale)
	if err := execScript(t, "gotyped.star", src, sessionOptions{extra: map[string]builtinFn{"record": record}}); err != nil {
		t.Fatal(script.FormatError(err))
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		kind, rest, _ := strings.Cut(line, " ")
		name, js, _ := strings.Cut(rest, " ")
		if kind == "var" || kind == "global" {
			want[name] = js
		}
	}
	return got, want
}

func starlarkList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// sameJSON reports whether two JSON texts hold the same value (numbers
// compared as numbers: Starlark writes 2.0 where Go writes 2).
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestGoValuesMatchProgram checks value.value of every variable of
// go/gotyped's typed() (and two globals) against the JSON the program
// printed of the same values, in the unoptimized build (every variable)
// and in the default optimized one, where the variables the compiler
// dropped at the call must say <optimized out> and the others must be
// right.
func TestGoValuesMatchProgram(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.GoNoOpt, testtarget.Go} {
		t.Run(v.String(), func(t *testing.T) {
			got, want := typedValues(t, v)
			if len(want) != 37 {
				t.Fatalf("the program printed %d values, want 37", len(want))
			}
			var names []string
			for name := range want {
				names = append(names, name)
			}
			sort.Strings(names)
			dropped := map[string]bool{}
			stale := map[string]bool{}
			if v == testtarget.Go {
				for _, n := range goDropped {
					dropped[n] = true
				}
				for _, n := range staleAtCall {
					stale[n] = true
				}
			}
			compared, dropCount := 0, 0
			for _, name := range names {
				g, ok := got[name]
				switch {
				case !ok:
					t.Errorf("%s: not read", name)
				case stale[name]:
				case (g == "<not in DWARF>" || g == "<optimized out>") && !dropped[name]:
					t.Errorf("%s: %s, want %s", name, g, want[name])
				case g == "<not in DWARF>" || g == "<optimized out>":
					dropCount++
				case name == "big":
					// .value holds the first 1000 entries of the 10,000.
					var gm, wm map[string]any
					json.Unmarshal([]byte(g), &gm)
					json.Unmarshal([]byte(want[name]), &wm)
					if len(gm) != 1000 || len(wm) != 10000 {
						t.Errorf("big: %d entries in .value, %d printed; want 1000 and 10000", len(gm), len(wm))
					}
					for k, x := range gm {
						if wm[k] != x {
							t.Errorf("big[%s] = %v, the program has %v", k, x, wm[k])
						}
					}
					compared++
				case !sameJSON(g, want[name]):
					t.Errorf("%s:\n stardbg %s\n program %s", name, g, want[name])
				default:
					compared++
				}
			}
			t.Logf("%d of %d values compared equal, %d dropped by the compiler", compared, len(names), dropCount)
			if compared < len(names)-len(goDropped)-len(staleAtCall) {
				t.Errorf("only %d values compared", compared)
			}
		})
	}
}
