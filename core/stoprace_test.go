package core

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// A Stop that races with the creation of threads must not hang Wait: a new
// thread's own first SIGSTOP and ours would merge into one stop, and the engine
// would wait for a second one forever.
func TestStopWhileThreadsStart(t *testing.T) {
	bin := testtarget.Build(t, "c/threadchurn", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "300", "4")
	stops := 0
	for {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		if stops == 0 {
			// The first Stop is sent before Wait runs the program, so that it
			// cannot end first on a slow machine: until Wait handles the first
			// clone event, the creating thread stays stopped there.
			p.Stop()
		} else {
			go p.Stop()
		}
		done := make(chan *Event, 1)
		go func() {
			ev, err := p.Wait(0)
			if err != nil {
				t.Error(err)
			}
			done <- ev
		}()
		select {
		case ev := <-done:
			if ev == nil {
				t.FailNow()
			}
			if ev.Kind == EventExited {
				if stops == 0 {
					t.Fatal("the program ended before any stop")
				}
				if kv(t, p.output(t), "started") != "1200" {
					t.Fatal(p.output(t))
				}
				return
			}
			stops++
			checkPendingStops(t, p.Process)
		case <-time.After(5 * time.Second):
			t.Fatalf("Wait hangs after %d stops", stops)
		}
	}
}

// checkPendingStops checks the engine's bookkeeping against the kernel: a thread
// that the engine believes has one of our SIGSTOPs on its way must really have
// SIGSTOP pending, or a later stop would wait for it forever. The one exception
// is a thread past PTRACE_EVENT_EXIT (state exiting): the engine never waits for
// it again, and the kernel drops its pending signals when it becomes a zombie.
// For such a thread the check is that the kernel agrees it is on its way out: it
// becomes a zombie (or is gone) without running again.
func checkPendingStops(t *testing.T, p *Process) {
	t.Helper()
	p.e.Do(func() {
		for tid, th := range p.threads {
			if !th.sigstopSent {
				continue
			}
			if th.state == tsExiting {
				if st := waitZombie(p.pid, tid, 5*time.Second); st != 'Z' && st != 'X' && st != 0 {
					t.Errorf("thread %d: the engine says it is exiting, the kernel says state %c", tid, st)
				}
				continue
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", p.pid, tid))
			if err != nil {
				continue // it has just exited
			}
			for _, line := range strings.Split(string(b), "\n") {
				if mask, ok := strings.CutPrefix(line, "SigPnd:"); ok {
					bits, _ := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
					if bits&(1<<(19-1)) == 0 {
						t.Errorf("thread %d (engine state %s): the engine waits for a SIGSTOP that is not pending (SigPnd %s)", tid, th.State(), strings.TrimSpace(mask))
					}
				}
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// waitZombie waits until task tid of pid is a zombie (Z), dead (X) or gone (0),
// and returns the last state it read, which is another one at the deadline. It
// runs on the tracer thread, which reaps no thread meanwhile.
func waitZombie(pid, tid int, limit time.Duration) byte {
	deadline := time.Now().Add(limit)
	for {
		st := taskState(pid, tid)
		if st == 'Z' || st == 'X' || st == 0 || time.Now().After(deadline) {
			return st
		}
		runtime.Gosched()
	}
}
