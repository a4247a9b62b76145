package core

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Step executes exactly one instruction of t while the other threads stay stopped,
// stepping over a breakpoint under it, and returns the resulting event (normally
// EventStep; a signal or an exit if that is what the instruction led to).
func (t *Thread) Step() (*Event, error) {
	var ev *Event
	var err error
	t.p.e.Do(func() {
		if err = t.canStep(); err != nil {
			return
		}
		ev, err = t.stepInsn(false)
	})
	return ev, err
}

// canStep says why t cannot be stepped now, if it cannot.
func (t *Thread) canStep() error {
	p := t.p
	if p.inCallback {
		return ErrInCallback
	}
	if err := p.stoppedLive(); err != nil {
		return err
	}
	if err := t.stoppedErr(); err != nil {
		return err
	}
	if t.vforkChild != nil {
		return &ThreadError{Pid: p.pid, Tid: t.tid, Err: ErrVforkWait}
	}
	return nil
}

// stepInsn is Step on the tracer thread, once canStep has passed. A thread
// that stands on a breakpoint's address without having hit it (a step
// ended there, or it was planted since) executes the instruction under it,
// not the int3. quiet keeps the step's event from the engine's observer:
// for the steps of a source-level step, which reports only its end.
func (t *Thread) stepInsn(quiet bool) (*Event, error) {
	p := t.p
	if len(p.events) > 0 {
		return p.next()
	}
	if t.stop.over == nil && t.loadRegs() == nil {
		t.stop.over = p.bps.sites[t.regs.Rip]
	}
	p.term.give() // the instruction may read the terminal
	p.stopping = true
	var stepped bool
	if s := t.stop.over; s != nil && p.bps.sites[s.addr] == s {
		var serr error
		if stepped, serr = p.stepOver(t); serr != nil {
			p.fail(t, serr) // returned below, in place of the step
		}
	} else {
		t.stop.over = nil
		stepped = p.singleStep(t)
	}
	if stepped {
		// A watchpoint the instruction hit is the event (when its
		// callback says stop), as gdb reports it rather than the step.
		p.steppedOntoWatch(t)
	}
	p.stopping = false
	p.term.take()
	if stepped && len(p.events) == 0 {
		p.queue(&Event{Kind: EventStep, Process: p, Thread: t, Tid: t.tid, observed: quiet})
	}
	p.signalsArrived(t) // reported after the step
	if len(p.events) == 0 {
		return nil, fmt.Errorf("thread %d: step did not complete", t.tid)
	}
	return p.next()
}

// Detach removes every breakpoint and lets the process go on untraced.
// Threads that have one of our SIGSTOPs still pending are first run until it
// is consumed, so that the program never receives it; so are threads with
// more than one signal to deliver, one from each stop (see
// siginfo_linux.go). A process with a seccomp filter of catchpoints is not
// detached: ErrSeccompDetach.
func (p *Process) Detach() error {
	var err error
	p.e.Do(func() {
		if p.inCallback {
			err = ErrInCallback
			return
		}
		if err = p.live(); err != nil {
			return
		}
		err = p.detach()
	})
	return err
}

func (p *Process) detach() error {
	if p.sys.filter {
		return fmt.Errorf("process %d: %w", p.pid, ErrSeccompDetach)
	}
	p.sys = sysState{}
	for _, t := range p.threadList() {
		t.sysDrop()
	}
	p.stopAll()
	p.clearHW()
	first := p.removeAllSites(true)
	p.forgetCalls()
	if err := p.closeTraces(); err != nil && first == nil {
		first = err
	}
	p.runPendingStops(&first)
	if p.live() != nil {
		return first // it ended meanwhile
	}
	if err := p.unmapScratch(); err != nil && first == nil {
		first = err
	}
	// The system calls that unmapped them may have taken signals from the
	// kernel (see stepHolding): delivered as the others.
	for _, t := range p.threadList() {
		p.signalsArrived(t)
	}
	p.runPendingStops(&first)
	if p.live() != nil {
		return first // it ended meanwhile
	}
	for _, t := range p.threadList() {
		if t.state != tsStopped {
			continue
		}
		if err := t.flushRegs(); err != nil && first == nil {
			first = err
		}
		sig, err := t.signalToInject()
		if err != nil && err != unix.ESRCH && first == nil {
			first = fmt.Errorf("thread %d: %w", t.tid, err)
		}
		if err := ptrace(unix.PTRACE_DETACH, t.tid, 0, uintptr(sig)); err != nil && err != unix.ESRCH && first == nil {
			first = fmt.Errorf("ptrace(PTRACE_DETACH) thread %d: %w", t.tid, err)
		}
	}
	for _, t := range p.threadList() {
		p.removeThread(t)
	}
	p.term.close()
	p.state = Detached
	p.running.Store(false)
	p.events = nil
	if p.mem != nil {
		p.mem.Close()
		p.mem = nil
	}
	delete(p.e.procs, p.pid)
	if p.launched {
		reapDetached(p.pid)
	}
	return first
}

