package builtins

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"weak"

	"go.starlark.net/starlark"

	"stardbg/core"
)

// A script that launches programs in a loop runs in bounded memory: the env
// forgets each process once it has ended and the script no longer needs it,
// so that the process's values, core's included, are garbage; one the script
// keeps still reports how it ended.
func TestEndedProcessesForgotten(t *testing.T) {
	n := scale(30, 1000)
	var first weak.Pointer[core.Process]
	maxProcs, maxByCore := 0, 0
	src := fmt.Sprintf(`
kept = launch([target("c/hotloop"), "3"], stdout = "null")
assert.eq(kept.run().kind, "exited")
for i in range(%d):
    p = launch([target("c/hotloop"), "1"], stdout = "null")
    if i == 0:
        watch(p)
    p.break_at("hot")
    assert.eq(p.run().kind, "breakpoint")
    assert.eq(p.run().kind, "exited")
    count()
p = None
assert.true(collected(), "the first process of the loop is still referenced")
assert.eq(kept.state, "exited")
assert.eq(kept.exit_code, 0)
`, n)
	err := execScript(t, "loop.star", src, sessionOptions{extra: map[string]builtinFn{
		"watch": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p *Process
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "p", &p); err != nil {
				return nil, err
			}
			first = weak.Make(p.p)
			return starlark.None, nil
		},
		"count": func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			env := EnvOf(th)
			maxProcs = max(maxProcs, len(env.Processes()))
			maxByCore = max(maxByCore, len(env.byCore))
			return starlark.None, nil
		},
		"collected": func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			runtime.GC()
			return starlark.Bool(first.Value() == nil), nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Each launch forgets the processes that ended before it: at most the
	// last one ended and the new one are known.
	if maxProcs > 2 || maxByCore > 2 {
		t.Errorf("after %d launches the env knew up to %d processes (%d by core process), want at most 2", n+1, maxProcs, maxByCore)
	}
}

// The warnings about breakpoints that never fired survive their process being
// forgotten, up to maxEndedWarnings and a line that counts the others.
func TestEndedProcessesWarnings(t *testing.T) {
	n := maxEndedWarnings + 2
	var warnings []string
	err := execScript(t, "warn.star", fmt.Sprintf(`
for i in range(%d):
    p = launch([target("c/hotloop"), "1"], stdout = "null")
    p.break_at("libnothing:nothing_fn", pending = True)
    assert.eq(p.run().kind, "exited")
`, n), sessionOptions{warn: func(msg string) { warnings = append(warnings, msg) }})
	if err != nil {
		t.Fatal(err)
	}
	// The first n-1 processes were forgotten (100 warnings kept, 1 counted),
	// the last one is still known at the end.
	if len(warnings) != maxEndedWarnings+2 {
		t.Fatalf("%d warnings, want %d:\n%s", len(warnings), maxEndedWarnings+2, strings.Join(warnings, "\n"))
	}
	pending := regexp.MustCompile(`^warning: breakpoint 1 at libnothing:nothing_fn \(pending\) never fired: it was still pending when process \d+ ended \(exited\)$`)
	for i, w := range warnings {
		if i == maxEndedWarnings {
			if want := fmt.Sprintf("warning: 1 more breakpoints never fired in processes that ended (only the first %d are listed)", maxEndedWarnings); w != want {
				t.Errorf("warning %d: %q, want %q", i, w, want)
			}
		} else if !pending.MatchString(w) {
			t.Errorf("warning %d: %q, want one matching %s", i, w, pending)
		}
	}
}
