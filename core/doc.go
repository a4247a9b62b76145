// Package core is stardbg's ptrace engine for Linux/amd64: it launches and attaches to
// processes, follows their threads, reads and writes registers and memory, plants
// software breakpoints and reports what the tracees do as events.
//
// Every ptrace request is made from one goroutine locked to one OS thread, the tracer
// thread, because the kernel binds a tracee to the thread that attached it. The public
// API may be called from any goroutine: calls are marshalled onto the tracer thread.
// Callers that need many cheap calls in a row (a breakpoint callback, a whole script)
// run on the tracer thread with Engine.Do, where every call is direct.
//
// Only Process.Stop (and the stop a Wait timeout makes) acts from the calling
// goroutine: it sends SIGSTOP to the tracees with tgkill, which any thread may do.
//
// The engine is all-stop as seen by its callers: when Wait returns an event, every
// thread of that process is stopped, and Continue resumes them all. Breakpoint
// callbacks run while only the hitting thread is stopped; reading another thread's
// registers from a callback stops that one until the callback returns (hold_linux.go),
// and so does setting a hardware breakpoint, for every thread. Stepping over a breakpoint
// never takes the int3 out of the text while other threads run: the displaced
// instruction is emulated (package emu), or else a copy of it runs out of line in a
// scratch page mapped into the target (displaced stepping), unmapped again at a
// detach. Only the few instructions
// that can do neither (system calls, some branches) stop every thread, take the byte
// out, single-step and put it back, so no thread can run past the address unseen.
//
// System call catchpoints (syscall_linux.go) stop a thread at the entry
// and the exit of the caught calls: through a seccomp filter in a launched
// process (seccomp_linux.go), which stays in it for good (it can no longer
// be detached), and through PTRACE_SYSCALL in an attached one. A resume
// uses PTRACE_SYSCALL while a thread is inside a caught call.
//
// A child that shares the memory (vfork until it execs or exits, clone(CLONE_VM))
// runs the same int3s: it is traced with the threads, its hits counted, and let
// go when it execs (fork_linux.go). A fork child is cleaned of them and let go,
// unless the process follows its children (Process.SetFollowForks): then each
// child is a Process of its own, traced by the same thread, with copies of the
// parent's breakpoints, reported by an EventFork, and Engine.WaitAny waits for
// the next event of any process of a family (family_linux.go).
//
// # Stop records
//
// Each thread carries one stop record (type stop, stop_linux.go): why it is
// stopped, and what resuming it must do first. classify is the one function
// that reads a thread's wait status; it sets the record's kind and its data,
// and act does what the kind says. The kinds:
//
//	none            running, or stopped by the engine itself (a new thread)
//	ours            our SIGSTOP or PTRACE_INTERRUPT: reported if it answers Stop
//	                (req), else the thread runs on
//	group-stop      job control in a seized process: runs on
//	ptrace-event    clone, fork, vfork, exec, exit (cause): handled, then runs on;
//	                a vfork parent stays stopped until its child is done;
//	                seccomp: the entry of a call a filter traces (syscall_linux.go)
//	syscall         a syscall-enter-stop or syscall-exit-stop of PTRACE_SYSCALL:
//	                a catchpoint's entry or exit (syscall_linux.go), or runs on
//	step            one instruction ran (single-stepped, or emulated): EventStep
//	                when act sees it; a step-over goes on to the resume
//	breakpoint      an int3 (site): rip is put back on it, over = site; the
//	                callbacks run, then EventBreakpoint or it runs on
//	hw-breakpoint   a debug register (hw); site is the int3 at its address then
//	watchpoint      a debug register saw an access: EventWatch or runs on
//	stale-trap      a breakpoint taken out since: runs on, the program never knows
//	signal          the signal policy decides (EventSignal, pendingSig); info
//	                is its siginfo when it comes from Thread.sigQueue
//	killed          SIGKILLed in the stop: its exit is to come
//	exit, vanished  only while held (below): it exited, or wait4 lost it
//
// A thread stopped while another thread's callback runs is held
// (hold_linux.go): classify decides its record at once, with held set, and act
// runs when the callback has returned (releaseHeld); a callback that moves the
// thread or clears its breakpoint meanwhile cancels a breakpoint hit.
//
// Resuming reads the second half of the record. over is the int3 the thread
// stands on: it is stepped over first (emulated, displaced, or in place with
// every thread stopped), and the int3 is put back. watch and arrived are what
// that step brought (a watchpoint it triggered, signals held during it, with
// their siginfo), handled as soon as it is done. The last part says how the
// thread was resumed and survives while it runs: stepping (PTRACE_SINGLESTEP: its SIGTRAP is the step)
// and hwAt (resumed from a hardware breakpoint with the resume flag, not run
// yet: an int3 planted there since is stepped over if it is held before it
// moves). A resume sets kind to none and clears over.
//
// An error on these paths (an int3 that cannot be taken out or put back, a
// thread that cannot be resumed, a fork child that would keep our int3s, a
// child that shared the memory of a process that ended or exec'd, a new thread that cannot be given the debug registers, a
// breakpoint that cannot be planted again after an exec or where a library or
// an IFUNC resolver put its code) is never dropped: the process is stopped
// and the next Wait (or Thread.Step) returns it, as a *ThreadError naming the
// thread. An error that only says that the process was killed is not one: its
// exit is reported.
//
// # Signals
//
// A signal reaches the program with the siginfo the kernel made for it, from
// a signal-delivery stop, never raised again by the engine: a step over a
// breakpoint blocks the asynchronous signals so that they stay queued in the
// kernel, and a signal the engine had to take from the queue is delivered
// with PTRACE_SETSIGINFO, one per stop (siginfo_linux.go).
//
// # The terminal
//
// A launched program runs in its own process group. When its standard input
// is stardbg's controlling terminal and stardbg is the foreground job, the
// engine makes the program the terminal's foreground group (with its own
// terminal modes) while it waits for it, and takes the terminal back when the
// wait ends; Ctrl-C's SIGINT then stops the program undelivered and goes to
// the host's interrupt handler (terminal_linux.go, SetInterruptHandler).
//
// # Tracepoints
//
// A tracepoint (TraceAt) is a Breakpoint whose places are kernel uprobes
// instead of int3s (package core/uprobe): the program never stops, an eBPF
// program counts each hit in the kernel and, for a tracepoint with a
// callback, writes a record into the process's ring buffer. Wait, while the
// process has such tracepoints, cannot block in wait4, which only a child
// wakes: the tracer thread sleeps in epoll_wait on the ring and on an
// eventfd that SIGCHLD wakes (tracewait_linux.go; SIGCHLD, quiet otherwise,
// is turned on only then). Each turn reaps a status with WNOHANG and
// delivers the records already in the ring before handling it, so that a
// callback sees the hits that came before a stop first. Records reach the
// callbacks in the order the kernel reserved them (per thread, the order of
// the hits), from the tracer thread, as Wait runs. A callback that fails
// asks for a stop, made once the status in hand is handled. A tracepoint
// and an int3 never share an address (ErrTraceCollision); on two functions
// of one page they coexist, whichever was set first (tested on Linux 6.18:
// the uprobe fires in a page the debugger wrote into). Detach, Kill, the end
// of the process and Engine.Close remove every uprobe and free the programs
// and the ring; the counts stay.
//
// # Source stepping
//
// Thread.Next, StepIn, Finish and Until step by source lines as gdb's next,
// step, finish and until do (srcstep_linux.go): a line's instructions are
// single-stepped with the other threads stopped, and a call is run over by
// resuming every thread to an internal breakpoint at its return address
// that stops only the frame that made the call (its thread and stack
// pointer, or on Go its goroutine's id and distance from the stack top).
//
// core knows nothing about Starlark, and prints nothing; symbols live in
// core/sym.
package core
