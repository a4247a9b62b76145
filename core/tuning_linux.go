package core

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// pinToCurrentCPU binds the calling thread (the tracer) to the CPU it runs on.
// A trap wakes the tracer and PTRACE_CONT wakes the tracee: when they sit on
// different CPUs every hit pays two cross-CPU wake-ups, which on a virtual
// machine cost more than the ptrace work itself (a single-threaded target ran
// at a quarter of the speed). Pinned, the scheduler's wake-affinity brings the
// hitting thread to the tracer's CPU. Only the tracer thread is pinned: the
// target's threads and the Go runtime's other threads run anywhere.
// STARDBG_PIN=0 in the environment turns it off.
func pinToCurrentCPU() {
	var cpu uint32
	if _, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); errno != 0 {
		return
	}
	var set unix.CPUSet
	set.Set(int(cpu))
	unix.SchedSetaffinity(0, &set)
}

// quietSIGCHLD puts SIGCHLD back to its default disposition. The Go runtime
// installs a handler for every signal, so each stop of each tracee (every
// breakpoint hit) would interrupt a thread of the debugger with a SIGCHLD that
// nobody reads: with SIG_DFL the kernel drops it when it is sent. (SIG_DFL, not
// SIG_IGN: ignoring SIGCHLD would make the kernel reap our children for us.)
// A program that uses os/signal.Notify for SIGCHLD gets its handler back.
func quietSIGCHLD() {
	var act struct {
		handler  uintptr
		flags    uint64
		restorer uintptr
		mask     uint64
	}
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
}
