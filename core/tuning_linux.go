package core

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pin is the tracer thread's CPU affinity: where it is pinned (see
// pinToCurrentCPU) and the mask it had before, which launched programs get
// back (see forkWide). The tracer thread alone reads and writes it.
type pin struct {
	pinned bool
	cpu    unix.CPUSet // the CPU the tracer is pinned to
	wide   unix.CPUSet // the tracer's mask before pinning: stardbg's own
}

// pinToCurrentCPU binds the calling thread (the tracer) to the CPU it runs on,
// after recording the mask it had. A trap wakes the tracer and PTRACE_CONT
// wakes the tracee: when they sit on different CPUs every hit pays two
// cross-CPU wake-ups, which on a virtual machine cost more than the ptrace
// work itself. Pinned, the scheduler's wake-affinity may bring the hitting
// thread to the tracer's CPU. With the target free to run anywhere it buys
// little (about 10% for one thread, nothing measurable for eight: see the
// README); the large gain measured before came from launched targets that
// inherited the pin, which forkWide now prevents. Only the tracer thread is pinned: the
// target's threads and the Go runtime's other threads run anywhere (the
// runtime starts new threads from its template thread when the calling
// thread is locked, so they do not inherit the pin).
// STARDBG_PIN=0 in the environment turns it off.
func (pn *pin) pinToCurrentCPU() {
	if err := unix.SchedGetaffinity(0, &pn.wide); err != nil {
		return
	}
	var cpu uint32
	if _, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); errno != 0 {
		return
	}
	pn.cpu.Zero()
	pn.cpu.Set(int(cpu))
	if unix.SchedSetaffinity(0, &pn.cpu) == nil {
		pn.pinned = true
	}
}

// forkWide runs fork (which starts a program from the tracer thread) with the
// tracer's mask widened back to what it was before pinning, so that the child,
// which inherits the mask of the thread that forks it, may run on every CPU
// stardbg may: a traced program is scheduled as an untraced one (nproc, a
// thread pool sized by sched_getaffinity, GOMAXPROCS). Only the tracer thread
// sets its own mask, and it forks only here, so nothing else sees the window.
func (pn *pin) forkWide(fork func() error) error {
	if !pn.pinned {
		return fork()
	}
	if err := unix.SchedSetaffinity(0, &pn.wide); err != nil {
		return os.NewSyscallError("sched_setaffinity", err)
	}
	err := fork()
	unix.SchedSetaffinity(0, &pn.cpu)
	return err
}

// quietSIGCHLD puts SIGCHLD back to its default disposition. The Go runtime
// installs a handler for every signal, so each stop of each tracee (every
// breakpoint hit) would interrupt a thread of the debugger with a SIGCHLD that
// nobody reads: with SIG_DFL the kernel drops it when it is sent. (SIG_DFL, not
// SIG_IGN: ignoring SIGCHLD would make the kernel reap our children for us.)
// The runtime's handler is kept, for the time tracepoints need SIGCHLD to
// wake the tracer (see tracewait_linux.go): then it is put back, and
// os/signal.Notify sees SIGCHLD.
func quietSIGCHLD() {
	childWaker.mu.Lock()
	defer childWaker.mu.Unlock()
	if childWaker.refs == 0 {
		setSIGCHLD(quietAction)
	}
}

// sigaction is the kernel's struct sigaction on amd64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

var (
	quietAction sigaction // SIG_DFL
	goAction    sigaction // the Go runtime's handler, saved when first replaced
	goSaved     bool
)

// setSIGCHLD installs act for SIGCHLD, saving the runtime's handler the first
// time it replaces it. childWaker.mu is held.
func setSIGCHLD(act sigaction) {
	var old sigaction
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&act)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if !goSaved && old.handler != 0 && old.handler != 1 {
		goAction, goSaved = old, true
	}
}
