package core

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// checkKilled checks a process that ended by SIGKILL: every call returns at
// once, with an error where one is due, and the process is reaped.
func checkKilled(t *testing.T, p *Process) {
	t.Helper()
	if s := p.State(); s != Killed {
		t.Fatalf("state %v, want killed", s)
	}
	if sig, ok := p.ExitSignal(); !ok || sig != unix.SIGKILL {
		t.Fatalf("exit signal %v %v, want SIGKILL", sig, ok)
	}
	var ee *ExitedError
	if err := p.Continue(); !errors.As(err, &ee) || ee.Signal != unix.SIGKILL {
		t.Fatalf("continue after the kill: %v, want an ExitedError", err)
	}
	if ev, err := p.Wait(time.Second); !errors.As(err, &ee) {
		t.Fatalf("wait after the kill: %v %v, want an ExitedError", ev, err)
	}
	p.Stop()
	if err := p.Detach(); !errors.As(err, &ee) {
		t.Fatalf("detach after the kill: %v", err)
	}
	if err := p.Kill(); !errors.As(err, &ee) {
		t.Fatalf("kill after the kill: %v", err)
	}
	var b [8]byte
	if _, err := p.ReadMemory(0x1000, b[:]); !errors.As(err, &ee) {
		t.Fatalf("read after the kill: %v", err)
	}
	if _, err := p.SetBreakpoint(0x1000, nil); !errors.As(err, &ee) {
		t.Fatalf("breakpoint after the kill: %v", err)
	}
	if ths := p.Threads(); len(ths) != 0 {
		t.Fatalf("%d threads listed after the kill", len(ths))
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(p.Pid())); err == nil {
		t.Fatalf("process %d still exists: not reaped", p.Pid())
	}
}

// waitKilled waits for the end of a process that was sent SIGKILL.
func waitKilled(t *testing.T, p *Process) {
	t.Helper()
	ev, err := p.Wait(time.Minute)
	var ee *ExitedError
	switch {
	case err == nil && ev.Kind == EventKilled && ev.Signal == unix.SIGKILL:
	case errors.As(err, &ee) && ee.Signal == unix.SIGKILL:
	default:
		t.Fatalf("wait: %v %v, want a killed event", ev, err)
	}
	checkKilled(t, p)
}

// stepModes are the three ways of stepping over a breakpoint.
var stepModes = []struct {
	name                  string
	noEmulate, noDisplace bool
}{{"emulate", false, false}, {"displaced", true, false}, {"singlestep", true, true}}

// The program is SIGKILLed from outside while the test waits in Wait: in the
// middle of breakpoint hits (in each step-over mode), of thread creation, or
// while it sleeps. Wait returns a "killed" event, and nothing hangs.
func TestKilledFromOutsideWhileWaiting(t *testing.T) {
	defer watchdog(t, 5*time.Minute)()
	type target struct {
		name, bin string
		args      []string
		busy      func(t *testing.T, p *launched) *atomic.Int64 // sets things up; counts progress
		progress  int64                                         // kill once this much happened
	}
	hits := func(fn string, mode int) func(t *testing.T, p *launched) *atomic.Int64 {
		return func(t *testing.T, p *launched) *atomic.Int64 {
			var n atomic.Int64
			p.e.Do(func() { p.noEmulate, p.noDisplace = stepModes[mode].noEmulate, stepModes[mode].noDisplace })
			if _, err := p.BreakAt(fn, func(*Thread, *Breakpoint) bool { n.Add(1); return false }); err != nil {
				t.Fatal(err)
			}
			return &n
		}
	}
	var targets []target
	hotthreads := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	for i, m := range stepModes {
		targets = append(targets, target{"hotthreads/" + m.name, hotthreads, []string{"8", "100000000"}, hits("hot", i), 2000})
	}
	targets = append(targets,
		target{"hotgo", testtarget.Build(t, "go/hotgo", testtarget.Default), []string{"16", "100000000"}, hits("main.hot", 0), 2000},
		target{"threadchurn", testtarget.Build(t, "c/threadchurn", testtarget.Default), []string{"1000000"},
			func(t *testing.T, p *launched) *atomic.Int64 {
				var n atomic.Int64
				p.SetHooks(Hooks{OnEvent: func(ev *Event) bool { n.Add(1); return false }})
				return &n
			}, 200},
		target{"sleeper", testtarget.Build(t, "c/sleeper", testtarget.Default), []string{"0", "4"},
			func(t *testing.T, p *launched) *atomic.Int64 {
				var n atomic.Int64
				p.SetHooks(Hooks{OnEvent: func(ev *Event) bool { n.Add(1); return false }})
				return &n
			}, 4},
	)
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < scale(2, 20); i++ {
				p := launch(t, newEngine(t), tc.bin, tc.args...)
				progress := tc.busy(t, p)
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
				killed := make(chan error, 1)
				go func() {
					if !waitFor(time.Minute, func() bool { return progress.Load() >= tc.progress }) {
						killed <- fmt.Errorf("the program made no progress")
					}
					killed <- unix.Kill(p.Pid(), unix.SIGKILL)
				}()
				waitKilled(t, p.Process)
				if err := <-killed; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// A breakpoint callback kills its own program (and returns false, or true):
// Wait returns a "killed" event and nothing hangs, in each step-over mode
// and with other threads running into the breakpoint meanwhile.
func TestKilledInsideCallback(t *testing.T) {
	defer watchdog(t, 5*time.Minute)()
	bin := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	for i, m := range stepModes {
		for _, stop := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stop=%v", m.name, stop), func(t *testing.T) {
				for round := 0; round < scale(2, 20); round++ {
					p := launch(t, newEngine(t), bin, "8", "100000000")
					p.e.Do(func() { p.noEmulate, p.noDisplace = stepModes[i].noEmulate, stepModes[i].noDisplace })
					hits := 0
					at := 100 + 37*round
					if _, err := p.BreakAt("hot", func(th *Thread, _ *Breakpoint) bool {
						hits++
						if hits == at {
							unix.Kill(th.Process().Pid(), unix.SIGKILL)
							return stop
						}
						return false
					}); err != nil {
						t.Fatal(err)
					}
					if err := p.Continue(); err != nil {
						t.Fatal(err)
					}
					ev, err := p.Wait(time.Minute)
					if err == nil && ev.Kind == EventBreakpoint {
						// The stop was reported before the kill took effect: the
						// next wait sees the end.
						if err := p.Continue(); err != nil {
							var ee *ExitedError
							if !errors.As(err, &ee) {
								t.Fatalf("continue after the killing hit: %v", err)
							}
						} else {
							waitKilled(t, p.Process)
						}
					} else {
						var ee *ExitedError
						if !(err == nil && ev.Kind == EventKilled || errors.As(err, &ee)) {
							t.Fatalf("wait: %v %v, want a killed event", ev, err)
						}
					}
					checkKilled(t, p.Process)
					if hits < at {
						t.Fatalf("%d hits, want at least %d", hits, at)
					}
				}
			})
		}
	}
}

