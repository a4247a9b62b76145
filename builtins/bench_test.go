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
// the whole API: the trap, the callback, the step-over and the continue. The
// on_return cases take the call's return instead (two traps a call, the
// return's callback reading the result or not): bench family r bounds
// their cost at twice the empty on_hit's.
func BenchmarkCallback(b *testing.B) {
	for _, tc := range []struct{ name, callback string }{
		{"empty", "on_hit=lambda t, bp: None"},
		{"arg_peek", "on_hit=lambda t, bp: [t.arg(0), p.peek(t.sp, 16)] and None"},
		{"on_return", "on_return=lambda t, bp, call: None"},
		{"on_return_ret", "on_return=lambda t, bp, call: call.ret.value and None"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin := testtarget.Build(b, "c/hotloop", testtarget.Default)
			runBench(b, fmt.Sprintf(`
p = launch([%q, "%d"], stdout="null")
bp = p.break_at("hot", %s)
ev = p.run()
if ev.kind != "exited" or bp.hits != %d:
    fail("%%s after %%d hits" %% (ev, bp.hits))
`, bin, b.N, tc.callback, b.N))
		})
	}
}

// BenchmarkCallbackBody measures what a callback's calls cost without the trap:
// the process stays stopped at a breakpoint while a Starlark loop makes them.
// "bench_star" is the body of bench/scripts/hits.star's "arg" callback.
func BenchmarkCallbackBody(b *testing.B) {
	for _, tc := range []struct{ name, body string }{
		{"loop", "None"},
		{"sp", "t.sp"},
		{"arg", "t.arg(0)"},
		{"peek16", "p.peek(sp, 16)"},
		{"bench_star", "c['argsum'] += t.arg(0, abi=abi); p.peek(t.sp, 16)"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin := testtarget.Build(b, "c/hotloop", testtarget.Default)
			runBench(b, fmt.Sprintf(`
p = launch([%q, "10"], stdout="null")
p.break_at("hot")
t = p.run().thread
sp, c, abi = t.sp, {"argsum": 0}, "c"
def body():
    for _ in range(%d):
        %s
body()
p.kill()
`, bin, b.N, tc.body))
		})
	}
}

// runBench runs a benchmark's script in a new session, timing all of it.
func runBench(b *testing.B, src string) {
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
}

// BenchmarkTypedRead measures, at a stop, the callbacks of bench family g:
// a struct field read by name through the frame's variables, and the same
// field read at its offset with peek_int (c/hotorder's o->qty).
func BenchmarkTypedRead(b *testing.B) {
	for _, tc := range []struct{ name, body string }{
		{"peek_int", "p.peek_int(t.arg(0) + 16, 4)"},
		{"frame", "t.frame() and 0"},
		{"frame_var_o", `t.frame().var("o") and 0`},
		{"frame_var", `t.frame().var("o").qty.value`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin := testtarget.Build(b, "c/hotorder", testtarget.Default)
			runBench(b, fmt.Sprintf(`
p = launch([%q, "10"], stdout="null")
p.break_at("hot")
t = p.run().thread
def body():
    for _ in range(%d):
        if %s != 0:
            fail("o->qty is not 0")
body()
p.kill()
`, bin, b.N, tc.body))
		})
	}
}

// BenchmarkTypedHit is BenchmarkTypedRead through breakpoint hits: the
// callback runs at every call of hot, on a new stop each time.
func BenchmarkTypedHit(b *testing.B) {
	for _, tc := range []struct{ name, body string }{
		{"peek_int", "p.peek_int(t.arg(0) + 16, 4)"},
		{"frame_var", `t.frame().var("o").qty.value`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bin := testtarget.Build(b, "c/hotorder", testtarget.Default)
			runBench(b, fmt.Sprintf(`
p = launch([%q, "%d"], stdout="null")
c = {"sum": 0}
def on_hit(t, bp):
    c["sum"] += %s
bp = p.break_at("hot", on_hit=on_hit)
ev = p.run()
if ev.kind != "exited" or bp.hits != %d or c["sum"] != %d:
    fail("%%s after %%d hits, sum %%d" %% (ev, bp.hits, c["sum"]))
`, bin, b.N, tc.body, b.N, b.N*(b.N-1)/2))
		})
	}
}
