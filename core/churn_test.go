package core

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// noESRCH fails the test on any error, saying so when it is the ESRCH of a
// thread the engine lost track of.
func noESRCH(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, unix.ESRCH) || strings.Contains(err.Error(), "no such process") {
		t.Fatalf("%s: ESRCH surfaced: %v", what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// checkAllStopped checks a process that Wait reported stopped: every task in
// /proc is a thread the engine knows, and every thread it lists as stopped is
// in a ptrace-stop and has registers.
func checkAllStopped(t *testing.T, p *Process) {
	t.Helper()
	known := map[int]*Thread{}
	for _, th := range p.Threads() {
		known[th.Tid()] = th
	}
	for _, tid := range listTasks(p.Pid()) {
		if known[tid] == nil && tid != p.Pid() {
			t.Fatalf("task %d of process %d is not known to the engine", tid, p.Pid())
		}
	}
	for tid, th := range known {
		switch st := th.State(); st {
		case "stopped":
			if s := taskState(p.Pid(), tid); s != 't' && s != 0 {
				t.Fatalf("thread %d is listed as stopped but its state is %q", tid, s)
			}
			_, err := th.Regs()
			noESRCH(t, fmt.Sprintf("regs of thread %d", tid), err)
		case "exiting":
		default:
			t.Fatalf("thread %d is %s while the process is stopped", tid, st)
		}
	}
}

// Threads come and go as fast as the program can make them while the test
// stops it (Stop from another goroutine, a Wait timeout, a breakpoint), sets
// and clears breakpoints (also while it runs) and continues it, 100 times
// (1000 with STARDBG_STRESS=1). Nothing hangs, every thread is reported
// created once and exited once, no call fails with ESRCH, a counting
// breakpoint counts every call, and the program's output is right.
func TestThreadChurnStopAndGo(t *testing.T) {
	bin := testtarget.Build(t, "c/threadchurn", testtarget.Default)
	cycles := scale(100, 1000)
	const perRound = 4
	rounds := scale(2000, 20000)
	defer watchdog(t, time.Duration(scale(3, 20))*time.Minute)()

	e := newEngine(t)
	p := launch(t, e, bin, strconv.Itoa(rounds), strconv.Itoa(perRound))
	// Tids are reused once the pid space wraps: a tid is live from its create
	// event to its exit event, and never reported created while live.
	live := map[int]bool{}
	created, exited := 0, 0
	p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
		switch ev.Kind {
		case EventThreadCreate:
			if live[ev.NewThread.Tid()] {
				t.Errorf("thread %d created twice", ev.NewThread.Tid())
			}
			live[ev.NewThread.Tid()] = true
			created++
		case EventThreadExit:
			if !live[ev.Tid] {
				t.Errorf("thread %d exited twice or without being created", ev.Tid)
			}
			delete(live, ev.Tid)
			exited++
		}
		return false
	}})
	hot := symAddr(t, p.Process, bin, "hot")
	worker := symAddr(t, p.Process, bin, "worker")
	hits := 0
	if _, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}

	kinds := map[EventKind]int{}
	done := 0
	for ; done < cycles; done++ {
		noESRCH(t, "continue", p.Continue())
		var ev *Event
		var err error
		switch done % 4 {
		case 0: // Stop from another goroutine while Wait blocks.
			stopped := make(chan struct{})
			go func() { p.Stop(); close(stopped) }()
			ev, err = p.Wait(time.Minute)
			<-stopped
		case 1: // A short Wait timeout.
			ev, err = p.Wait(time.Millisecond)
		case 2: // A breakpoint planted while the process runs stops it.
			bp, berr := p.SetBreakpoint(worker, func(*Thread, *Breakpoint) bool { return true })
			noESRCH(t, "set breakpoint while running", berr)
			ev, err = p.Wait(time.Minute)
			noESRCH(t, "clear breakpoint", bp.Clear())
		case 3: // A second owner of hot's int3 comes and goes while threads run into it.
			extra, berr := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { return false })
			noESRCH(t, "set breakpoint while running", berr)
			noESRCH(t, "clear breakpoint while running", extra.Clear())
			w, berr := p.SetBreakpoint(worker, func(*Thread, *Breakpoint) bool { return false })
			noESRCH(t, "set breakpoint while running", berr)
			noESRCH(t, "disable breakpoint while running", w.Disable())
			noESRCH(t, "clear breakpoint while running", w.Clear())
			ev, err = p.Wait(2 * time.Millisecond)
		}
		noESRCH(t, "wait", err)
		kinds[ev.Kind]++
		switch ev.Kind {
		case EventStopped, EventTimeout, EventBreakpoint:
			checkAllStopped(t, p.Process)
			continue
		case EventExited:
		default:
			t.Fatalf("cycle %d: unexpected event %v", done, ev)
		}
		break
	}
	for p.State() != Exited {
		noESRCH(t, "continue", p.Continue())
		ev, err := p.Wait(2 * time.Minute)
		noESRCH(t, "wait", err)
		switch {
		case ev.Kind == EventExited && ev.Status == 0:
		case ev.Kind == EventBreakpoint && ev.Breakpoint.Cleared():
			// A second thread's hit of the worker breakpoint, queued when the
			// first stopped the process, before the test cleared it.
		default:
			t.Fatalf("end: %v", ev)
		}
	}
	if done < cycles {
		t.Fatalf("the program ended after %d stop-and-go cycles, want %d: give it more rounds", done, cycles)
	}
	out := p.output(t)
	n := rounds * perRound
	want := fmt.Sprintf("started=%d joined=%d checksum=%d\n", n, n, 3*n*(n-1)/2+n)
	if out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
	if created != n || exited != n || len(live) != 0 || hits != n {
		t.Fatalf("%d threads started: %d create events, %d exit events (%d threads left), %d hits of hot", n, created, exited, len(live), hits)
	}
	t.Logf("%d stop-and-go cycles (%v), %d threads, %d hits", done, kinds, n, hits)
}

