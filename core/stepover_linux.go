package core

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
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
	stepped = p.stepHolding(t, 0, nil, !makesSyscall(s))
	if p.bps.sites[s.addr] == s && p.live() == nil {
		if _, err := p.writeMem(s.addr, []byte{0xCC}); err != nil {
			return stepped, fmt.Errorf("breakpoint at %#x lost: its int3 could not be put back after a step over it: %w", s.addr, err)
		}
	}
	return stepped, nil
}

// singleStep executes one instruction of t in place, others stopped (see
// stepHolding), with the asynchronous signals blocked unless it may be a
// system call.
func (p *Process) singleStep(t *Thread) (done bool) {
	block := false
	if t.loadRegs() == nil {
		var code [15]byte
		n, _ := p.readMemory(t.regs.Rip, code[:])
		in, err := x86asm.Decode(code[:n], 64)
		block = err == nil && !syscallOp(in.Op)
	}
	return p.stepHolding(t, 0, nil, block)
}

// makesSyscall says whether the instruction under s enters the kernel: the
// system call's end may change the signal mask (sigprocmask, sigreturn) and
// may be interrupted by a signal (EINTR), so its step does not block them.
func makesSyscall(s *site) bool {
	return s.insn.Len() == 0 || syscallOp(s.insn.Inst().Op) // not decoded: it may be anything
}

func syscallOp(op x86asm.Op) bool {
	switch op {
	case x86asm.SYSCALL, x86asm.SYSENTER, x86asm.INT, x86asm.INTO:
		return true
	}
	return false
}

// signalsArrived puts the signals that came while t stepped over a breakpoint
// (taken from the kernel and held, so that no handler ran inside the step:
// see siginfo_linux.go) through the signal policy, as if t had stopped for
// them now: a signal whose policy is to stop is reported, one to deliver
// becomes t's pending signal, with its siginfo. When t has a signal to
// deliver already, the others wait in t.sigQueue and meet the policy each
// at a stop of its own.
func (p *Process) signalsArrived(t *Thread) {
	arrived := t.stop.arrived
	t.stop.arrived = nil
	if t.state != tsStopped {
		return
	}
	for i := range arrived {
		if t.pendingSig != 0 || len(t.sigQueue) > 0 {
			t.sigQueue = append(t.sigQueue, arrived[i:]...)
			return
		}
		p.takeSignal(t, arrived[i].sig, &arrived[i].info)
	}
}
