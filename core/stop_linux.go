package core

import (
	"errors"

	"golang.org/x/sys/unix"
)

// The stop record. Every thread has one, Thread.stop: why it is stopped and
// what must happen when it resumes. classify decides it, from the wait status
// the thread reported, and act does what it says; nothing else looks at a
// thread's wait status. See "Stop records" in doc.go for the states and how
// they change.

// stopKind is why a thread is stopped.
type stopKind uint8

const (
	stopNone       stopKind = iota // running; or stopped by the engine itself (a new thread)
	stopOurs                       // our SIGSTOP or PTRACE_INTERRUPT; req is the Stop request it answers, if any
	stopGroup                      // a group-stop of a seized process: the job-control signal was delivered already
	stopEvent                      // a PTRACE_EVENT_* stop (clone, fork, exec, exit): cause
	stopStep                       // one instruction ran: the single-step it was resumed with, or an emulated one
	stopBreakpoint                 // the int3 of site: rip is back on its address and over is site
	stopHW                         // hardware execution breakpoint hw; site is the int3 at its address then, if any
	stopWatch                      // watchpoint hw saw an access
	stopStale                      // the trap of a breakpoint taken out since: it just runs on
	stopSignal                     // signal sig, for the signal policy
	stopKilled                     // SIGKILLed in this stop: only its exit is to come
	stopExit                       // (held) it exited or was killed: ws
	stopVanished                   // (held) wait4 failed for it: it is gone
	stopSyscall                    // a syscall-enter-stop or syscall-exit-stop (PTRACE_SYSCALL)
)

var stopNames = [...]string{"none", "ours", "group-stop", "ptrace-event", "step", "breakpoint",
	"hw-breakpoint", "watchpoint", "stale-trap", "signal", "killed", "exit", "vanished", "syscall"}

func (k stopKind) String() string { return stopNames[k] }

// stop is a thread's stop record.
type stop struct {
	// Why it is stopped: replaced by classify at each stop.
	kind  stopKind
	held  bool            // seen while another thread's callback ran: acted on when it returns (releaseHeld)
	site  *site           // stopBreakpoint: the breakpoint hit; stopHW: the int3 at its address when it trapped
	hw    *hwSlot         // stopHW, stopWatch: the debug register
	sig   unix.Signal     // stopSignal
	info  *unix.Siginfo   // stopSignal: sig's siginfo, for a signal of Thread.sigQueue (nil: the kernel has it)
	cause int             // stopEvent: PTRACE_EVENT_*
	req   EventKind       // stopOurs: EventStopped or EventTimeout, or 0
	ws    unix.WaitStatus // stopExit

	// What resuming it must do first.
	over    *site       // step over this int3: the one it hit, or one planted where it stands since
	watch   *hwSlot     // a watchpoint its step over a breakpoint triggered: handled after the step
	arrived []queuedSig // came while it stepped over a breakpoint: see signalsArrived

	// How it was resumed: kept while it runs, read at its next stop.
	stepping bool   // with PTRACE_SINGLESTEP
	hwAt     uint64 // from the hardware execution breakpoint here, with the resume flag: not run yet
	hwSite   *site  // the int3 at hwAt then, if any
}

// classify decides t's stop record from the status t reported; held says that
// a callback of another thread runs, so that act must wait until it returns.
// What it needs from the thread (DR6, the registers, our SIGSTOP) is taken
// now; what it does about the stop is left to act.
func (p *Process) classify(t *Thread, ws unix.WaitStatus, held bool) {
	prev := t.stop
	t.stop = stop{held: held, watch: prev.watch, arrived: prev.arrived}
	st := &t.stop
	sig := ws.StopSignal()
	st.kind, st.sig = stopSignal, sig
	if t.interrupted {
		// Any ptrace-stop clears a pending PTRACE_INTERRUPT: this stop is the
		// one we asked for, whatever it reports.
		p.mu.Lock()
		t.interrupted = false
		p.mu.Unlock()
		if sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_STOP {
			st.kind = stopOurs
			return
		}
	}
	if uint32(ws)>>16 == unix.PTRACE_EVENT_STOP {
		st.kind = stopGroup
		return
	}
	if cause := ws.TrapCause(); sig == unix.SIGTRAP && cause > 0 {
		st.kind, st.cause = stopEvent, cause
		return
	}
	if prev.stepping && sig == unix.SIGTRAP {
		st.kind = stopStep
		return
	}
	switch sig {
	case unix.SIGTRAP | 0x80: // PTRACE_O_TRACESYSGOOD
		st.kind = stopSyscall
	case unix.SIGSTOP:
		if ours, req := p.consumeSigstop(t); ours {
			st.kind, st.req = stopOurs, req
			if held {
				// Held before it ran the instruction of a hardware breakpoint
				// it had hit: see stillAtHW.
				st.hwAt, st.hwSite = prev.hwAt, prev.hwSite
			}
			if len(t.sigQueue) > 0 && req == 0 && st.hwAt == 0 {
				// Sent for this (sigstopFor): the next signal of the queue
				// is delivered from here, as if it stopped the thread now.
				q := t.sigQueue[0]
				t.sigQueue = t.sigQueue[1:]
				st.kind, st.sig, st.info = stopSignal, q.sig, &q.info
			}
		}
	case unix.SIGTRAP:
		if hw, ours := p.hwHit(t); ours {
			switch {
			case hw == nil:
				st.kind = stopStale // a register freed since
			case hw.kind == WatchExec:
				st.kind, st.hw, st.site = stopHW, hw, p.bps.sites[hw.addr]
			default:
				st.kind, st.hw = stopWatch, hw
			}
			return
		}
		err := t.loadRegs()
		switch {
		case err == nil:
			if s := p.bps.sites[t.regs.Rip-1]; s != nil {
				// Back on the breakpoint's address, as a callback must see it.
				t.regs.Rip, t.regsDirty = s.addr, true
				st.kind, st.site, st.over = stopBreakpoint, s, s
			} else if p.staleTrap(t) {
				st.kind = stopStale
			}
		case errors.Is(err, unix.ESRCH):
			st.kind = stopKilled
		}
	}
}

