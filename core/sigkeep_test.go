package core

import (
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// sigRTMin is glibc's SIGRTMIN: the kernel's 32 and 33 are its own.
const sigRTMin = unix.Signal(34)

// Every signal reaches the program with the siginfo the kernel made for it,
// in order and in number: 2,000 SIGRTMIN (100,000 with STARDBG_STRESS=1;
// 500 and 20,000 when each is a stop)
// and a SIGUSR1 after every 16th, queued with sequence numbers in si_value
// to a thread that hits a breakpoint continuously, whose handlers hit
// breakpoints too. In each step-over mode, signals arrive while the thread
// steps over the int3; with the default policy (each signal a stop) and a
// quiet one.
func TestQueuedSignalsKeepSiginfo(t *testing.T) {
	bin := testtarget.Build(t, "c/sigqueue", testtarget.Default)
	defer watchdog(t, time.Duration(scale(5, 60))*time.Minute)()
	for i, m := range stepModes {
		for _, quiet := range []bool{true, false} {
			n := scale(2000, 100000)
			if !quiet {
				n = scale(500, 20000)
			}
			t.Run(fmt.Sprintf("%s/quiet=%v", m.name, quiet), func(t *testing.T) {
				p := launch(t, newEngine(t), bin, strconv.Itoa(n))
				p.e.Do(func() { p.noEmulate, p.noDisplace = stepModes[i].noEmulate, stepModes[i].noDisplace })
				if quiet {
					deliverQuietly(p)
				}
				hot, handler := 0, 0
				if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hot++; return false }); err != nil {
					t.Fatal(err)
				}
				if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "on_rt"), func(*Thread, *Breakpoint) bool { handler++; return false }); err != nil {
					t.Fatal(err)
				}
				stops := signalStops(t, p)
				out := p.output(t)
				checkSigqueue(t, out, n, quiet, stops)
				if calls, _ := strconv.Atoi(kv(t, out, "calls")); hot != calls {
					t.Fatalf("%d hits of hot, the program made %d calls", hot, calls)
				}
				if handler != n {
					t.Fatalf("%d hits of the SIGRTMIN handler, want %d", handler, n)
				}
				t.Logf("%s; stops %v", strings.TrimSpace(out), stops)
			})
		}
	}
}

// Signals taken from the kernel's queue by a step are delivered with their
// siginfo, in order, each once: at every 20th hit of hot, once 8 SIGRTMIN
// are pending for the worker of sigqueue (the callback waits for the
// program's sender to queue them), Thread.Step steps it over the
// breakpoint, and then once more, where it cannot keep them queued (the
// instruction might be a system call); they come in one after another,
// each from a stop of its own.
func TestSignalsThroughThreadStep(t *testing.T) {
	bin := testtarget.Build(t, "c/sigqueue", testtarget.Default)
	defer watchdog(t, time.Duration(scale(5, 60))*time.Minute)()
	for _, quiet := range []bool{true, false} {
		n := scale(2000, 100000)
		if !quiet {
			n = scale(500, 20000)
		}
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			p := launch(t, newEngine(t), bin, strconv.Itoa(n))
			p.e.Do(func() { p.noEmulate = true })
			if quiet {
				deliverQuietly(p)
			}
			hits, piled := 0, 0
			pile := pileUp(t, p, bin, n)
			if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool {
				hits++
				if hits%20 != 0 {
					return false
				}
				if pile() {
					piled++
				}
				return true
			}); err != nil {
				t.Fatal(err)
			}
			stops := map[unix.Signal]int{}
			steps := 0
			count := func(ev *Event) {
				switch {
				case ev.Kind == EventSignal && (ev.Signal == sigRTMin || ev.Signal == unix.SIGUSR1):
					stops[ev.Signal]++
				case ev.Kind == EventStep:
					steps++
				default:
					t.Fatalf("after %v: %v", stops, ev)
				}
			}
			for {
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
				ev, err := p.Wait(2 * time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind == EventExited {
					if ev.Status != 0 {
						t.Fatalf("exit status %d; output %q", ev.Status, p.output(t))
					}
					break
				}
				if ev.Kind != EventBreakpoint {
					count(ev)
					continue
				}
				for i := 0; i < 2; i++ {
					sev, err := ev.Thread.Step()
					if err != nil {
						t.Fatal(err)
					}
					count(sev)
					if sev.Kind != EventStep {
						break
					}
				}
			}
			out := p.output(t)
			checkSigqueue(t, out, n, quiet, stops)
			if piled == 0 {
				t.Fatal("no step was made with signals pending")
			}
			t.Logf("%s; stops %v; %d steps, %d with signals pending", strings.TrimSpace(out), stops, steps, piled)
		})
	}
}

