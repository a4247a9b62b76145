package core

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// Sentinels for expected conditions.
var (
	ErrRunning      = errors.New("process is running (stop it first)")
	ErrNotRunning   = errors.New("process is not running (continue it first)")
	ErrDetached     = errors.New("process is detached")
	ErrThreadExited = errors.New("thread has exited")
	ErrInCallback   = errors.New("not allowed inside a breakpoint callback")
	ErrNoBreakpoint = errors.New("no breakpoint")
	ErrNotStopping  = errors.New("thread did not stop within a second (in execve, or in an uninterruptible sleep)")
	ErrVforkWait    = errors.New("thread waits in vfork until its child, which shares its memory, execs or exits")
)

// ExitedError is the error of an operation on a process that has ended.
type ExitedError struct {
	Pid    int
	Code   int
	Signal unix.Signal // non-zero when it was killed by a signal
}

func (e *ExitedError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("process %d was killed by %s", e.Pid, SignalName(e.Signal))
	}
	return fmt.Sprintf("process %d exited with code %d", e.Pid, e.Code)
}

// ThreadError is an operation on one thread that could not be done.
type ThreadError struct {
	Pid, Tid int
	Err      error
}

func (e *ThreadError) Error() string {
	return fmt.Sprintf("thread %d of process %d: %v", e.Tid, e.Pid, e.Err)
}

func (e *ThreadError) Unwrap() error { return e.Err }

// MemoryError is a read or write that did not cover its whole range. N bytes were
// transferred; Addr is the first address that could not be.
type MemoryError struct {
	Op   string // "read" or "write"
	Pid  int
	Addr uint64
	N    int
	Err  error
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("%s of process %d memory: address %#x is not mapped or not accessible (%d bytes done)", e.Op, e.Pid, e.Addr, e.N)
}

func (e *MemoryError) Unwrap() error { return e.Err }

// StartError is a launch or attach that failed: the target is not traced.
// Its message is "launch ./prog: no such file or directory" or
// "attach 4242: no such process".
type StartError struct {
	Op   string // "launch" or "attach"
	Path string // launch: the program, as given or as found in PATH
	Pid  int    // attach: the process
	// Err is the cause: an errno where the system gave one (unix.ENOENT,
	// unix.ENOEXEC, unix.ESRCH; EPERM from ptrace as an *os.SyscallError), or
	// exec.ErrNotFound, or an error saying what was wrong with the target.
	Err error
}

// Target is the program (launch) or the pid (attach), as the message shows it.
func (e *StartError) Target() string {
	if e.Op == "attach" {
		return strconv.Itoa(e.Pid)
	}
	return e.Path
}

func (e *StartError) Error() string {
	return e.Op + " " + e.Target() + ": " + e.Err.Error()
}

func (e *StartError) Unwrap() error { return e.Err }
