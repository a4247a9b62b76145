package core

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

func TestSIGSEGV(t *testing.T) {
	bin := testtarget.Build(t, "c/sigsegv", testtarget.CO0)
	p := launch(t, newEngine(t), bin)
	p.Continue()
	ev := waitKind(t, p.Process, EventSignal)
	if ev.Signal != unix.SIGSEGV || ev.Addr != 0x10 {
		t.Fatalf("%v addr %#x, want SIGSEGV at 0x10", ev, ev.Addr)
	}
	crash, _ := strconv.Atoi(kv(t, p.output(t), "crash_tid"))
	if ev.Tid != crash || crash == p.Pid() {
		t.Fatalf("fault in thread %d, target says %d", ev.Tid, crash)
	}
	p.Continue()
	end := waitKind(t, p.Process, EventKilled)
	if end.Signal != unix.SIGSEGV {
		t.Fatal(end)
	}
}

func TestSIGUSR1Delivered(t *testing.T) {
	bin := testtarget.Build(t, "c/sigusr1", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "3")
	for i := 0; i < 3; i++ {
		p.Continue()
		if ev := waitKind(t, p.Process, EventSignal); ev.Signal != unix.SIGUSR1 {
			t.Fatal(ev)
		}
	}
	runToSuccess(t, p.Process)
	if kv(t, p.output(t), "handled") != "3" {
		t.Fatal(p.output(t))
	}
}

func TestSignalSuppressedAndPolicy(t *testing.T) {
	bin := testtarget.Build(t, "c/sigusr1", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "2")
	p.Continue()
	ev := waitKind(t, p.Process, EventSignal)
	ev.Thread.SetSignal(0) // the first one never reaches the program
	p.SetSignalAction(unix.SIGUSR1, SignalAction{Stop: false, Deliver: true})
	runToEnd(t, p.Process)
	if kv(t, p.output(t), "handled") != "1" {
		t.Fatal(p.output(t))
	}
}

// The Go runtime preempts with SIGURG all the time: it never surfaces as a stop,
// and every hit is still counted exactly once.
func TestGoSIGURGQuiet(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "5000")
	hits := 0
	p.SetBreakpoint(symAddr(t, p.Process, bin, "main.hot"), func(*Thread, *Breakpoint) bool { hits++; return false })
	var stops []string
	for {
		p.Continue()
		ev, err := p.Wait(0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == EventExited {
			break
		}
		stops = append(stops, ev.String())
	}
	if len(stops) > 0 || hits != 40000 {
		t.Fatalf("hits %d, stops: %s", hits, strings.Join(stops, "; "))
	}
}
