package builtins

import (
	"testing"

	"go.starlark.net/starlark"

	"stardbg/script"
)

// TestCompleteString completes function names for break_at, lookup, disasm
// and a thread's until,
// as the REPL does for p.break_at("ho<TAB>, on the tracer thread, and the
// documented names for help("process.pe<TAB>.
func TestCompleteString(t *testing.T) {
	complete := func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var fn starlark.Value
		var prefix string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "prefix", &prefix); err != nil {
			return nil, err
		}
		var names []starlark.Value
		for _, n := range CompleteString(fn, prefix) {
			names = append(names, starlark.String(n))
		}
		return starlark.NewList(names), nil
	}
	src := `
p = launch([target("c/hotloop"), "1"], stdout="null")
assert.eq(complete(p.break_at, "ho"), ["hot"])
assert.eq(complete(p.tracepoint, "ho"), ["hot"])
assert.eq(complete(p.lookup, "ho"), ["hot"])
assert.eq(complete(p.disasm, "ho"), ["hot"])
assert.eq(complete(p.expect, "ho"), [])
assert.true("main" in complete(p.break_at, "ma"))
assert.eq(complete(p.break_at, "no_such_function"), [])
t = p.main_thread
assert.eq(complete(t.until, "ho"), ["hot"])
assert.eq(complete(t.next, "ho"), [])
assert.eq(complete(p.peek, "ho"), [])
assert.eq(complete(launch, "ho"), [])
assert.eq(complete("break_at", "ho"), [])
assert.eq(complete(help, "process.peek_"), ["process.peek_int", "process.peek_str"])
assert.true("launch" in complete(help, ""))
assert.eq(complete(help, "process.gorout"), ["process.goroutine", "process.goroutines"])
assert.eq(complete(help, "thread.gor"), ["thread.goroutine"])
assert.eq(complete(help, "goroutine.ba"), ["goroutine.backtrace"])
assert.eq(complete(p.catch_syscall, "opena"), ["openat", "openat2"])
p.catch_syscall(["write"])
sc = p.run().syscall
assert.eq(complete(sc.fail, "ENOS"), ["ENOSPC", "ENOSR", "ENOSTR", "ENOSYS"])
`
	err := execScript(t, "complete.star", src, sessionOptions{extra: map[string]builtinFn{"complete": complete}})
	if err != nil {
		t.Fatal(script.FormatError(err))
	}
}
