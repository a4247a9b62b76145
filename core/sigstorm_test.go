package core

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// peekOutside reads a word of a process's memory with process_vm_readv, from
// the calling goroutine: the engine's own ReadMemory waits while Wait runs.
func peekOutside(pid int, addr uint64) (uint64, error) {
	var b [8]byte
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(len(b))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
	if _, err := unix.ProcessVMReadv(pid, local, remote, 0); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// sendPaced sends n SIGUSR1 to pid from outside, one at a time: each after
// the program's handler counted the one before (standard signals that arrive
// while one is pending are merged).
func sendPaced(pid int, armed, handled uint64, n int) error {
	wait := func(addr uint64, want uint64) error {
		deadline := time.Now().Add(time.Minute)
		for {
			v, err := peekOutside(pid, addr)
			if err != nil {
				return err
			}
			if v >= want {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the program counted %d signals, want %d", v, want)
			}
			runtime.Gosched()
		}
	}
	if err := wait(armed, 1); err != nil {
		return fmt.Errorf("the program never installed its handler: %v", err)
	}
	for i := 1; i <= n; i++ {
		if err := unix.Kill(pid, unix.SIGUSR1); err != nil {
			return err
		}
		if err := wait(handled, uint64(i)); err != nil && !(i == n && err == unix.ESRCH) {
			return err // (after the last one the program may be gone already)
		}
	}
	return nil
}

// A thousand SIGUSR1 (10,000 with STARDBG_STRESS=1) sent from outside while a
// breakpoint fires continuously in two threads and in the signal handler:
// every signal reaches the handler, each one as exactly one stop when the
// policy stops on it (none when it is quiet), and every call is counted.
// In each step-over mode: signals arrive while threads step over the int3.
func TestSignalStorm(t *testing.T) {
	bin := testtarget.Build(t, "c/sigstorm", testtarget.Default)
	n := scale(1000, 10000)
	defer watchdog(t, time.Duration(scale(5, 30))*time.Minute)()
	for i, m := range stepModes {
		for _, quiet := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/quiet=%v", m.name, quiet), func(t *testing.T) {
				p := launch(t, newEngine(t), bin, strconv.Itoa(n), "2")
				p.e.Do(func() { p.noEmulate, p.noDisplace = stepModes[i].noEmulate, stepModes[i].noDisplace })
				if quiet {
					p.SetSignalAction(unix.SIGUSR1, SignalAction{Stop: false, Deliver: true})
				}
				hits := 0
				if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
					t.Fatal(err)
				}
				armed, handled := symAddr(t, p.Process, bin, "armed"), symAddr(t, p.Process, bin, "handled")
				sent := make(chan error, 1)
				go func() { sent <- sendPaced(p.Pid(), armed, handled, n) }()
				stops := 0
				for {
					if err := p.Continue(); err != nil {
						t.Fatal(err)
					}
					ev, err := p.Wait(2 * time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					if ev.Kind == EventExited {
						break
					}
					if ev.Kind != EventSignal || ev.Signal != unix.SIGUSR1 {
						t.Fatalf("after %d signals: %v", stops, ev)
					}
					stops++
				}
				if err := <-sent; err != nil {
					t.Fatal(err)
				}
				out := p.output(t)
				calls, _ := strconv.Atoi(kv(t, out, "calls"))
				if got := kv(t, out, "handled"); got != strconv.Itoa(n) {
					t.Fatalf("the handler counted %s signals, want %d", got, n)
				}
				if want := map[bool]int{false: n, true: 0}[quiet]; stops != want {
					t.Fatalf("%d SIGUSR1 stops, want %d", stops, want)
				}
				if hits != calls {
					t.Fatalf("%d hits, the program made %d calls", hits, calls)
				}
				t.Logf("%d signals handled, %d stops, %d hits", n, stops, hits)
			})
		}
	}
}
