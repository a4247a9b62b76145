package core

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/internal/testtarget"
)

// Children inherit the breakpoints' int3 bytes: they must run unharmed, and the
// parent keeps counting exactly.
func TestForkAndSpawn(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	for _, mode := range []string{"fork", "spawn"} {
		t.Run(mode, func(t *testing.T) {
			hits, out := countHits(t, bin, "hot", mode, "500")
			if hits != 1000 {
				t.Fatalf("parent hits %d, want 1000", hits)
			}
			want := runPlain(t, bin, mode, "500")
			if strings.TrimSpace(sortLines(out)) != strings.TrimSpace(sortLines(want)) {
				t.Fatalf("output under the debugger:\n%s\nwithout:\n%s", out, want)
			}
		})
	}
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j] < lines[i] {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	return strings.Join(lines, "\n")
}

// After an exec (here from a thread that is not the main one), the old
// breakpoints' addresses are forgotten without writing into the new image; a
// breakpoint set by name lands in the new program.
func TestExec(t *testing.T) {
	bin := testtarget.Build(t, "c/execer", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "5")
	hits := 0
	bp, err := p.BreakAt("hot", func(*Thread, *Breakpoint) bool { hits++; return false })
	if err != nil {
		t.Fatal(err)
	}
	byAddr, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "main"), nil)
	if err != nil {
		t.Fatal(err)
	}
	byAddr.Disable()
	p.Continue()
	ev := waitKind(t, p.Process, EventExec)
	if hits != 5 {
		t.Fatalf("%d hits before the exec, want 5", hits)
	}
	if n := len(p.Threads()); n != 1 || ev.Thread.Tid() != p.Pid() {
		t.Fatalf("after exec: %d threads, event in %d", n, ev.Thread.Tid())
	}
	if len(bp.Addrs()) != 1 || !byAddr.Cleared() {
		t.Fatalf("after exec: hot at %x, breakpoint by address cleared: %v", bp.Addrs(), byAddr.Cleared())
	}
	runToSuccess(t, p.Process)
	if hits != 15 {
		t.Fatalf("%d hits, want 15", hits)
	}
	if !strings.Contains(p.output(t), "after calls=10 sum=145") {
		t.Fatal(p.output(t))
	}
}

// A stop that comes while a thread is in execve (here a callback that asks to
// stop, as Ctrl-C or a timeout would) does not wait for that thread to stop,
// which it never does before the others are gone: the stop, then the exec
// and the new image's exit are reported.
func TestStopDuringExec(t *testing.T) {
	bin := testtarget.Build(t, "c/execrace", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin)
	execNow := symAddr(t, p.Process, bin, "exec_now")
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "mark"), func(*Thread, *Breakpoint) bool {
		letExec(t, p.Process, execNow)
		waitExecve(t, p.Process) // the other thread calls execve meanwhile
		return true
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []EventKind{EventBreakpoint, EventExec, EventExited} {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		if ev, err := p.Wait(30 * time.Second); err != nil || ev.Kind != want {
			t.Fatalf("%v %v, want %v", ev, err, want)
		}
	}
	if out := p.output(t); out != "execd\n" {
		t.Fatalf("output %q", out)
	}
}

// A breakpoint on the syscall instruction of execve, called by one of several
// threads: that instruction is stepped in place with the others stopped, and
// the execve inside the step waits until the others, which it kills, are
// reaped. The step takes statuses from any thread, so the exec goes through.
func TestStepExecveInPlace(t *testing.T) {
	bin := testtarget.Build(t, "c/execrace", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin)
	mark, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "mark"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventBreakpoint) // libc is loaded by now
	mark.Clear()
	execve, err := p.BreakAt("libc.so.6:execve", nil)
	if err != nil || len(execve.Addrs()) != 1 {
		t.Fatalf("execve: %v %v", execve, err)
	}
	sys := firstInsn(t, p.Process, execve.Addrs()[0], func(in x86asm.Inst) bool { return in.Op == x86asm.SYSCALL })
	execve.Clear()
	hits := 0
	if _, err := p.SetBreakpoint(sys, func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []EventKind{EventExec, EventExited} {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		if ev, err := p.Wait(30 * time.Second); err != nil || ev.Kind != want {
			t.Fatalf("%v %v, want %v", ev, err, want)
		}
	}
	if out := p.output(t); hits != 1 || out != "execd\n" {
		t.Fatalf("%d hits, output %q; want 1 and execd", hits, out)
	}
}
