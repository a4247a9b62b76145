// Package goruntime reads the Go runtime's own bookkeeping in a stopped Go
// program: which goroutine a thread runs, and the list of every goroutine
// (runtime.allgs) with its id, status, wait reason, stack bounds, saved
// context and where it was started.
//
// The layouts of runtime.g, runtime.m, runtime.gobuf and runtime.stack, and
// the status constants (runtime._Grunning, ...), are read from the binary's
// own DWARF, never from offsets written here, so that other Go versions work
// where their layouts keep the fields this package reads. The addresses of
// runtime.allgs, runtime.allglen and runtime.waitReasonStrings come from the
// ELF symbol table, and the place of the g pointer in thread-local storage
// from runtime.tlsg when the binary has it (cgo, external linking), else
// -8(FS), as the Go linker places it on linux/amd64.
//
// Use: Load once per executable (it walks the top-level DWARF entries until it
// has found what it needs), then, with the process stopped:
//
//	rt, err := goruntime.Load(exe)                         // *elf.File
//	g, err := rt.Current(mem, goruntime.Regs{SP: sp, R14: r14, FSBase: fsbase})
//	// g == nil: the thread runs no Go code (a C thread, or before the runtime started)
//	// g.ID == 0: the thread is on a system stack (g0 or gsignal), g.CurG is the
//	// goroutine it works for, or 0
//	gs, err := rt.AllGs(mem, bias)                          // every g, dead ones too
//	names, err := rt.WaitReasons(mem, bias)                 // names[g.WaitReason]
//
// Current costs one memory read when R14 holds the g (Go code compiled with
// ABIInternal keeps it there), and at most three otherwise (what R14
// points at, the TLS slot, the g), plus one for m.curg on a system g: the g
// at R14 is taken when the thread's stack pointer lies in that g's stack,
// so that assembly or C code which reuses R14 falls back to TLS. A G's ID and
// its distance from the top of its stack (StackHi - sp) together name a frame
// of a goroutine for as long as it is live, even when the runtime moves the
// stack (a copy keeps that distance); that is what pairing a function's
// return with its entry, or stepping on one goroutine, keys on. core's
// Thread.Goroutine and Process.Goroutines wrap this package for a process.
//
// Not here: unwinding a goroutine's stack (core/sym does it, from the saved
// pc, sp and bp of a G), names of functions (core/sym, from .gopclntab), and
// anything that writes to the program. The package reads memory only through
// the Memory the caller gives, and never touches a process itself.
//
// Limits: Linux/amd64, Go 1.17 and later (the register ABI), Go's internal
// and external linkers. A binary built without DWARF (-ldflags=-w) has no
// layouts of its own: Load takes them from a table of the Go releases
// stardbg knows (fallback.go: Go 1.26, checked by a test against the
// DWARF of a binary that the same release built, the toolchain the tests
// run with), found by the release in the binary's build information; for
// any other release, goroutine reads fail with an error wrapping
// ErrNoDWARF (symbol-table facts, such as WaitReasons, still work). A
// binary without its symbol table (-ldflags=-s) is ErrNoSymbols. Reads
// race with nothing only while every thread of the program is stopped; a g
// read while the program runs may be torn.
package goruntime
