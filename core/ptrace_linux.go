package core

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ptrace makes one ptrace request. It must run on the tracer thread. ptrace requests
// never block, so the raw syscall (no scheduler hand-off) is safe and cheaper.
func ptrace(req int, tid int, addr, data uintptr) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// wait4 waits for a tracee's state change. pid -1 means any; __WALL covers threads.
// __WNOTHREAD keeps to the tracees and children of the tracer thread: without it
// wait4 also reaps those of every other thread of stardbg (another Engine's
// tracees, a program started with os/exec), whose owners then wait forever.
func wait4(pid int, nohang bool) (int, unix.WaitStatus, error) {
	var ws unix.WaitStatus
	opts := unix.WALL | unix.WNOTHREAD
	if nohang {
		opts |= unix.WNOHANG
	}
	for {
		wpid, err := unix.Wait4(pid, &ws, opts, nil)
		if err == unix.EINTR {
			continue
		}
		return wpid, ws, err
	}
}

// pollWait waits for thread tid's next status without blocking in wait4, for
// a thread that may never report (one in execve waits for the others to be
// reaped first). It yields the CPU at first, since a thread usually answers a
// SIGSTOP within microseconds, then sleeps briefly between polls, asking
// more() each time whether to go on; when more says no, it returns 0 and no
// error.
func pollWait(tid int, more func() bool) (int, unix.WaitStatus, error) {
	for i := 0; ; i++ {
		wpid, ws, err := wait4(tid, true)
		if err != nil || wpid == tid {
			return wpid, ws, err
		}
		if i < 100 {
			unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			continue
		}
		if !more() {
			return 0, 0, nil
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// getSiginfo returns the siginfo of the signal thread tid stops with.
func getSiginfo(tid int) (unix.Siginfo, error) {
	var si unix.Siginfo
	err := ptrace(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&si)))
	return si, err
}

// siginfoUnion is the offset of the union of siginfo_t after si_signo,
// si_errno, si_code and the padding, which unix.Siginfo leaves opaque.
const siginfoUnion = 16

// siginfoAddr is si_addr: the faulting address of SIGSEGV, SIGBUS, SIGILL
// and SIGFPE.
func siginfoAddr(si *unix.Siginfo) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(si), siginfoUnion))
}

// siginfoPid is si_pid: the sender of a signal sent by kill(2) or tgkill(2).
func siginfoPid(si *unix.Siginfo) int32 {
	return *(*int32)(unsafe.Add(unsafe.Pointer(si), siginfoUnion))
}

const traceOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEVFORKDONE |
	unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACESECCOMP
