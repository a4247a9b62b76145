package builtins

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"stardbg/core/uprobe"
)

// TestTracepointLostWarning has records lost (a ring of one page that
// nothing reads until hotloop stops at its exit) and checks the warning
// stardbg run prints at the end, which names the tracepoint and the number.
func TestTracepointLostWarning(t *testing.T) {
	if err := uprobe.Supported(); err != nil {
		t.Skipf("tracepoints are not available here: %v", err)
	}
	extra := map[string]builtinFn{
		"small_ring": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p *Process
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "p", &p); err != nil {
				return nil, err
			}
			return starlark.None, p.p.SetTraceRingSize(4096)
		},
		// wait_exit_stop waits until the process is in a ptrace stop: hotloop's
		// only one after main is at its exit.
		"wait_exit_stop": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var pid int
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pid", &pid); err != nil {
				return nil, err
			}
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				if _, rest, ok := strings.Cut(string(st), ") "); ok && strings.HasPrefix(rest, "t") {
					return starlark.None, nil
				}
			}
			return nil, fmt.Errorf("wait_exit_stop: process %d never stopped", pid)
		},
	}
	src := `
p = launch([own_copy(target("c/hotloop")), "100000"], stdout="null")
p.break_at("main", once=True)
assert.eq(p.run().kind, "breakpoint")
small_ring(p)
tp = p.tracepoint("hot", on_hit=lambda rec: None)
p.cont()
wait_exit_stop(p.pid)
assert.eq(p.wait_stop().kind, "exited")
assert.eq(tp.hits, 100000)
assert.true(tp.lost > 99000, "lost %d" % tp.lost)
print(tp.lost)
`
	var warnings []string
	err := execScript(t, "lost.star", src, sessionOptions{extra: extra, warn: func(msg string) { warnings = append(warnings, msg) }})
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^warning: tracepoint 2 at hot at hotloop\.c:\d+ lost (\d+) records: its on_hit fell behind the program and the ring buffer was full$`)
	if len(warnings) != 1 || !want.MatchString(warnings[0]) {
		t.Fatalf("warnings %q, want one that matches %s", warnings, want)
	}
}