// The session ends (Engine.Close) while its programs run and threads sit on
// breakpoints the engine has not seen them hit: the launched program is
// killed and reaped; the attached one is detached with every int3 taken out,
// and goes on to print its last line.
func TestCloseWhileRunning(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	hotthreads := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	for round := 0; round < scale(2, 20); round++ {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			t.Parallel()
			defer watchdog(t, 5*time.Minute)()
			cmd, stdout, stdin := startSleeper(t, sleeper, 4)
			e := NewEngine()
			defer e.Close()
			att, err := e.Attach(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if round%2 == 1 {
				att.e.Do(func() { att.noEmulate = true })
			}
			hot := symAddr(t, att, sleeper, "hot")
			// Two breakpoints, on hot's first two instructions: a thread that
			// the engine stepped over the first one (while it handled another
			// thread's stop) sits on the second.
			bps := []uint64{hot, firstInsn(t, att, hot, func(x86asm.Inst) bool { return true })}
			var hits atomic.Int64
			for _, a := range bps {
				if _, err := att.SetBreakpoint(a, func(*Thread, *Breakpoint) bool { hits.Add(1); return false }); err != nil {
					t.Fatal(err)
				}
			}
			// Not launch(): its clean-up would use the engine after Close.
			lp, err := e.Launch(LaunchConfig{Path: hotthreads, Args: []string{hotthreads, "8", "100000000"}})
			if err != nil {
				t.Fatal(err)
			}
			lhot := symAddr(t, lp, hotthreads, "hot")
			lhits := 0
			if _, err := lp.SetBreakpoint(lhot, func(*Thread, *Breakpoint) bool { lhits++; return lhits == 1000 }); err != nil {
				t.Fatal(err)
			}
			// Run both a while, then let them run on with nobody waiting.
			for _, p := range []*Process{att, lp} {
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
			}
			if ev, err := att.Wait(50 * time.Millisecond); err != nil || ev.Kind != EventTimeout {
				t.Fatalf("%v %v, want a timeout", ev, err)
			}
			if ev, err := lp.Wait(time.Minute); err != nil || ev.Kind != EventBreakpoint {
				t.Fatalf("%v %v, want a breakpoint", ev, err)
			}
			for _, p := range []*Process{att, lp} {
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
			}
			if !trappedAt(t, att, bps...) {
				t.Fatal("no thread of the attached program ran into a breakpoint")
			}
			if !trappedAt(t, lp, lhot) {
				t.Fatal("no thread of the launched program ran into a breakpoint")
			}
			if err := e.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if hits.Load() == 0 {
				t.Fatal("the attached program never hit its breakpoints")
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(lp.Pid())); err == nil {
				t.Fatalf("launched process %d still exists after Close", lp.Pid())
			}
			testtarget.TextIntact(t, cmd.Process.Pid, sleeper)
			stdin.Close() // the program may end now
			rest, _ := io.ReadAll(stdout)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("attached program after Close: %v (output %q)", err, rest)
			}
			if string(rest) != "patch_me=1\n" {
				t.Fatalf("attached program's output after Close: %q", rest)
			}
		})
	}
}

// Kill while the program runs and nobody waits: threads sit in stops the
// engine has not collected (a clone not reported yet, a new thread's first
// stop, a breakpoint trap). Kill reaps every one of them, also those it
// never heard of, and returns.
func TestKillWhileRunning(t *testing.T) {
	defer watchdog(t, 5*time.Minute)()
	churn := testtarget.Build(t, "c/threadchurn", testtarget.Default)
	e := newEngine(t)
	for i := 0; i < scale(30, 300); i++ {
		p := launch(t, e, churn, "100000", "8")
		if _, err := p.BreakAt("hot", func(*Thread, *Breakpoint) bool { return false }); err != nil {
			t.Fatal(err)
		}
		// Run until threads come and go, then let it run with nobody waiting
		// until some task sits in a stop.
		created := 0
		p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
			if ev.Kind == EventThreadCreate {
				created++
			}
			return created == 20+i%50
		}})
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		waitKind(t, p.Process, EventThreadCreate)
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		if !waitFor(10*time.Second, func() bool {
			for _, tid := range listTasks(p.Pid()) {
				if taskState(p.Pid(), tid) == 't' {
					return true
				}
			}
			return false
		}) {
			t.Fatal("no thread of the running program stopped")
		}
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		checkKilled(t, p.Process)
	}
}
