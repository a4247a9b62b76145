package core

import (
	"fmt"
	"os"
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
		go p.Stop()
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
// SIGSTOP pending, or a later stop would wait for it forever.
func checkPendingStops(t *testing.T, p *Process) {
	t.Helper()
	p.e.Do(func() {
		for tid, th := range p.threads {
			if !th.sigstopSent {
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
						t.Errorf("thread %d: the engine waits for a SIGSTOP that is not pending (SigPnd %s)", tid, strings.TrimSpace(mask))
					}
				}
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}
