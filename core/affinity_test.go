package core

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// TestLaunchedAffinity: a launched program may run on the CPUs stardbg may
// run on, as it would untraced, although it is forked from the tracer thread,
// which is pinned to one CPU; and the tracer stays pinned after the launch.
// (On a machine with one CPU the comparison cannot tell; it still holds.)
func TestLaunchedAffinity(t *testing.T) {
	bin := testtarget.Build(t, "c/affinity", testtarget.Default)
	want := runPlain(t, bin)
	e := newEngine(t)
	tracerMask := func() unix.CPUSet {
		var set unix.CPUSet
		var err error
		e.Do(func() { err = unix.SchedGetaffinity(0, &set) })
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	before := tracerMask()
	for i := 0; i < 2; i++ { // the second launch checks that the pin came back between them
		p := launch(t, e, bin)
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		ev, err := p.Wait(30 * time.Second)
		if err != nil || ev.Kind != EventExited || ev.Status != 0 {
			t.Fatalf("wait: %v %v, want the exit with status 0", ev, err)
		}
		if got := p.output(t); got != want {
			t.Fatalf("launch %d printed %q, untraced %q", i, got, want)
		}
		if after := tracerMask(); after != before {
			t.Fatalf("the tracer thread's mask changed from %v to %v (%d CPUs to %d)", before, after, before.Count(), after.Count())
		}
	}
}
