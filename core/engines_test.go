package core

import (
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// Two engines in one process, each attaching to programs that this process
// started with os/exec (on whatever OS thread, maybe one that becomes the
// other engine's tracer thread later): neither sees the other's stops, so
// neither waits forever; and the programs' own waiters still get their exit.
func TestConcurrentEngines(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	hotthreads := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	defer watchdog(t, 5*time.Minute)()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- attachRounds(sleeper, hotthreads, scale(60, 600))
		}()
	}
	// Meanwhile programs run and end outside the debugger: their exit status
	// is theirs, not the engines'.
	for i := 0; i < scale(50, 500); i++ {
		if err := exec.Command("true").Run(); err != nil {
			t.Fatalf("a program run beside the engines: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// attachRounds attaches to a fresh sleeper and launches hotthreads in a new
// engine, lets both hit breakpoints for a while, and ends the engine.
func attachRounds(sleeper, hotthreads string, rounds int) error {
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(sleeper, "0", "2")
		if err := cmd.Start(); err != nil {
			return err
		}
		err := func() error {
			e := NewEngine()
			defer e.Close()
			p, err := e.Attach(cmd.Process.Pid)
			if err != nil {
				return err
			}
			lp, err := e.Launch(LaunchConfig{Path: hotthreads, Args: []string{hotthreads, "2", "100000000"}})
			if err != nil {
				return err
			}
			for _, p := range []*Process{p, lp} {
				if _, err := p.BreakAt("hot", func(*Thread, *Breakpoint) bool { return false }); err != nil {
					return err
				}
				if err := p.Continue(); err != nil {
					return err
				}
			}
			for _, p := range []*Process{p, lp} {
				ev, err := p.Wait(20 * time.Millisecond)
				if err != nil {
					return err
				}
				if ev.Kind != EventTimeout {
					return fmt.Errorf("round %d: %s: %v, want a timeout", round, p.Exe(), ev)
				}
			}
			return nil
		}()
		cmd.Process.Kill()
		cmd.Wait()
		if err != nil {
			return err
		}
	}
	return nil
}

// OnTracer is true on an engine's own tracer thread only: not on the caller's
// goroutine, not on another engine's tracer, and not after Close.
func TestOnTracer(t *testing.T) {
	a, b := NewEngine(), newEngine(t)
	if a.OnTracer() {
		t.Fatal("OnTracer is true on the test goroutine")
	}
	var inA, bInA, aInB bool
	a.Do(func() { inA, bInA = a.OnTracer(), b.OnTracer() })
	b.Do(func() { aInB = a.OnTracer() })
	if !inA || bInA || aInB {
		t.Fatalf("in a.Do: a %v, b %v; in b.Do: a %v; want true, false, false", inA, bInA, aInB)
	}
	a.Close()
	if a.OnTracer() {
		t.Fatal("OnTracer is true after Close")
	}
	for range 100 { // goroutines that may get the ended tracer's g
		done := make(chan bool)
		go func() { done <- a.OnTracer() }()
		if <-done {
			t.Fatal("OnTracer is true on a new goroutine after Close")
		}
	}
}

// After Close, a process's methods report it ended instead of panicking.
func TestMethodsAfterClose(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	e := NewEngine()
	p := launch(t, e, bin, "1000000")
	th, hot := p.MainThread(), symAddr(t, p.Process, bin, "hot")
	e.Close()
	if _, err := th.Regs(); err == nil {
		t.Error("Regs after Close: no error")
	}
	var b [8]byte
	if _, err := p.ReadMemory(hot, b[:]); err == nil {
		t.Error("ReadMemory after Close: no error")
	}
	if err := p.Continue(); err == nil {
		t.Error("Continue after Close: no error")
	}
	if _, err := p.SetBreakpoint(0x1000, nil); err == nil {
		t.Error("SetBreakpoint after Close: no error")
	}
	if p.State() != Killed {
		t.Errorf("state %v after Close, want killed", p.State())
	}
	if _, err := e.Launch(LaunchConfig{Path: bin, Args: []string{bin}}); err == nil {
		t.Error("Launch after Close: no error")
	}
}
