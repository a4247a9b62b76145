package builtins

import (
	"fmt"
	"testing"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/internal/testtarget"
	"stardbg/script"
)

// BenchmarkCallback measures a breakpoint hit with a Starlark callback, through
// the whole API: the trap, the callback, the step-over and the continue.
func BenchmarkCallback(b *testing.B) {
	for _, tc := range []struct{ name, body string }{
		{"empty", "None"},
		{"arg_peek", "[t.arg(0), p.peek(t.sp, 16)] and None"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin := testtarget.Build(b, "c/hotloop", testtarget.Default)
			src := fmt.Sprintf(`
p = launch([%q, "%d"], stdout="null")
bp = p.break_at("hot", on_hit=lambda t, bp: %s)
ev = p.run()
if ev.kind != "exited" or bp.hits != %d:
    fail("%%s after %%d hits" %% (ev, bp.hits))
`, bin, b.N, tc.body, b.N)
			eng := core.NewEngine()
			defer eng.Close()
			env := NewEnv(eng)
			sess := script.NewSession(script.Options{
				Predeclared: Predeclared(),
				Run:         eng.Do,
				InitThread:  func(th *starlark.Thread) { SetEnv(th, env) },
			})
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := sess.ExecFile("bench.star", src); err != nil {
				b.Fatal(script.FormatError(err))
			}
		})
	}
}
