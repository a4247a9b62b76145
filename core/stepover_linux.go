package core

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// resumeThread lets one stopped thread run on while the others may be running.
// A thread stopped on a breakpoint steps over it without the int3 ever leaving
// the text: by emulating the instruction, or else by running a copy of it out
// of line (displaced stepping). Only when neither can be done does it stop every
// thread and single-step the original instruction in place (see resumeAll).
func (p *Process) resumeThread(t *Thread) {
	if t.vforkChild != nil {
		return // until its vfork child is done: see fork_linux.go
	}
	s := t.stop.over
	if s == nil || p.bps.sites[s.addr] != s {
		p.run(t)
		return
	}
	switch {
	case s.emuOK && p.emulate(t, s):
	case p.canDisplace(t, s):
		if !p.displacedStep(t, s) {
			return // the step ended in a fault or an exit, already handled
		}
		if !p.shouldRun() {
			return
		}
	default:
		p.stopAll()
		if len(p.events) == 0 && p.state == Running {
			p.resumeAll()
		}
		return
	}
	if !p.steppedOntoWatch(t) {
		p.run(t)
	}
}

// emulate executes the instruction displaced by s in t's registers.
func (p *Process) emulate(t *Thread, s *site) bool {
	if err := t.loadRegs(); err != nil || t.regs.Rip != s.addr {
		return false
	}
	p.emuWatch = nil
	if err := s.insn.Emulate(&t.regs, p.emuMem); err != nil {
		return false
	}
	t.regsDirty = true
	t.stop.kind, t.stop.over = stopStep, nil
	if p.emuWatch != nil {
		t.stop.watch, p.emuWatch = p.emuWatch, nil
	}
	return true
}

// resumeAll resumes every stopped thread of an all-stopped process. First each
// thread standing on a breakpoint steps over it, while all the others are still
// stopped; then all of them run. Threads held for a callback are left to
// releaseHeld, which handles what they reported first. What goes wrong stops
// the process again, for the next Wait to report (see fail).
func (p *Process) resumeAll() {
	p.stopping = true
	for _, t := range p.threadList() {
		if t.state == tsStopped && t.stop.over != nil && !t.stop.held {
			if _, err := p.stepOver(t); err != nil {
				p.fail(t, err)
			}
			p.signalsArrived(t)
			p.steppedOntoWatch(t) // counted; a stop is reported below
		}
	}
	p.stopping = false
	if len(p.events) > 0 {
		return // a step ended in something to report: stay stopped
	}
	for _, t := range p.threadList() {
		if t.state == tsStopped && !t.stop.held && t.vforkChild == nil { // held ones: releaseHeld; vfork: sharerDone
			if err := t.resume(false); err != nil {
				p.fail(t, err) // stops again those resumed already
				return
			}
		}
	}
}

// stepOver executes the instruction under t's breakpoint (t.stop.over), every
// other thread being stopped: emulated, or else single-stepped in place with
// the original byte back in the text for that one step. It is the step-over of
// resumeAll and of Thread.Step. stepped says that the instruction ran; false
// when it faulted or the thread exited, which is handled already, or when
// there is no breakpoint to step over. An int3 that cannot be taken out (t
// stays on it) or put back (the breakpoint is lost) is an error.
func (p *Process) stepOver(t *Thread) (stepped bool, err error) {
	s := t.stop.over
	if s == nil || p.bps.sites[s.addr] != s {
		t.stop.over = nil
		return false, nil
	}
	if s.emuOK && p.emulate(t, s) {
		return true, nil
	}
	if _, err := p.writeMem(s.addr, []byte{s.orig}); err != nil {
		return false, fmt.Errorf("cannot take out the breakpoint at %#x to step over it: %w", s.addr, err)
	}
	t.stop.over = nil
	stepped = p.singleStep(t)
	if p.bps.sites[s.addr] == s && p.live() == nil {
		if _, err := p.writeMem(s.addr, []byte{0xCC}); err != nil {
			return stepped, fmt.Errorf("breakpoint at %#x lost: its int3 could not be put back after a step over it: %w", s.addr, err)
		}
	}
	return stepped, nil
}

// singleStep executes one instruction of t in place, others stopped (see
// stepHolding).
func (p *Process) singleStep(t *Thread) (done bool) { return p.stepHolding(t, 0, nil) }

// signalsArrived puts the signals that came while t stepped over a breakpoint
// (held, so that no handler ran inside the step) through the signal policy, as
// if t had stopped for them now: a signal whose policy is to stop is reported,
// one to deliver becomes t's pending signal. When t has a pending signal
// already, the others are sent to it again and meet the policy when they come.
func (p *Process) signalsArrived(t *Thread) {
	arrived := t.stop.arrived
	t.stop.arrived = nil
	if t.state != tsStopped {
		return
	}
	for _, sig := range arrived {
		if t.pendingSig != 0 {
			unix.Tgkill(t.tgid, t.tid, sig)
			continue
		}
		a := p.signals.action(sig)
		if a.Deliver {
			t.pendingSig = sig
		}
		if a.Stop {
			ev := &Event{Kind: EventSignal, Process: p, Thread: t, Signal: sig}
			p.observe(ev)
			if p.hooks.OnEvent == nil || p.callHook(ev) {
				p.report(ev)
			}
		}
	}
}
