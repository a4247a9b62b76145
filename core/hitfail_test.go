package core

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// Errors on the hit, step and resume paths are never dropped: each test makes
// one fail (through memFault, or with registers the kernel refuses) and
// checks that Wait or Step returns it, with the process stopped, where the
// engine used to go on as if nothing had happened.

var errInjected = errors.New("injected fault")

// failMem makes the accesses that fail(write, addr, b) picks fail with
// errInjected, once armed is set.
func failMem(p *Process, armed *atomic.Bool, fail func(write bool, addr uint64, b []byte) bool) {
	p.e.Do(func() {
		p.memFault = func(write bool, addr uint64, b []byte) error {
			if armed.Load() && fail(write, addr, b) {
				return errInjected
			}
			return nil
		}
	})
}

// waitFailure waits for the failure the engine must report: an error that
// names the thread and wraps errInjected (or want), the process stopped.
func waitFailure(t *testing.T, p *Process, want error, text string) *ThreadError {
	t.Helper()
	ev, err := p.Wait(time.Minute)
	var te *ThreadError
	if !errors.As(err, &te) || !errors.Is(err, want) || !strings.Contains(err.Error(), text) {
		t.Fatalf("wait: %v, %v; want a thread error about %q wrapping %v", ev, err, text, want)
	}
	if s := p.State(); s != Stopped {
		t.Fatalf("after the failure the process is %v, want stopped", s)
	}
	return te
}

// A breakpoint stepped over in place (the instruction neither emulated nor
// displaced) whose int3 cannot be taken out, or put back, stops the program
// with that error: before, the int3 put back silently missed every later hit,
// and one not taken out trapped again at once, forever.
func TestStepOverWriteFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	for _, tc := range []struct {
		name string
		int3 bool // the write that fails: the int3 put back, or the original byte
		text string
	}{{"put back", true, "lost"}, {"take out", false, "cannot take out"}} {
		t.Run(tc.name, func(t *testing.T) {
			p := launch(t, newEngine(t), bin, "100")
			p.e.Do(func() { p.noEmulate, p.noDisplace = true, true })
			hot := symAddr(t, p.Process, bin, "hot")
			var armed atomic.Bool
			hits := 0
			if _, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool {
				hits++
				armed.Store(hits == 3)
				return false
			}); err != nil {
				t.Fatal(err)
			}
			failMem(p.Process, &armed, func(write bool, addr uint64, b []byte) bool {
				return write && addr == hot && (b[0] == 0xCC) == tc.int3
			})
			if err := p.Continue(); err != nil {
				t.Fatal(err)
			}
			te := waitFailure(t, p.Process, errInjected, tc.text)
			if hits != 3 {
				t.Fatalf("%d hits before the failure, want 3", hits)
			}
			// Once the memory can be written again the program goes on,
			// through the breakpoint still planted for the "take out" case.
			armed.Store(false)
			hits = -1000
			if te.Tid != p.Pid() {
				t.Fatalf("failure in thread %d, want %d", te.Tid, p.Pid())
			}
			runToSuccess(t, p.Process)
		})
	}
}

// Thread.Step over a breakpoint goes through the same step-over: an int3 that
// cannot be put back is Step's error, not a step that silently lost it.
func TestStepWriteFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "100")
	p.e.Do(func() { p.noEmulate, p.noDisplace = true, true })
	hot := symAddr(t, p.Process, bin, "hot")
	bp, err := p.SetBreakpoint(hot, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Continue()
	ev := waitKind(t, p.Process, EventBreakpoint)
	var armed atomic.Bool
	armed.Store(true)
	failMem(p.Process, &armed, func(write bool, addr uint64, b []byte) bool {
		return write && addr == hot && b[0] == 0xCC
	})
	ev, err = ev.Thread.Step()
	var te *ThreadError
	if !errors.As(err, &te) || !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "lost") {
		t.Fatalf("step: %v, %v; want the int3 that could not be put back", ev, err)
	}
	armed.Store(false)
	if err := bp.Clear(); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
}

// A thread that cannot be resumed after a callback (here the kernel refuses
// its registers: a null stack segment, which PTRACE_SETREGS checks after the
// general-purpose registers) stops the program with the error: before, it
// stayed stopped with nothing to report and Wait hung. The registers then
// read are the ones the kernel has, and the thread runs on from them.
func TestResumeFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "100")
	hits := 0
	if _, err := p.BreakAt("hot", func(th *Thread, _ *Breakpoint) bool {
		if hits++; hits == 2 {
			r, err := th.Regs()
			if err != nil {
				t.Error(err)
				return false
			}
			r.Ss = 0
			if err := th.SetRegs(r); err != nil {
				t.Error(err)
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	p.Continue()
	te := waitFailure(t, p.Process, unix.EIO, "PTRACE_SETREGS")
	if te.Tid != p.Pid() {
		t.Fatalf("failure in thread %d, want %d", te.Tid, p.Pid())
	}
	r, err := p.MainThread().Regs()
	if err != nil {
		t.Fatal(err)
	}
	if r.Ss == 0 {
		t.Fatal("registers show the null ss the kernel refused")
	}
	runToSuccess(t, p.Process)
	if hits != 100 {
		t.Fatalf("%d hits, want 100", hits)
	}
}

// A watchpoint whose value cannot be read after the access stops the program
// with that error, where its event used to carry a made-up new value of 0.
func TestWatchReadFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "100")
	counter := symAddr(t, p.Process, bin, "counter_global")
	if _, err := p.Watch(counter, 8, WatchReadWrite, nil); err != nil {
		t.Fatal(err)
	}
	var armed atomic.Bool
	armed.Store(true)
	failMem(p.Process, &armed, func(write bool, addr uint64, _ []byte) bool { return !write && addr == counter })
	p.Continue()
	waitFailure(t, p.Process, errInjected, "cannot read the watched value")
}

// A fork child must not run into our int3s: when they cannot be taken out of
// its copy of the memory, the program stops with the error instead of letting
// it run. (A vfork child, which shares the memory, is traced instead: see
// TestVforkStorm.)
func TestForkWriteFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "fork", "10")
	hot := symAddr(t, p.Process, bin, "hot")
	if _, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { return false }); err != nil {
		t.Fatal(err)
	}
	var armed atomic.Bool
	armed.Store(true)
	failMem(p.Process, &armed, func(write bool, addr uint64, b []byte) bool {
		return write && addr == hot && b[0] != 0xCC
	})
	p.Continue()
	waitFailure(t, p.Process, errInjected, "keeps a breakpoint")
}

// A breakpoint set by name that cannot be planted again in the program an
// exec started is the error of the Wait after the exec event. (Only writes at
// hot's offset in a page fail: a load bias is a number of pages.)
func TestExecPlaceFails(t *testing.T) {
	defer watchdog(t, 3*time.Minute)()
	bin := testtarget.Build(t, "c/execer", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "5")
	var armed atomic.Bool
	hits := 0
	if _, err := p.BreakAt("hot", func(*Thread, *Breakpoint) bool {
		hits++
		armed.Store(hits == 5) // the last call before the exec
		return false
	}); err != nil {
		t.Fatal(err)
	}
	hot := symAddr(t, p.Process, bin, "hot")
	failMem(p.Process, &armed, func(write bool, addr uint64, b []byte) bool {
		return write && addr%4096 == hot%4096 && b[0] == 0xCC
	})
	p.Continue()
	waitKind(t, p.Process, EventExec)
	waitFailure(t, p.Process, errInjected, "breakpoint 1 at hot")
}