// runPendingStops runs the threads that have one of our SIGSTOPs still
// pending until they take it, and those with more than one signal to deliver
// until each has had a stop of its own (see siginfo_linux.go); the first
// error goes to *first.
func (p *Process) runPendingStops(first *error) {
	for round := 0; round < 100; round++ {
		pending := false
		for _, t := range p.threadList() {
			if t.state == tsStopped && (t.sigstopSent || t.mustStopAgain()) {
				pending = true
				if c := t.vforkChild; c != nil {
					// In vfork it takes the SIGSTOP only once its child
					// has exec'd or exited: that child, clean now, goes
					// first, with no SIGSTOP of ours left.
					if c.state == tsStopped && !c.sigstopSent {
						if err := p.letGoSharer(c); err != nil && *first == nil {
							*first = err
						}
					}
					continue
				}
				t.stop.over = nil
				if err := t.resume(false); err != nil && *first == nil {
					*first = err
				}
			}
		}
		if !pending || p.live() != nil {
			break
		}
		p.stopAll()
	}
}

// Kill kills the process with SIGKILL and reaps every thread.
func (p *Process) Kill() error {
	var err error
	p.e.Do(func() {
		if p.inCallback {
			err = ErrInCallback
			return
		}
		if err = p.live(); err != nil {
			return
		}
		p.kill()
	})
	return err
}

func (p *Process) kill() {
	unix.Kill(p.pid, unix.SIGKILL)
	// Children that share its memory go with it: they have our int3s.
	for _, t := range p.threadList() {
		if t.shares() {
			unix.Kill(t.tgid, unix.SIGKILL)
		}
	}
	// Reap the other threads first: the main thread's death is reported last.
	for _, t := range p.threadList() {
		if t.tid != p.pid {
			p.reap(t)
		}
	}
	// So are threads whose creation was not reported yet (the kill came first):
	// until they are, the main thread's death is not reported either.
	for _, tid := range listTasks(p.pid) {
		if tid != p.pid && p.threads[tid] == nil {
			p.reapUnknown(tid)
		}
	}
	if t := p.threads[p.pid]; t != nil {
		p.reap(t)
	}
	if p.live() == nil {
		p.finish(unix.WaitStatus(unix.SIGKILL))
	}
	p.events = nil
}

// reapUnknown waits until a traced thread the engine never heard of is gone.
func (p *Process) reapUnknown(tid int) {
	delete(p.e.early, tid)
	for {
		_, ws, err := wait4(tid, false)
		if err != nil || ws.Exited() || ws.Signaled() {
			return
		}
		ptrace(unix.PTRACE_CONT, tid, 0, 0)
	}
}

// reap waits until t is gone. A thread may still stop at PTRACE_EVENT_EXIT on the
// way out: it is let go.
func (p *Process) reap(t *Thread) {
	for t.state != tsGone && p.live() == nil {
		_, ws, err := wait4(t.tid, false)
		if err != nil {
			p.threadGone(t, unix.WaitStatus(unix.SIGKILL), true)
			return
		}
		if ws.Exited() || ws.Signaled() {
			p.threadGone(t, ws, true)
			return
		}
		ptrace(unix.PTRACE_CONT, t.tid, 0, 0)
	}
}

// release ends the session with p: a launched process is killed, an attached one
// detached.
func (p *Process) release() error {
	if p.live() != nil {
		return nil
	}
	if p.launched {
		p.kill()
		return nil
	}
	return p.detach()
}
