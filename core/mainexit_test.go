package core

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// A launched program whose main thread calls pthread_exit reports that
// thread's exit when it happens, like any other thread's; the thread is not
// listed any more, the others run on, and the process's end comes when the
// last worker exits, with the status the program's parent would see.
func TestMainThreadExit(t *testing.T) {
	bin := testtarget.Build(t, "c/mainexit", testtarget.CO0)
	for _, kill := range []bool{false, true} {
		e := newEngine(t)
		p := launch(t, e, bin, "20000")
		var exits []int
		p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
			if ev.Kind == EventThreadExit {
				exits = append(exits, ev.Tid)
				return ev.Tid == p.Pid()
			}
			return false
		}})
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		ev := waitKind(t, p.Process, EventThreadExit)
		if ev.Tid != p.Pid() || ev.Status != 0 {
			t.Fatalf("first thread exit: %v, want the main thread's (%d) with status 0", ev, p.Pid())
		}
		// The engine let the main thread go on from its exit stop: the
		// kernel must make it a zombie without it running again (under load
		// that can take a moment, so wait for it with a deadline).
		if st := waitZombie(p.Pid(), p.Pid(), 5*time.Second); st != 'Z' && st != 'X' {
			t.Fatalf("main thread after its exit event: state %c, want a zombie", st)
		}
		// Every thread is stopped: the live tasks are the workers that have
		// not finished yet (under load, one may have finished already).
		var tids, live []int
		for _, th := range p.Threads() {
			tids = append(tids, th.Tid())
		}
		for _, tid := range listTasks(p.Pid()) {
			if st := taskState(p.Pid(), tid); st != 'Z' && st != 'X' {
				live = append(live, tid)
			}
		}
		slices.Sort(live)
		if len(tids) == 0 || slices.Contains(tids, p.Pid()) || !slices.Equal(tids, live) {
			t.Fatalf("threads after the main thread's exit: %v, want the live workers %v", tids, live)
		}
		if mt := p.MainThread(); mt == nil || mt.Tid() == p.Pid() {
			t.Fatalf("MainThread after its exit: %v, want a worker", mt)
		}
		if kill {
			if err := p.Kill(); err != nil {
				t.Fatal(err)
			}
			if sig, ok := p.ExitSignal(); !ok || sig != unix.SIGKILL {
				t.Fatalf("after Kill: state %v, signal %v; want killed by SIGKILL", p.State(), sig)
			}
			continue
		}
		end := runToEnd(t, p.Process)
		if end.Kind != EventExited || end.Status != 0 {
			t.Fatalf("end: %v, want exit status 0", end)
		}
		p.sameChecksum(t)
		main := 0
		for _, tid := range exits {
			if tid == p.Pid() {
				main++
			}
		}
		if main != 1 || len(exits) > 3 {
			t.Errorf("thread exits %v: want the main thread's once, and at most two workers'", exits)
		}
	}
}

// A thread that execs after the main thread called pthread_exit takes the
// main thread's tid: the exec is reported, and the new image runs to its end.
func TestMainThreadExitThenExec(t *testing.T) {
	bin := testtarget.Build(t, "c/mainexit", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "20000", "exec")
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev := waitKind(t, p.Process, EventExec)
	if ev.Thread == nil || ev.Thread.Tid() != p.Pid() {
		t.Fatalf("exec event %v, want it on thread %d", ev, p.Pid())
	}
	if end := runToEnd(t, p.Process); end.Kind != EventExited || end.Status != 0 {
		t.Fatalf("end: %v, want exit status 0", end)
	}
	if got, want := p.output(t), runPlain(t, bin, "20000", "exec"); got != want {
		t.Fatalf("output %q, untraced %q", got, want)
	}
}

// TestDetachedLaunchReaped checks that a launched process that the script
// detached is reaped when it ends: stardbg forked it, and without a wait
// it would stay a zombie for as long as stardbg runs.
func TestDetachedLaunchReaped(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.Default)
	p := launch(t, newEngine(t), bin, "1000")
	pid := p.Pid()
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return // reaped
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d was not reaped 30 s after its detach: %s", pid, st)
		}
		time.Sleep(time.Millisecond)
	}
}
