package core

import (
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// A storm of posix_spawn and system() children, each sharing the memory until
// it execs, while other threads hit a counting breakpoint whose callback
// toggles a breakpoint on execve, which the children run: every hit is
// counted, and no child dies of an int3 (the program checks the status of
// each one).
func TestVforkStorm(t *testing.T) {
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "spawn", "3", "150")
	execs := 0
	execve, err := p.BreakAt("libc.so.6:execve", func(*Thread, *Breakpoint) bool { execs++; return false })
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	var cbErr error
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool {
		hits++
		var err error
		switch {
		case hits%2000 == 0:
			// Set and cleared from the callback, as well as toggled.
			if err = execve.Clear(); err == nil {
				execve, err = p.BreakAt("libc.so.6:execve", func(*Thread, *Breakpoint) bool { execs++; return false })
			}
		case hits%64 == 0:
			err = execve.Disable()
		case hits%64 == 32:
			err = execve.Enable()
		}
		if err != nil && cbErr == nil {
			cbErr = err
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if cbErr != nil {
		t.Fatal(cbErr)
	}
	out := p.output(t)
	t.Logf("%d hits, %d children ran execve at a breakpoint; %s", hits, execs, out)
	if kv(t, out, "failed") != "0" {
		t.Fatalf("children failed:\n%s", out)
	}
	if calls := kv(t, out, "calls"); calls != strconv.Itoa(hits) {
		t.Fatalf("%d hits, the program made %s calls", hits, calls)
	}
}

// A clone(CLONE_VM|SIGCHLD) child runs the breakpoints of its parent, whose
// memory it is: its hits count with the parent's, the breakpoint still works
// when it has exited, and it exits 0.
func TestCloneVM(t *testing.T) {
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	hits, out := countHits(t, bin, "hot", "clone", "10000")
	if kv(t, out, "child_status") != "0" || kv(t, out, "child_calls") != "10000" {
		t.Fatalf("child: %s", out)
	}
	if calls := kv(t, out, "calls"); calls != "30000" || hits != 30000 {
		t.Fatalf("%d hits, the program made %s calls, want 30000", hits, calls)
	}
}
