package core

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

func TestThreadEvents(t *testing.T) {
	bin := testtarget.Build(t, "c/threadchurn", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "50", "4")
	created, exited := map[int]bool{}, map[int]bool{}
	twice := 0
	p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
		switch ev.Kind {
		case EventThreadCreate:
			if created[ev.NewThread.Tid()] {
				twice++
			}
			created[ev.NewThread.Tid()] = true
			// The new thread is known and stopped before its first instruction.
			if _, err := ev.NewThread.Regs(); err != nil {
				t.Errorf("new thread's registers: %v", err)
			}
		case EventThreadExit:
			if exited[ev.Tid] {
				twice++
			}
			exited[ev.Tid] = true
		}
		return false
	}})
	if ev := runToEnd(t, p.Process); ev.Kind != EventExited {
		t.Fatalf("end: %v", ev)
	}
	out := p.output(t)
	started, _ := strconv.Atoi(kv(t, out, "started"))
	joined, _ := strconv.Atoi(kv(t, out, "joined"))
	if started != 200 || len(created) != started || len(exited) != joined || twice != 0 {
		t.Fatalf("target: started=%d joined=%d; events: created %d exited %d, %d twice", started, joined, len(created), len(exited), twice)
	}
}

// The tracer-thread rule: ptrace from another OS thread fails, the engine's API
// from that same thread works.
func TestTracerThreadAffinity(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "10")
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if e.OnTracer() {
			done <- nil
			return
		}
		var regs unix.PtraceRegs
		if err := unix.PtraceGetRegs(p.Pid(), &regs); err != unix.ESRCH {
			done <- errorf("raw PTRACE_GETREGS from another thread: %v, want ESRCH", err)
			return
		}
		r, err := p.MainThread().Regs()
		if err != nil || r.Rip == 0 {
			done <- errorf("engine Regs from another thread: %#x %v", r.Rip, err)
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestMultipleProcesses(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	e := newEngine(t)
	a, b := launch(t, e, bin, "300"), launch(t, e, bin, "500")
	var na, nb int
	a.SetBreakpoint(symAddr(t, a.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { na++; return false })
	b.SetBreakpoint(symAddr(t, b.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { nb++; return false })
	a.Continue()
	b.Continue()
	for _, p := range []*launched{a, b} {
		if ev, err := p.Wait(30 * time.Second); err != nil || ev.Kind != EventExited {
			t.Fatalf("%v %v", ev, err)
		}
	}
	if na != 300 || nb != 500 {
		t.Fatalf("hits %d and %d, want 300 and 500", na, nb)
	}
}

func TestWaitTimeoutAndStop(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "0", "3")
	p.Continue()
	ev, err := p.Wait(200 * time.Millisecond)
	if err != nil || ev.Kind != EventTimeout {
		t.Fatalf("%v %v, want a timeout", ev, err)
	}
	for _, th := range p.Threads() {
		if th.State() != "stopped" {
			t.Fatalf("thread %d is %s after the timeout", th.Tid(), th.State())
		}
	}
	// Stop from another goroutine while Wait blocks.
	p.Continue()
	go func() { time.Sleep(100 * time.Millisecond); p.Stop() }()
	ev, err = p.Wait(0)
	if err != nil || ev.Kind != EventStopped {
		t.Fatalf("%v %v, want stopped", ev, err)
	}
	// A late timer must not leak into the next wait: continue and stop again.
	p.Continue()
	ev, err = p.Wait(300 * time.Millisecond)
	if err != nil || ev.Kind != EventTimeout {
		t.Fatalf("%v %v, want a timeout", ev, err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(p.Pid())); err == nil {
		t.Fatal("process still exists after Kill")
	}
	if _, err := p.Wait(0); err == nil {
		t.Fatal("wait on a killed process succeeded")
	}
}
