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

// held is what a thread stopped for a callback reported first.
type held struct {
	ws   unix.WaitStatus // a stop or an exit to dispatch as it came
	hit  *site           // ...or a hit of this site, rip already on its address
	hw   *hwSlot         // ...or a hit of this debug register (DR6 already read)
	sw   *site           // the software breakpoint at hw's address then, if any
	gone bool            // ...or it vanished (wait4 failed)
	req  EventKind       // a Stop request that our SIGSTOP also answered
	some bool            // ws holds a status
}

// holdTimeout bounds the wait for a held thread's stop. A thread in execve
// never stops: it waits in the kernel for the other threads to exit, and the
// thread of the callback cannot until the callback returns.
const holdTimeout = time.Second

// hold stops running thread t for the callback that runs now (p.inCallback).
// It fails with ErrNotStopping when t does not stop in time; t then goes on
// as if it had not been asked, our SIGSTOP being consumed when it comes.
func (p *Process) hold(t *Thread) error {
	if t.state != tsRunning || t.held != nil {
		return nil
	}
	p.mu.Lock()
	if !t.sigstopSent && !t.interrupted && unix.Tgkill(p.pid, t.tid, unix.SIGSTOP) == nil {
		t.sigstopSent = true
	}
	p.mu.Unlock()
	deadline := time.Now().Add(holdTimeout)
	wpid, ws, err := pollWait(t.tid, func() bool { return time.Now().Before(deadline) })
	if err == nil && wpid == 0 {
		return &ThreadError{Pid: p.pid, Tid: t.tid, Err: ErrNotStopping}
	}
	h := &held{}
	t.held = h
	p.held = append(p.held, t)
	switch {
	case err != nil:
		t.state, h.gone = tsExiting, true
	case ws.Exited() || ws.Signaled():
		t.state, h.ws, h.some = tsExiting, ws, true
	default:
		t.state, t.regsValid = tsStopped, false
		p.holdStop(t, h, ws)
	}
	return nil
}

// holdStop sorts out the first stop of a thread being held.
func (p *Process) holdStop(t *Thread, h *held, ws unix.WaitStatus) {
	sig := ws.StopSignal()
	hwAt := t.hwAt
	t.hwAt = 0 // it stopped somewhere else, or there again: see stillAtHW
	if sig == unix.SIGSTOP && uint32(ws)>>16 == 0 {
		if ours, req := p.consumeSigstop(t); ours {
			h.req, t.hwAt = req, hwAt
			return
		}
	}
	if sig == unix.SIGTRAP && ws.TrapCause() == 0 {
		if s, ours := p.hwHit(t); ours {
			h.hw = s // nil for a register freed since: the thread just runs on
			if s != nil && s.kind == WatchExec {
				h.sw = p.bps.sites[s.addr]
			}
			return
		}
		if t.loadRegs() == nil {
			if s := p.bps.sites[t.regs.Rip-1]; s != nil {
				// Show the callback the thread on the breakpoint, as a hit does.
				t.regs.Rip, t.regsDirty, t.bpAt = s.addr, true, s
				h.hit = s
				return
			}
		}
	}
	h.ws, h.some = ws, true
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
		h := t.held
		t.held = nil
		switch {
		case h.gone:
			p.threadGone(t, 0, false)
		case h.some && (h.ws.Exited() || h.ws.Signaled()):
			p.threadGone(t, h.ws, true)
		case h.some:
			p.stopped(t, h.ws)
		case h.hw != nil && p.hwLive(h.hw):
			p.hwTrap(t, h.hw, h.sw)
		case h.hit != nil && p.bps.sites[h.hit.addr] == h.hit && t.bpAt == h.hit:
			// (A callback that moved the thread elsewhere cancelled the hit.)
			p.hit(t, h.hit)
		case h.req != 0:
			p.stillAtHW(t)
			p.report(&Event{Kind: h.req, Process: p, Thread: t})
		default:
			p.stillAtHW(t)
			if p.shouldRun() {
				p.resumeThread(t)
			}
		}
	}
}

// stillAtHW handles a thread held before it ran the instruction of the
// hardware breakpoint it had hit (it resumes from there with the resume flag):
// a software breakpoint planted there since is stepped over.
func (p *Process) stillAtHW(t *Thread) {
	if at := t.hwAt; at != 0 {
		t.hwAt = 0
		p.skipPlanted(t, at, t.hwSite)
	}
}
