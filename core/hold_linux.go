package core

import (
	"time"

	"golang.org/x/sys/unix"
)

// Holding threads for a callback. While a callback runs only its own thread is
// stopped; when it reads or writes another thread's registers (or sets a
// hardware breakpoint, which every thread's debug registers must carry), that
// thread is stopped on demand and held until the callback returns. No callback
// runs inside another: whatever a held thread reports instead of our SIGSTOP (a
// hit of its own, a signal, a ptrace event, its exit) is kept and handled in
// releaseHeld, when the callback has returned and its own thread has been
// resumed or reported.

// holdTimeout bounds the wait for a held thread's stop. A thread in execve
// never stops: it waits in the kernel for the other threads to exit, and the
// thread of the callback cannot until the callback returns.
const holdTimeout = time.Second

// hold stops running thread t for the callback that runs now (p.inCallback).
// It fails with ErrNotStopping when t does not stop in time; t then goes on
// as if it had not been asked, our SIGSTOP being consumed when it comes.
func (p *Process) hold(t *Thread) error {
	if t.state != tsRunning || t.stop.held {
		return nil
	}
	p.mu.Lock()
	if !t.sigstopSent && !t.interrupted && unix.Tgkill(t.tgid, t.tid, unix.SIGSTOP) == nil {
		t.sigstopSent = true
	}
	p.mu.Unlock()
	deadline := time.Now().Add(holdTimeout)
	wpid, ws, err := pollWait(t.tid, func() bool { return time.Now().Before(deadline) })
	if err == nil && wpid == 0 {
		return &ThreadError{Pid: p.pid, Tid: t.tid, Err: ErrNotStopping}
	}
	p.held = append(p.held, t)
	switch {
	case err != nil:
		t.state = tsExiting
		t.stop = stop{kind: stopVanished, held: true}
	case ws.Exited() || ws.Signaled():
		t.state = tsExiting
		t.stop = stop{kind: stopExit, held: true, ws: ws}
	default:
		t.state, t.regsValid = tsStopped, false
		p.classify(t, ws, true)
	}
	return nil
}

// holdAll holds every running thread; it fails if one does not stop.
func (p *Process) holdAll() error {
	var first error
	for _, t := range p.threadList() {
		if err := p.hold(t); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// endCallback ends a callback of p, deferred by the code that runs it: after
// the callback's own thread has been resumed or reported, or after a panic in
// the callback, which leaves no thread held and p not in a callback.
func (p *Process) endCallback() {
	p.inCallback = false
	p.releaseHeld()
}

// releaseHeld ends the holds of the callback that has returned: what a held
// thread reported is handled now (its own callbacks run), and the others run on
// if the process does.
func (p *Process) releaseHeld() {
	for len(p.held) > 0 {
		t := p.held[0]
		p.held = p.held[1:]
		p.act(t)
	}
}

// stillAtHW handles a thread held before it ran the instruction of the
// hardware breakpoint it had hit (it resumes from there with the resume flag):
// a software breakpoint planted there since is stepped over.
func (p *Process) stillAtHW(t *Thread) {
	if at := t.stop.hwAt; at != 0 {
		t.stop.hwAt = 0
		p.skipPlanted(t, at, t.stop.hwSite)
	}
}
