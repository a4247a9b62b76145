package core

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/core/sym"
	"stardbg/internal/testtarget"
)

// startSleeper starts sleeper in its "stdin" mode with k threads, waits for its
// ready line, and returns its stdin: closing it ends the program, so that it
// runs as long as the test needs it on any machine.
func startSleeper(t *testing.T, bin string, k int) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	return testtarget.StartReady(t, bin, "stdin", strconv.Itoa(k))
}

func TestAttachReadDetach(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.CO0)
	cmd, stdout, stdin := startSleeper(t, bin, 4)
	e := newEngine(t)
	p, err := e.Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	ths := p.Threads()
	if len(ths) != 5 {
		t.Fatalf("%d threads attached, want 5", len(ths))
	}
	for _, th := range ths {
		r, err := th.Regs()
		if err != nil {
			t.Fatalf("thread %d regs: %v", th.Tid(), err)
		}
		if r.Rip == 0 || r.Rsp == 0 {
			t.Fatalf("thread %d: rip %#x rsp %#x", th.Tid(), r.Rip, r.Rsp)
		}
	}
	var b [8]byte
	if _, err := p.ReadMemory(symAddr(t, p, bin, "patch_me"), b[:]); err != nil {
		t.Fatal(err)
	}
	if b[0] != 1 {
		t.Fatalf("patch_me = %v, want 1", b)
	}
	// Plant breakpoints that the threads will hit, let them, then detach.
	hot := symAddr(t, p, bin, "hot")
	hits := 0
	if _, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { hits++; return hits >= 3 }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p, EventBreakpoint)
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	if p.State() != Detached {
		t.Fatalf("state %v after detach", p.State())
	}
	testtarget.TextIntact(t, cmd.Process.Pid, bin)
	stdin.Close() // the program may end now
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("target after detach: %v (output %q)", err, rest)
	}
	if !strings.Contains(string(rest), "patch_me=1") {
		t.Fatalf("output after detach: %q", rest)
	}
}

func TestAttachMainExited(t *testing.T) {
	bin := testtarget.Build(t, "c/mainexit", testtarget.CO0)
	cmd := exec.Command(bin, "3000000")
	out := &bytes.Buffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	pid := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for taskState(pid, pid) != 'Z' {
		if time.Now().After(deadline) {
			t.Fatal("main thread never became a zombie")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e := newEngine(t)
	p, err := e.Attach(pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.Thread(pid) != nil {
		t.Fatal("the zombie main thread is listed")
	}
	if n := len(p.Threads()); n != 3 {
		t.Fatalf("%d threads, want the 3 workers", n)
	}
	th := p.Threads()[0]
	ev, err := th.Step()
	if err != nil || ev.Kind != EventStep {
		t.Fatalf("step: %v %v", ev, err)
	}
	hits := 0
	if _, err := p.SetBreakpoint(symAddr(t, p, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return hits == 1000 }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p, EventBreakpoint)
	// Stopped from another goroutine and by a timeout: the zombie leader is
	// never waited for.
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	go p.Stop()
	waitKind(t, p, EventStopped)
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	if ev, err := p.Wait(20 * time.Millisecond); err != nil || ev.Kind != EventTimeout {
		t.Fatalf("%v %v, want a timeout", ev, err)
	}
	if p.Threads()[0].State() != "stopped" {
		t.Fatal("a worker is not stopped after the timeout")
	}
	// Detach with the breakpoint still planted: it is taken out.
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	testtarget.TextIntact(t, pid, bin)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("target after detach: %v", err)
	}
	if !strings.Contains(out.String(), "workers_done=3") {
		t.Fatalf("output %q", out)
	}
}

func TestLaunchMainExited(t *testing.T) {
	bin := testtarget.Build(t, "c/mainexit", testtarget.CO0)
	hits, out := countHits(t, bin, "hot", "20000")
	if hits != 60000 {
		t.Fatalf("hits = %d, want 60000", hits)
	}
	if kv(t, out, "workers_done") != "3" {
		t.Fatalf("output %q", out)
	}
}

// A detach leaves no scratch page behind: the pages that displaced steps used
// are unmapped, and the target runs on to its normal end.
func TestDetachUnmapsScratch(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.CO0)
	cmd, stdout, stdin := startSleeper(t, bin, 4)
	e := newEngine(t)
	p, err := e.Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	p.e.Do(func() { p.noEmulate = true })
	hits := 0
	if _, err := p.SetBreakpoint(symAddr(t, p, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return hits >= 3 }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p, EventBreakpoint)
	var pages []uint64
	p.e.Do(func() {
		for _, sp := range p.scratch {
			pages = append(pages, sp.base)
		}
	})
	if len(pages) == 0 {
		t.Fatal("no scratch page was mapped: the displaced path was not taken")
	}
	mapped := func() []uint64 {
		maps, err := sym.ReadMaps(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		var found []uint64
		for _, base := range pages {
			for _, m := range maps {
				if base >= m.Start && base < m.End {
					found = append(found, base)
				}
			}
		}
		return found
	}
	if got := mapped(); len(got) != len(pages) {
		t.Fatalf("scratch pages %#x, mapped before detach: %#x", pages, got)
	}
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	if got := mapped(); len(got) != 0 {
		t.Fatalf("scratch pages still mapped after detach: %#x", got)
	}
	testtarget.TextIntact(t, cmd.Process.Pid, bin)
	stdin.Close() // the program may end now
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "patch_me=1") {
		t.Fatalf("target after detach: %v (output %q)", err, rest)
	}
}
