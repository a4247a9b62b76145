package core

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// EventKind says why a process stopped or what happened to it.
type EventKind int

const (
	EventBreakpoint   EventKind = iota + 1 // a thread hit a breakpoint
	EventStep                              // a single-step finished
	EventSignal                            // a thread received a signal
	EventThreadCreate                      // a new thread (NewThread) exists
	EventThreadExit                        // a thread exited (Status)
	EventExited                            // the process exited (Status)
	EventKilled                            // the process was killed (Signal)
	EventStopped                           // Stop was called
	EventTimeout                           // Wait's timeout expired
	EventExec                              // the process called execve
	EventWatch                             // a watchpoint saw an access (Addr, Old, New)
	EventSyscallEntry                      // a thread entered a caught system call (Syscall)
	EventSyscallExit                       // a caught system call returned (Syscall)
	EventFork                              // a followed process created a child (Child): see family_linux.go
)

var eventNames = map[EventKind]string{
	EventBreakpoint: "breakpoint", EventStep: "step", EventSignal: "signal",
	EventThreadCreate: "thread_create", EventThreadExit: "thread_exit",
	EventExited: "exited", EventKilled: "killed", EventStopped: "stopped",
	EventTimeout: "timeout", EventExec: "exec", EventWatch: "watchpoint",
	EventSyscallEntry: "syscall_entry", EventSyscallExit: "syscall_exit", EventFork: "fork",
}

func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one thing that happened to a process.
type Event struct {
	Kind       EventKind
	Process    *Process
	Thread     *Thread     // the thread it happened in, if any
	Breakpoint *Breakpoint // EventBreakpoint
	Signal     unix.Signal // EventSignal, EventKilled
	Status     int         // exit code (EventExited) or thread exit status
	NewThread  *Thread     // EventThreadCreate
	Addr       uint64      // the faulting address of SIGSEGV, SIGBUS, SIGILL, SIGFPE; a watchpoint's address
	HasAddr    bool        // Addr is meaningful (0 for a NULL dereference): a watchpoint, or a fault the kernel raised
	Old, New   uint64      // EventWatch: the watched value before and after the access
	Tid        int         // the thread's tid (kept after the thread is gone)
	Syscall    *Syscall    // EventSyscallEntry, EventSyscallExit
	Child      *Process    // EventFork: the new process
	Call       *Call       // EventBreakpoint made by an OnReturn: the call that returned

	observed bool   // the engine's observer has seen it
	err      error  // not an event: a failure the next Wait returns (see Process.fail)
	seq      uint64 // when it was queued, for WaitAny: see Process.queue
}

func (ev *Event) String() string {
	s := fmt.Sprintf("%s pid=%d", ev.Kind, ev.Process.pid)
	if ev.Tid != 0 {
		s += fmt.Sprintf(" tid=%d", ev.Tid)
	}
	switch ev.Kind {
	case EventSignal, EventKilled:
		s += " signal=" + SignalName(ev.Signal)
	case EventExited, EventThreadExit:
		s += fmt.Sprintf(" status=%d", ev.Status)
	case EventBreakpoint:
		s += fmt.Sprintf(" bp=%d", ev.Breakpoint.ID)
	case EventWatch:
		s += fmt.Sprintf(" bp=%d addr=%#x old=%#x new=%#x", ev.Breakpoint.ID, ev.Addr, ev.Old, ev.New)
	case EventThreadCreate:
		s += fmt.Sprintf(" new=%d", ev.NewThread.tid)
	case EventSyscallEntry, EventSyscallExit:
		s += " syscall=" + ev.Syscall.Name()
	case EventFork:
		s += fmt.Sprintf(" child=%d", ev.Child.pid)
	}
	return s
}
