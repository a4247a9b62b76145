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
// core knows nothing about Starlark or terminals; symbols live in core/sym.
package core