// deliverQuietly makes sigqueue's signals, SIGRTMIN and SIGUSR1, go to the
// program without a stop.
func deliverQuietly(p *launched) {
	p.SetSignalAction(sigRTMin, SignalAction{Deliver: true})
	p.SetSignalAction(unix.SIGUSR1, SignalAction{Deliver: true})
}

// signalStops runs sigqueue to its exit, which must be 0, and counts its
// stops, each of which must be for SIGRTMIN or SIGUSR1.
func signalStops(t *testing.T, p *launched) map[unix.Signal]int {
	t.Helper()
	stops := map[unix.Signal]int{}
	for {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		ev, err := p.Wait(2 * time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == EventExited {
			if ev.Status != 0 {
				t.Fatalf("exit status %d; output %q", ev.Status, p.output(t))
			}
			return stops
		}
		if ev.Kind != EventSignal || (ev.Signal != sigRTMin && ev.Signal != unix.SIGUSR1) {
			t.Fatalf("after %v: %v", stops, ev)
		}
		stops[ev.Signal]++
	}
}

// checkSigqueue checks what sigqueue said after n SIGRTMIN: all of them and
// n/16 SIGUSR1 handled, none corrupt or out of order; and, unless the
// signals were quiet, a stop for each.
func checkSigqueue(t *testing.T, out string, n int, quiet bool, stops map[unix.Signal]int) {
	t.Helper()
	want := fmt.Sprintf("rt=%d usr1=%d corrupt=0 disorder=0", n, n/16)
	if got := strings.Join(strings.Fields(out)[:4], " "); got != want {
		t.Fatalf("the program said %q, want %q", strings.TrimSpace(out), want)
	}
	if !quiet && (stops[sigRTMin] != n || stops[unix.SIGUSR1] != n/16) {
		t.Fatalf("stops %v, want %d SIGRTMIN and %d SIGUSR1", stops, n, n/16)
	}
}

// pileUp returns a function for a breakpoint callback in sigqueue's worker:
// it waits until 8 SIGRTMIN are queued to the worker and not handled yet,
// the sender having queued a whole round of 16, and says whether they were
// (not when the sender has queued all n).
func pileUp(t *testing.T, p *launched, bin string, n int) func() bool {
	queued, got := symAddr(t, p.Process, bin, "queued"), symAddr(t, p.Process, bin, "rt_got")
	word := func(addr uint64) int64 {
		var b [8]byte
		if _, err := p.ReadMemory(addr, b[:]); err != nil {
			t.Error(err)
		}
		return int64(binary.LittleEndian.Uint64(b[:]))
	}
	return func() bool {
		deadline := time.Now().Add(2 * time.Second)
		for q := word(queued); q-word(got) < 8 || q%16 != 0; q = word(queued) {
			if q >= int64(n) || time.Now().After(deadline) {
				return false
			}
			runtime.Gosched()
		}
		return true
	}
}

// Signals that a step over a system call takes from the kernel's queue
// (it cannot block them: see blockSignals) are delivered with their siginfo,
// in order, each once and each from a stop of its own: at every 4th hit of
// a breakpoint on the syscall instruction of sigqueue's worker, the callback
// lets the sender queue 16 SIGRTMIN to it and waits for them, so that the
// step takes them all. None of the same number is queued while they are
// delivered: one its handler blocks by then goes back to the kernel's queue,
// at its end. Quiet and with the default policy.
func TestSignalsTakenByASyscallStep(t *testing.T) {
	bin := testtarget.Build(t, "c/sigqueue", testtarget.Default)
	defer watchdog(t, time.Duration(scale(5, 60))*time.Minute)()
	for _, quiet := range []bool{true, false} {
		n := scale(2000, 100000)
		if !quiet {
			n = scale(480, 20000)
		}
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			p := launch(t, newEngine(t), bin, strconv.Itoa(n), "spin")
			if quiet {
				deliverQuietly(p)
			}
			goAhead := symAddr(t, p.Process, bin, "go_ahead")
			set := func(v byte) {
				if _, err := p.WriteMemory(goAhead, []byte{v}); err != nil {
					t.Error(err)
				}
			}
			hits, piled := 0, 0
			pile := pileUp(t, p, bin, n)
			if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "spin_syscall"), func(*Thread, *Breakpoint) bool {
				hits++
				if hits%4 == 0 {
					set(1)
					if pile() {
						piled++
					}
					set(0)
				}
				return false
			}); err != nil {
				t.Fatal(err)
			}
			stops := signalStops(t, p)
			out := p.output(t)
			checkSigqueue(t, out, n, quiet, stops)
			// calls counts the loop's calls of hot and the handlers': the
			// loop makes one system call with each.
			if calls, _ := strconv.Atoi(kv(t, out, "calls")); hits != calls-n-n/16 {
				t.Fatalf("%d hits of the system call, the program made %d", hits, calls-n-n/16)
			}
			if piled == 0 {
				t.Fatal("no step was made with signals pending")
			}
			t.Logf("%s; stops %v; %d hits, %d with signals pending", strings.TrimSpace(out), stops, hits, piled)
		})
	}
}

