package core

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signals reach the program with the siginfo the kernel made for them (its
// si_code, si_pid, si_value, si_addr), in the order and number the kernel
// delivers them. The kernel delivers a signal that a tracer passes to
// PTRACE_CONT, PTRACE_SINGLESTEP or PTRACE_DETACH only when the tracee stands
// in a signal-delivery stop, and with that stop's siginfo: the one the
// tracer set with PTRACE_SETSIGINFO, or else SI_USER from the tracer's pid
// if the signal is not the stop's own. Hence:
//
//   - A signal to deliver (Thread.pendingSig) goes straight back from its own
//     stop (sigFresh). When the thread has moved since (a step over a
//     breakpoint, a system call run for the engine), the siginfo taken at the
//     stop (keepSiginfo) is set again before it resumes.
//   - A step over a breakpoint blocks the asynchronous signals (blockSignals):
//     they stay queued in the kernel, which keeps their order, queues
//     real-time ones and merges standard ones, and delivers them through
//     stops of their own once the step is done. Only the signals a step
//     cannot block (a fault of another thread's making, or any signal while a
//     system call is stepped) are taken from the kernel during a step; they
//     arrive after it (signalsArrived) with their siginfo.
//   - One stop injects one signal. The others wait in Thread.sigQueue, and the
//     thread is sent one of our SIGSTOPs: it stops again before it runs an
//     instruction, and that stop delivers the next one. So does a signal
//     that would otherwise be injected from a stop that is no signal-delivery
//     stop (a ptrace event, a group-stop), where the kernel drops it.
//
// No signal is ever raised again with kill or tgkill, which would give it
// another origin and lose its data.

// queuedSig is a signal taken from the kernel's queue that its thread is
// still to receive, with its siginfo.
type queuedSig struct {
	sig  unix.Signal
	info unix.Siginfo
}

// setSiginfo sets the siginfo of the signal-delivery stop thread tid is in.
func setSiginfo(tid int, si *unix.Siginfo) error {
	return ptrace(unix.PTRACE_SETSIGINFO, tid, 0, uintptr(unsafe.Pointer(si)))
}

// atSignalStop says whether tid stands in a signal-delivery stop, the only
// stop from which a signal can be injected: the siginfo of a ptrace event
// stop carries the event in si_code's second byte, and a group-stop has none.
func atSignalStop(tid int) bool {
	si, err := getSiginfo(tid)
	return err == nil && !(si.Signo == int32(unix.SIGTRAP) && si.Code > 0 && si.Code>>8 != 0)
}

// keepSiginfo takes the siginfo of t's pending signal from the kernel while t
// still stands in the signal's stop, before something moves it.
func (t *Thread) keepSiginfo() {
	if t.pendingSig == 0 || !t.sigFresh {
		return
	}
	if si, err := getSiginfo(t.tid); err == nil && si.Signo == int32(t.pendingSig) {
		t.sigInfo = si
	}
	t.sigFresh = false
}

// hasSiginfo says whether t keeps the kernel's siginfo for its pending signal.
func (t *Thread) hasSiginfo() bool {
	return t.pendingSig != 0 && t.sigInfo.Signo == int32(t.pendingSig)
}

// signalToInject readies t's pending signal for the request that resumes t
// and returns its number, 0 for none: see the top of this file. A signal
// whose siginfo is kept but which cannot be injected from t's stop goes to
// the front of t.sigQueue. A signal a script chose (Thread.SetSignal) has no
// siginfo of its own: the kernel makes one, from stardbg.
func (t *Thread) signalToInject() (unix.Signal, error) {
	sig := t.pendingSig
	if sig == 0 || t.sigFresh || !t.hasSiginfo() {
		return sig, nil
	}
	if !atSignalStop(t.tid) {
		t.sigQueue = append([]queuedSig{{sig, t.sigInfo}}, t.sigQueue...)
		t.pendingSig = 0
		return 0, nil
	}
	if err := setSiginfo(t.tid, &t.sigInfo); err != nil {
		if err == unix.ESRCH {
			return 0, err
		}
		return 0, os.NewSyscallError("ptrace(PTRACE_SETSIGINFO)", err)
	}
	return sig, nil
}

// sigstopFor sends t one of our SIGSTOPs unless one (or a PTRACE_INTERRUPT)
// is on its way already. Its stop, a signal-delivery stop that comes before
// t runs an instruction, delivers the next signal of t.sigQueue (classify).
func (p *Process) sigstopFor(t *Thread) {
	p.mu.Lock()
	if !t.sigstopSent && !t.interrupted && unix.Tgkill(t.tgid, t.tid, unix.SIGSTOP) == nil {
		t.sigstopSent = true
	}
	p.mu.Unlock()
}

// mustStopAgain says whether t needs a stop of ours before it can be let go
// with its signals: it has more than one, or its pending one cannot be
// injected from where it stands.
func (t *Thread) mustStopAgain() bool {
	return len(t.sigQueue) > 0 || t.pendingSig != 0 && !t.sigFresh && t.hasSiginfo() && !atSignalStop(t.tid)
}

// blocks says whether t blocks sig now: injected, it would go back to the
// kernel's queue (at its end).
func (t *Thread) blocks(sig unix.Signal) bool {
	var mask uint64
	err := ptrace(unix.PTRACE_GETSIGMASK, t.tid, 8, uintptr(unsafe.Pointer(&mask)))
	return err == nil && mask&(1<<(sig-1)) != 0
}

// Signals a step over a breakpoint leaves unblocked: those an instruction
// raises itself (a blocked one would make the kernel reset the program's
// handler), and the two nothing can block.
const syncSignals = 1<<(unix.SIGSEGV-1) | 1<<(unix.SIGBUS-1) | 1<<(unix.SIGILL-1) | 1<<(unix.SIGFPE-1) |
	1<<(unix.SIGTRAP-1) | 1<<(unix.SIGSYS-1) | 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)

// blockSignals blocks every asynchronous signal in stopped thread t for a
// step over a breakpoint, so that none is taken from the kernel's queue
// meanwhile, and returns t's own mask, which restoreMask must give back
// before t is resumed by anything but the step; blocked is false when it
// blocked nothing (the signals that come arrive as before): when t stopped
// inside a system call, whose end may restore a mask of its own (sigsuspend,
// ppoll), or when the mask cannot be read or set.
func (t *Thread) blockSignals() (mask uint64, blocked bool) {
	if t.loadRegs() != nil || t.regs.Orig_rax != ^uint64(0) {
		return 0, false
	}
	if ptrace(unix.PTRACE_GETSIGMASK, t.tid, 8, uintptr(unsafe.Pointer(&mask))) != nil {
		return 0, false
	}
	all := mask | ^uint64(syncSignals)
	if all == mask || ptrace(unix.PTRACE_SETSIGMASK, t.tid, 8, uintptr(unsafe.Pointer(&all))) != nil {
		return 0, false
	}
	return mask, true
}

// restoreMask gives t back the mask blockSignals took.
func (t *Thread) restoreMask(mask uint64) error {
	if err := ptrace(unix.PTRACE_SETSIGMASK, t.tid, 8, uintptr(unsafe.Pointer(&mask))); err != nil && err != unix.ESRCH {
		return os.NewSyscallError("ptrace(PTRACE_SETSIGMASK)", err)
	}
	return nil
}
