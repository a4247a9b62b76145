package builtins

import (
	"os/exec"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"stardbg/internal/testtarget"
	"stardbg/script"
)

// TestFinishRetMatchesGDB finishes each function of c/stepper at its first
// call, as gdb's finish does after "tbreak NAME", and compares str() of the
// event's ret with gdb's "Value returned is $N = ..." (an int, a long, a
// double, a struct in registers, a struct in memory), and a void function's
// None with gdb's printing none.
func TestFinishRetMatchesGDB(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found: it is the oracle of finish's value (apt-get install gdb)")
	}
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			funcs := []string{"square", "fact", "half", "mkpair", "mkbig"}
			if v == testtarget.CO0 {
				// At -O2 the empty nothing is not called, and the
				// static sum3 is inlined.
				funcs = append(funcs, "nothing", "sum3")
			}
			bin := testtarget.Build(t, "c/stepper", v)
			cmds := []string{"set debug-file-directory /nonexistent"}
			for i, fn := range funcs {
				run := "continue"
				if i == 0 {
					run = "run"
				}
				cmds = append(cmds, "tbreak "+fn, run, "finish")
			}
			out := gdbPrints(t, bin, cmds)
			var want []starlark.Value
			for i := range funcs {
				val := "None"
				for _, l := range strings.Split(out[3+3*i], "\n") {
					if v, ok := strings.CutPrefix(l, "Value returned is $"); ok {
						_, val, _ = strings.Cut(v, " = ")
					}
				}
				want = append(want, starlark.String(val))
			}
			src := `
p = launch([target("c/stepper", variant())], stdout="null")
got = []
for fn in funcs():
    bp = p.break_at(fn, after_prologue=True)
    ev = p.run()
    assert.eq(ev.breakpoint, bp)
    bp.clear()
    ev = ev.thread.finish()
    assert.eq(ev.kind, "step")
    got.append(str(ev.ret))
assert.eq(got, gdb())
`
			err := execScript(t, "finish_gdb.star", src, sessionOptions{extra: map[string]builtinFn{
				"variant": constFn(starlark.String(v.String())),
				"funcs":   constFn(stringList(funcs)),
				"gdb":     constFn(starlark.NewList(want)),
			}})
			if err != nil {
				t.Fatal(script.FormatError(err))
			}
		})
	}
}

// constFn is a predeclared builtin of a test script that returns v.
func constFn(v starlark.Value) builtinFn {
	return func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return v, nil
	}
}