// A POSIX timer's signals keep their siginfo (SI_TIMER, the timer's id, the
// sival_ptr the program gave) while the thread they interrupt hits a
// breakpoint on an imul that is stepped out of line (in place when
// displaced stepping is off): 2,000 ticks, 100,000 with STARDBG_STRESS=1.
func TestTimerSignalsKeepSiginfo(t *testing.T) {
	bin := testtarget.Build(t, "c/sigtimer", testtarget.Default)
	defer watchdog(t, time.Duration(scale(5, 60))*time.Minute)()
	n := scale(2000, 100000)
	for _, m := range stepModes[1:] { // imul is not emulated: displaced or in place
		t.Run(m.name, func(t *testing.T) {
			p := launch(t, newEngine(t), bin, strconv.Itoa(n))
			p.e.Do(func() { p.noEmulate, p.noDisplace = m.noEmulate, m.noDisplace })
			hits := 0
			if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "imul_site"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
				t.Fatal(err)
			}
			runToSuccess(t, p.Process)
			out := p.output(t)
			if got, want := strings.Join(strings.Fields(out)[:2], " "), fmt.Sprintf("ticks=%d corrupt=0", n); got != want {
				t.Fatalf("the program said %q, want %q", strings.TrimSpace(out), want)
			}
			if calls, _ := strconv.Atoi(kv(t, out, "calls")); hits != calls {
				t.Fatalf("%d hits, the program made %d multiplications", hits, calls)
			}
			t.Logf("%s", strings.TrimSpace(out))
		})
	}
}

// A signal detached with keeps its siginfo: segvcatch faults at 0x10 after
// a breakpoint stepped out of line (so a detach runs munmap in the thread to
// remove the scratch page, a stop of its own); detached at the SIGSEGV
// stop, the program's handler sees the fault the kernel reported.
func TestDetachDeliversSiginfo(t *testing.T) {
	bin := testtarget.Build(t, "c/segvcatch", testtarget.Default)
	cmd, stdout, stdin := testtarget.StartReady(t, bin)
	p, err := newEngine(t).Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	p.e.Do(func() { p.noEmulate = true })
	hits := 0
	if _, err := p.SetBreakpoint(symAddr(t, p, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	ev := waitKind(t, p, EventSignal)
	if ev.Signal != unix.SIGSEGV || !ev.HasAddr || ev.Addr != 0x10 {
		t.Fatalf("%v (address %#x, known %v), want SIGSEGV at 0x10", ev, ev.Addr, ev.HasAddr)
	}
	var scratch int
	p.e.Do(func() { scratch = len(p.scratch) })
	if hits != 3 || scratch == 0 {
		t.Fatalf("%d hits, %d scratch pages: want 3 hits stepped out of line", hits, scratch)
	}
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("target after detach: %v (output %q)", err, rest)
	}
	if want := "si_code=1 si_addr=0x10\nrecovered\n"; string(rest) != want {
		t.Fatalf("target after detach said %q, want %q", rest, want)
	}
}