// act does what t's stop record says: runs callbacks, reports an event, or
// resumes t.
func (p *Process) act(t *Thread) {
	st := &t.stop
	st.held = false
	switch st.kind {
	case stopExit:
		p.threadGone(t, st.ws, true)
	case stopVanished:
		p.threadGone(t, 0, false)
	case stopKilled:
		t.state = tsRunning // there is no trap to report, only its exit to come
	case stopEvent:
		p.ptraceEvent(t, st.cause)
	case stopStep:
		p.report(&Event{Kind: EventStep, Process: p, Thread: t})
	case stopSyscall:
		p.sysStop(t, false)
	case stopSignal:
		p.signal(t, st.sig, st.info)
	case stopOurs:
		p.stillAtHW(t)
		if st.req != 0 {
			p.report(&Event{Kind: st.req, Process: p, Thread: t})
		} else if p.shouldRun() {
			p.resumeThread(t)
		}
	case stopBreakpoint:
		// A callback that moved a held thread elsewhere, or cleared the
		// breakpoint, cancelled the hit.
		if s := st.site; p.bps.sites[s.addr] == s && st.over == s {
			p.hit(t, s)
		} else if p.shouldRun() {
			p.resumeThread(t)
		}
	case stopHW, stopWatch:
		if p.hwLive(st.hw) {
			p.hwTrap(t, st.hw, st.site)
		} else if p.shouldRun() {
			p.resumeThread(t) // disabled or freed since: stale
		}
	default: // stopGroup, stopStale, stopNone
		if p.shouldRun() {
			p.resumeThread(t)
		}
	}
}

// fail stops the process for an error that t's stop, step or resume met (an
// int3 that cannot be taken out or put back, a thread that cannot be resumed):
// the next Wait or Thread.Step returns it, as a *ThreadError. An error that
// only says the process was killed is not one: its exit is reported instead. Inside a
// callback it is only queued; the code that ran the callback stops the
// process when it returns (settle).
func (p *Process) fail(t *Thread, err error) {
	if p.killed(t) {
		return // only its exit is to come, and its process's
	}
	ev := &Event{Process: p, Thread: t, Tid: t.tid, err: &ThreadError{Pid: p.pid, Tid: t.tid, Err: err}}
	if p.inCallback {
		p.queue(ev)
		return
	}
	p.report(ev)
}

// killed says whether t failed because it was killed: it has exited, or it
// has left its ptrace-stop (only SIGKILL makes a stopped tracee do that), or
// it stands in the exit stop SIGKILL led it to. Its next status, which wait4
// reports, is then its exit, so it counts as running.
func (p *Process) killed(t *Thread) bool {
	switch t.state {
	case tsGone, tsExiting:
		return true
	case tsRunning:
		return false
	}
	const exitStop = int32(unix.SIGTRAP) | unix.PTRACE_EVENT_EXIT<<8 // si_code at PTRACE_EVENT_EXIT
	si, err := getSiginfo(t.tid)
	if errors.Is(err, unix.ESRCH) || err == nil && si.Code == exitStop {
		t.state = tsRunning
		return true
	}
	return false
}

// settle ends the handling of t's stop once its callbacks have run: ev, when
// not nil, is reported; otherwise t runs on, unless the process is to stop,
// for a failure a callback met (fail) among others.
func (p *Process) settle(t *Thread, ev *Event) {
	switch {
	case ev != nil:
		p.report(ev)
	case p.shouldRun():
		p.resumeThread(t)
	case len(p.events) > 0 && !p.stopping && p.live() == nil:
		p.stopAll()
	}
}

// run resumes t; a thread that cannot be resumed stops the process with the
// error, instead of staying stopped with nothing to report.
func (p *Process) run(t *Thread) {
	if err := t.resume(false); err != nil {
		p.fail(t, err)
	}
}
