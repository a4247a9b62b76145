package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"

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
		case hits%2 == 0:
			err = execve.Disable()
		default:
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
	checkStorm(t, p, hits, fmt.Sprintf("%d hits, %d children ran execve at a breakpoint", hits, execs))
}

// checkStorm checks the output of a finished spawn storm: no child failed,
// and the program made as many calls as there were hits. note, logged with
// the output, says what the test counted.
func checkStorm(t *testing.T, p *launched, hits int, note string) {
	t.Helper()
	out := p.output(t)
	t.Logf("%s; %s", note, out)
	if kv(t, out, "failed") != "0" {
		t.Fatalf("children failed:\n%s", out)
	}
	if calls := kv(t, out, "calls"); calls != strconv.Itoa(hits) {
		t.Fatalf("%d hits, the program made %s calls", hits, calls)
	}
}

// waitOutput polls the output of a program that runs on untraced until it
// contains want, and fails with what after a minute.
func waitOutput(t *testing.T, p *launched, want, what string) string {
	t.Helper()
	var out string
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, want); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q", what, out)
		}
		time.Sleep(10 * time.Millisecond)
		out = p.output(t)
	}
	return out
}

// A clone(CLONE_VM) child runs the breakpoints of its parent, whose memory it
// is: its hits count with the parent's, the breakpoint still works when it
// has exited, and it exits 0. With SIGCHLD the kernel reports it as a fork;
// without an exit signal, as a new thread (of another process). It stops
// with the process (Wait's timeouts here), and is no thread of it: no thread
// event is about it.
func TestCloneVM(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	for _, mode := range []string{"clone", "clone0"} {
		t.Run(mode, func(t *testing.T) {
			p := launch(t, newEngine(t), bin, mode, "10000")
			var threadEvents []*Event
			p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
				if ev.Kind == EventThreadCreate || ev.Kind == EventThreadExit {
					threadEvents = append(threadEvents, ev)
				}
				return ev.Kind == EventSignal
			}})
			hits := 0
			if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
				t.Fatal(err)
			}
			for {
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
				ev, err := p.Wait(time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind == EventExited && ev.Status == 0 {
					break
				}
				if ev.Kind != EventTimeout {
					t.Fatalf("event %v, want a timeout or exit 0", ev)
				}
				if n := len(p.Threads()); n != 1 {
					t.Fatalf("%d threads listed, want 1", n)
				}
			}
			out := p.output(t)
			if kv(t, out, "child_status") != "0" || kv(t, out, "child_calls") != "10000" {
				t.Fatalf("child: %s", out)
			}
			if calls := kv(t, out, "calls"); calls != "30000" || hits != 30000 {
				t.Fatalf("%d hits, the program made %s calls, want 30000", hits, calls)
			}
			if len(threadEvents) > 0 {
				t.Fatalf("thread events %v, want none", threadEvents)
			}
		})
	}
}

// Stops in the middle of the storm (Wait's timeouts) find threads waiting in
// vfork for a child, which is stopped with them: nothing waits for the other,
// and every hit counts.
func TestVforkStormStops(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "spawn", "3", "150")
	hits := 0
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	stops := 0
	for {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		ev, err := p.Wait(time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == EventExited {
			if ev.Status != 0 {
				t.Fatalf("exit status %d", ev.Status)
			}
			break
		}
		if ev.Kind != EventTimeout {
			t.Fatalf("event %v, want a timeout or the exit", ev)
		}
		stops++
	}
	checkStorm(t, p, hits, fmt.Sprintf("%d stops, %d hits", stops, hits))
}

// A detach in the middle of the storm lets go the children as well as the
// program, all of them clean: the program goes on untraced, and every child
// exits 0. Even rounds detach when a child stops at a breakpoint on execve
// (its parent thread waiting in vfork), odd ones at a timeout.
func TestVforkStormDetach(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	for round := 0; round < 6; round++ {
		p := launch(t, newEngine(t), bin, "spawn", "1", "40")
		if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { return false }); err != nil {
			t.Fatal(err)
		}
		if _, err := p.BreakAt("libc.so.6:execve", func(th *Thread, _ *Breakpoint) bool {
			return round%2 == 0 && th.Pid() != p.Pid()
		}); err != nil {
			t.Fatal(err)
		}
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		timeout := time.Duration(round) * 5 * time.Millisecond
		if round%2 == 0 {
			timeout = time.Minute
		}
		ev, err := p.Wait(timeout)
		if err != nil {
			t.Fatal(err)
		}
		if round%2 == 0 && (ev.Kind != EventBreakpoint || ev.Thread.Pid() == p.Pid()) {
			t.Fatalf("%v, want a child's hit of execve", ev)
		}
		if round%2 == 0 {
			// The main thread, which spawns, waits in vfork: it cannot step.
			if _, err := p.MainThread().Step(); !errors.Is(err, ErrVforkWait) {
				t.Fatalf("step of the main thread: %v, want %v", err, ErrVforkWait)
			}
		}
		if round%2 == 1 && ev.Kind != EventTimeout {
			t.Fatalf("%v, want a timeout", ev)
		}
		if err := p.Detach(); err != nil {
			t.Fatal(err)
		}
		out := waitOutput(t, p, "failed=", "the program did not finish after the detach")
		if kv(t, out, "failed") != "0" {
			t.Fatalf("children failed:\n%s", out)
		}
	}
}

// A clone(CLONE_VM) child that outlives its parent keeps the memory, and our
// int3s in it: they are taken out through the child, which runs on untraced
// and unharmed.
func TestCloneVMOrphan(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	for round := 0; round < 3; round++ {
		p := launch(t, newEngine(t), bin, "orphan", "10000")
		hits := 0
		if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
			t.Fatal(err)
		}
		runToSuccess(t, p.Process)
		out := waitOutput(t, p, "orphan_calls=", "the child did not finish after its parent")
		if kv(t, out, "orphan_calls") != "20000" || hits < 10000 || hits > 30000 {
			t.Fatalf("%d hits, output %q", hits, out)
		}
	}
}

// A child that shares the memory gets the debug registers of a hardware
// breakpoint, as a new thread does: its hits count too.
func TestCloneVMHardware(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "clone", "1000")
	hits := 0
	if _, err := p.SetHWBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if out := p.output(t); kv(t, out, "calls") != "3000" || kv(t, out, "child_status") != "0" || hits != 3000 {
		t.Fatalf("%d hits, output %q; want 3000 calls, all hit", hits, out)
	}
}

// A breakpoint on vfork's system call instruction is stepped over in place,
// every other thread stopped: the step ends inside the system call, when the
// kernel reports the child, and the thread stays there until the child has
// exec'd, instead of running into the kernel's wait for a stopped child.
func TestVforkSyscallStep(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "vfork", "50")
	main, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "main"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventBreakpoint) // libc is loaded by now
	main.Clear()
	vfork, err := p.BreakAt("libc.so.6:vfork", nil)
	if err != nil || len(vfork.Addrs()) != 1 {
		t.Fatalf("vfork: %v %v", vfork, err)
	}
	sys := firstInsn(t, p.Process, vfork.Addrs()[0], func(in x86asm.Inst) bool { return in.Op == x86asm.SYSCALL })
	vfork.Clear()
	hits := 0
	if _, err := p.SetBreakpoint(sys, func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if out := p.output(t); hits != 50 || kv(t, out, "failed") != "0" {
		t.Fatalf("%d hits, output %q; want 50 and no child failed", hits, out)
	}
}