// trappedAt waits until some thread of p has run into the int3 at one of
// addrs and sits in a ptrace-stop that the engine has not collected yet
// (nobody waits): its /proc syscall file says it is not in a system call, at
// pc addr+1. When it gives up, it logs where each thread is.
func trappedAt(t *testing.T, p *Process, addrs ...uint64) bool {
	t.Helper()
	want := map[string]bool{}
	for _, a := range addrs {
		want[fmt.Sprintf("%#x", a+1)] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, tid := range listTasks(p.Pid()) {
			if taskState(p.Pid(), tid) != 't' {
				continue
			}
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/syscall", p.Pid(), tid))
			if f := strings.Fields(string(b)); len(f) == 3 && f[0] == "-1" && want[f[2]] {
				return true
			}
		}
		runtime.Gosched()
	}
	for _, tid := range listTasks(p.Pid()) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/syscall", p.Pid(), tid))
		t.Logf("thread %d: state %c, syscall %s", tid, taskState(p.Pid(), tid), strings.TrimSpace(string(b)))
	}
	return false
}

// A breakpoint cleared while the process runs may already have trapped a
// thread whose stop the engine has not seen: that thread must go back to the
// restored instruction, not receive a SIGTRAP that kills the program.
func TestClearWhileThreadsTrapped(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	defer watchdog(t, 2*time.Minute)()
	e := newEngine(t)
	p := launch(t, e, bin, "4", "50000000")
	hot := symAddr(t, p.Process, bin, "hot")
	n := 0
	warm, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { n++; return n == 2000 })
	if err != nil {
		t.Fatal(err)
	}
	noESRCH(t, "continue", p.Continue())
	waitKind(t, p.Process, EventBreakpoint)
	warm.Clear()
	noESRCH(t, "continue", p.Continue())
	raced := 0
	for i := 0; i < scale(20, 200) && p.State() == Running; i++ {
		bp, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { return false })
		noESRCH(t, "set breakpoint while running", err)
		if trappedAt(t, p.Process, hot) {
			raced++
		}
		noESRCH(t, "clear breakpoint while running", bp.Clear())
	}
	if raced == 0 {
		t.Fatal("no thread ever ran into the breakpoint: the test did not test anything")
	}
	t.Logf("%d times a thread had run into a breakpoint when it was cleared", raced)
	go p.Stop()
	ev, err := p.Wait(time.Minute)
	noESRCH(t, "wait", err)
	if ev.Kind != EventStopped && ev.Kind != EventExited {
		t.Fatalf("after clearing breakpoints that threads had run into: %v, want stopped", ev)
	}
	if ev.Kind != EventExited {
		runToSuccess(t, p.Process)
	}
	p.sameChecksum(t)
}
