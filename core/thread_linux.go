package core

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

type threadState int

const (
	tsRunning threadState = iota // resumed; will report a stop or its exit
	tsStopped                    // in a ptrace-stop we have seen
	tsExiting                    // past PTRACE_EVENT_EXIT: it never stops again
	tsGone                       // reaped
)

// Thread is one thread (task) of a traced process.
type Thread struct {
	p     *Process
	tid   int
	tgid  int // its process: p.pid, or a child's that shares p's memory (see fork_linux.go)
	state threadState

	// A child that shares the memory and the thread of p that made it with
	// vfork: that thread stays in its PTRACE_EVENT_VFORK stop while the
	// child runs (see fork_linux.go).
	vforkChild  *Thread // of the parent thread: the child it waits for
	vforkParent *Thread // of the child: the thread that waits for it

	sigstopSent bool // a SIGSTOP we sent is still to be reported (guarded by p.mu)
	interrupted bool // a PTRACE_INTERRUPT is pending: its next stop is ours (guarded by p.mu)

	regs      unix.PtraceRegs
	regsValid bool // regs holds the thread's registers for this stop
	regsDirty bool // regs must be written back before the thread runs

	pendingSig unix.Signal  // delivered when the thread next resumes (see siginfo_linux.go)
	sigInfo    unix.Siginfo // pendingSig's siginfo as the kernel made it, when its Signo is pendingSig
	sigFresh   bool         // t stands in pendingSig's own signal-delivery stop: the kernel has its siginfo
	sigQueue   []queuedSig  // signals to deliver after pendingSig, each from a stop of its own
	stop       stop         // why it is stopped, and what resuming it must do: see stop_linux.go
	exitStatus int

	// System calls caught by catchpoints (syscall_linux.go).
	sys       *Syscall   // the call it is in: its entry was seen, its exit is to come
	sysIntr   []*Syscall // calls a signal interrupted: restarted, or ended when a handler returns
	sysAt     *Syscall   // the call whose entry or exit it is stopped at, until it resumes
	sysSigret bool       // in rt_sigreturn with calls interrupted: its exit says what became of them
	sysReplay bool       // sys's entry is made again (a filter was installed from it)
}

// Tid is the thread id.
func (t *Thread) Tid() int { return t.tid }

// Process is the process t belongs to.
func (t *Thread) Process() *Process { return t.p }

// Pid is the process id of t's own process: its Process's, except for a child
// that shares the process's memory (vfork until it execs, clone(CLONE_VM)),
// which is traced with the process's threads.
func (t *Thread) Pid() int { return t.tgid }

// shares says whether t is a child that shares p's memory, not a thread of p.
func (t *Thread) shares() bool { return t.tgid != t.p.pid }

// Name is the thread's name from /proc (its comm).
func (t *Thread) Name() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/comm", t.tgid, t.tid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// State is "stopped", "running", "exiting" or "exited".
func (t *Thread) State() string {
	var s threadState
	t.p.e.Do(func() { s = t.state })
	return [...]string{"running", "stopped", "exiting", "exited"}[s]
}

// Signal is the signal that will be delivered when the thread resumes (0 for none).
func (t *Thread) Signal() unix.Signal {
	var s unix.Signal
	t.p.e.Do(func() { s = t.pendingSig })
	return s
}

// SetSignal sets the signal delivered when the thread resumes; 0 suppresses it.
// The signal it had keeps its siginfo; another one is delivered as the kernel
// makes a signal a tracer injects: SI_USER, from stardbg's pid.
func (t *Thread) SetSignal(sig unix.Signal) {
	t.p.e.Do(func() {
		if sig != t.pendingSig {
			t.pendingSig, t.sigFresh = sig, false
		}
	})
}

// stoppedErr says why t cannot be inspected now, or nil.
func (t *Thread) stoppedErr() error {
	if err := t.p.live(); err != nil {
		return err
	}
	if t.state == tsRunning && t.p.inCallback {
		// Another thread's callback reads it: stop it on demand.
		if err := t.p.hold(t); err != nil {
			return err
		}
	}
	switch t.state {
	case tsStopped:
		return nil
	case tsGone, tsExiting:
		return &ThreadError{Pid: t.p.pid, Tid: t.tid, Err: ErrThreadExited}
	}
	return &ThreadError{Pid: t.p.pid, Tid: t.tid, Err: ErrRunning}
}

// loadRegs fetches the registers once per stop.
func (t *Thread) loadRegs() error {
	if t.regsValid {
		return nil
	}
	if err := unix.PtraceGetRegs(t.tid, &t.regs); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_GETREGS)", err)
	}
	t.regsValid = true
	return nil
}

// flushRegs writes changed registers back to the kernel.
func (t *Thread) flushRegs() error {
	if !t.regsDirty {
		return nil
	}
	t.regsDirty = false
	if err := unix.PtraceSetRegs(t.tid, &t.regs); err != nil {
		t.regsValid = false // it has the registers it had: read them again
		return os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	return nil
}

// resume lets a stopped thread run: flushes registers and delivers its pending
// signal. It does not step over a breakpoint (see Process.stepOver).
func (t *Thread) resume(step bool) error {
	if err := t.flushRegs(); err != nil {
		return err
	}
	sig, err := t.signalToInject()
	if err == unix.ESRCH {
		return nil // killed from outside while stopped: its exit is reported by wait
	}
	if err != nil {
		return err
	}
	if !step && len(t.sigQueue) > 0 {
		t.p.sigstopFor(t) // the next signal of the queue is delivered from that stop
	}
	t.regsValid = false
	t.stop.kind, t.stop.over, t.stop.stepping = stopNone, nil, step
	t.state = tsRunning
	t.sysAt = nil
	req, name := unix.PTRACE_CONT, "ptrace(PTRACE_CONT)"
	switch {
	case step:
		req, name = unix.PTRACE_SINGLESTEP, "ptrace(PTRACE_SINGLESTEP)"
	case t.p.syscallStops(t):
		req, name = unix.PTRACE_SYSCALL, "ptrace(PTRACE_SYSCALL)"
	}
	err = ptrace(req, t.tid, 0, uintptr(sig))
	if err == unix.ESRCH {
		// Killed from outside while stopped: its exit is reported by wait.
		return nil
	}
	if err != nil {
		t.state = tsStopped
		return os.NewSyscallError(name, err)
	}
	t.pendingSig, t.sigFresh = 0, false
	return nil
}
