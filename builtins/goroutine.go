package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"stardbg/core/goruntime"
)

// Goroutine is one goroutine of a stopped Go program (Starlark type
// "goroutine"), as read when p.goroutines(), p.goroutine(id) or
// t.goroutine made it: a snapshot, to be taken again after the program
// runs. Its frames are unwound on first use.
type Goroutine struct {
	proc   *Process
	g      *goruntime.G
	frames []*Frame // the first frames, once unwound
	max    int      // how many were asked for (frames may be fewer: the whole stack)
	bound  map[string]*starlark.Builtin
}

func (g *Goroutine) boundMethods() *map[string]*starlark.Builtin { return &g.bound }

var (
	_ starlark.HasAttrs   = (*Goroutine)(nil)
	_ starlark.Comparable = (*Goroutine)(nil)
)

// String is the goroutine as the header of the runtime's own dump
// (runtime.Stack) shows it: "goroutine 18 [chan receive]".
func (g *Goroutine) String() string {
	what := g.g.Status.String()
	if wr := g.waitReason(); wr != "" {
		what = wr
	}
	return fmt.Sprintf("<goroutine %d [%s]>", g.g.ID, what)
}
func (g *Goroutine) Type() string          { return "goroutine" }
func (g *Goroutine) Freeze()               {}
func (g *Goroutine) Truth() starlark.Bool  { return true }
func (g *Goroutine) Hash() (uint32, error) { return uint32(g.g.ID), nil }
func (g *Goroutine) Attr(name string) (starlark.Value, error) {
	return getAttr(g, goroutineFields, goroutineMethods, name)
}
func (g *Goroutine) AttrNames() []string { return attrNames(goroutineFields, goroutineMethods) }

// CompareSameType compares goroutines by process and id.
func (g *Goroutine) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	h := y.(*Goroutine)
	eq := g.proc == h.proc && g.g.ID == h.g.ID
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("%s not implemented for goroutine", op)
}

// waitReason is the runtime's name of the goroutine's wait reason, "" when
// it is not waiting or has none.
func (g *Goroutine) waitReason() string {
	if g.g.Status != goruntime.StatusWaiting {
		return ""
	}
	s, _ := g.proc.p.GoWaitReason(g.g)
	return s
}

// topField is a field of the goroutine's innermost frame.
func topField(name string, get func(*Frame) starlark.Value, doc string) field[*Goroutine] {
	return field[*Goroutine]{func(g *Goroutine) (starlark.Value, error) {
		what := "goroutine." + name
		fs, err := g.frameList(what, 1)
		if err != nil {
			return nil, err
		}
		if len(fs) == 0 {
			return nil, fmt.Errorf("%s: goroutine %d has no frame", what, g.g.ID)
		}
		return get(fs[0]), nil
	}, doc}
}

// frameList unwinds the goroutine's stack for at least max frames (fewer
// when the stack has fewer), once.
// what names the builtin or attribute in an error.
func (g *Goroutine) frameList(what string, max int) ([]*Frame, error) {
	if g.frames != nil && (max <= g.max || len(g.frames) < g.max) {
		return g.frames[:min(max, len(g.frames))], nil
	}
	vfs, err := g.proc.p.GoroutineFrames(g.g, max)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	g.frames, g.max = g.proc.expandFrames(vfs, max), max
	return g.frames, nil
}

// funcAt names the function at pc (the symbol covering it), or None.
func (g *Goroutine) funcAt(pc uint64) (starlark.Value, error) {
	tab, err := g.proc.p.Symbols()
	if err != nil || pc == 0 {
		return starlark.None, err
	}
	if s := tab.PCToFunc(pc); s != nil {
		return starlark.String(s.Name), nil
	}
	return starlark.None, nil
}

var goroutineFields = fields[*Goroutine]{
	"id": {func(g *Goroutine) (starlark.Value, error) { return starlark.MakeInt64(g.g.ID), nil },
		"id: the goroutine id (goid), as the runtime's dump and Delve number it."},
	"status": {func(g *Goroutine) (starlark.Value, error) { return starlark.String(g.g.Status.String()), nil },
		`status: "running" (on a thread), "runnable" (waiting for one), "waiting" (parked: see wait_reason) or "syscall" (in a system call).`},
	"wait_reason": {func(g *Goroutine) (starlark.Value, error) { return noneIfEmpty(g.waitReason()), nil },
		`wait_reason: why a waiting goroutine waits, as the runtime names it ("chan receive", "select", "sleep", "sync.Mutex.Lock", "IO wait", ...: its runtime.waitReasonStrings), or None.`},
	"thread": {func(g *Goroutine) (starlark.Value, error) {
		if g.g.Status != goruntime.StatusRunning && g.g.Status != goruntime.StatusSyscall {
			return starlark.None, nil
		}
		t, err := g.proc.p.GoThread(g.g.M)
		if err != nil {
			return nil, fmt.Errorf("goroutine.thread: %w", err)
		}
		if th := g.proc.thread(t); th != nil {
			return th, nil
		}
		return starlark.None, nil
	}, "thread: the thread running the goroutine (its M's procid), or None when it runs on none."},
	"pc": topField("pc", func(f *Frame) starlark.Value { return starlark.MakeUint64(f.f.PC) },
		"pc: where the goroutine is: its thread's pc when a thread runs it on its stack, else the pc it saved when it stopped (a return address into the function that parked it)."),
	"function": topField("function", func(f *Frame) starlark.Value { return noneIfEmpty(f.f.Function) },
		"function: the function of the innermost frame (an inlined call's own name), or None."),
	"file": topField("file", func(f *Frame) starlark.Value { return noneIfEmpty(f.f.File) },
		"file: the source file of the innermost frame, or None."),
	"line": topField("line", func(f *Frame) starlark.Value { return orNone(starlark.MakeInt(f.f.Line), f.f.Line > 0) },
		"line: the source line of the innermost frame, or None."),
	"start": {func(g *Goroutine) (starlark.Value, error) { return g.funcAt(g.g.StartPC) },
		"start: the function the go statement started (runtime.g's startpc; a closure's or a compiler wrapper's name, main.main.gowrap1, when the statement called a func value), or None."},
	"creator": {func(g *Goroutine) (starlark.Value, error) {
		if g.g.GoPC == 0 || g.g.ID == 1 {
			// The runtime starts main's goroutine itself (the dump
			// names no creator either).
			return starlark.None, nil
		}
		tab, err := g.proc.p.Symbols()
		if err != nil {
			return nil, fmt.Errorf("goroutine.creator: %w", err)
		}
		// gopc is the return address of the call to newproc: the
		// statement is the call before it.
		file, line, fn, _ := tab.PCToLine(g.g.GoPC - 1)
		return starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"function": noneIfEmpty(fn),
			"file":     noneIfEmpty(file),
			"line":     orNone(starlark.MakeInt(line), line > 0),
		}), nil
	}, "creator: where the go statement that started the goroutine is, as struct(function, file, line) (as the dump's \"created by\"), or None for the goroutines the runtime starts itself (main's)."},
}

var goroutineMethods = methods{
	"backtrace": {goroutineBacktrace, `backtrace(max=64) -> list of frame

The goroutine's call stack, innermost first, as t.backtrace() gives a
thread's (inlined calls are frames, frames read variables): unwound from
its thread's registers when a thread runs it on its own stack, else from the
context it saved when it stopped (g.sched: pc, sp, bp; in a system call, its
syscallpc and syscallsp). In the frames of a saved context only the
registers sp and bp are known: Go keeps no variable in a register across a
call, so variables read from the stack as usual.`},
	"frame": {goroutineFrame, "frame(i=0) -> frame\n\nFrame i of the goroutine's backtrace, counting inlined calls as frames."},
}

func goroutineBacktrace(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	g := recv[*Goroutine](b)
	return backtraceMethod(b, args, kwargs, func(max int) ([]*Frame, error) { return g.frameList(b.Name(), max) })
}

func goroutineFrame(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	g := recv[*Goroutine](b)
	return frameMethod(b, args, kwargs, fmt.Sprintf("goroutine %d", g.g.ID), func(max int) ([]*Frame, error) { return g.frameList(b.Name(), max) })
}

const processGoroutinesDoc = `goroutines() -> list of goroutine

The goroutines of a stopped Go program, in the runtime's order (runtime.allgs:
creation order, with reused gs in their slots), dead ones left out; the
runtime's own goroutines (GC workers, the finalizer) are listed too. Each is a
snapshot: take the list again after the program runs. Reading the list costs
one memory read per goroutine; frames are unwound when asked for. In a
callback, the process's other threads are stopped while the list is read.
Fails for a program that is not Go. The runtime's layouts come from the
binary's DWARF; a Go binary without it (-ldflags=-w) is read with stardbg's
table of the layouts of its Go release (Go 1.26), and for another release
fails with a message that says the DWARF is missing.`

func processGoroutines(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	gs, err := p.p.Goroutines()
	if err != nil {
		return nil, wrapErr(b, err)
	}
	vs := make([]starlark.Value, len(gs))
	for i, g := range gs {
		vs[i] = &Goroutine{proc: p, g: g}
	}
	return starlark.NewList(vs), nil
}

func processGoroutine(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var id int64
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "id", &id); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	gs, err := p.p.Goroutines()
	if err != nil {
		return nil, wrapErr(b, err)
	}
	for _, g := range gs {
		if g.ID == id {
			return &Goroutine{proc: p, g: g}, nil
		}
	}
	return nil, errorf(b, "no goroutine %d in process %d", id, p.p.Pid())
}

// goroutine is t.goroutine: the goroutine the thread runs, or None.
func (t *Thread) goroutine() (starlark.Value, error) {
	g, err := t.t.Goroutine()
	if errors.Is(err, goruntime.ErrNotGo) {
		return starlark.None, nil // a thread of a C program runs no goroutine
	}
	if err != nil {
		return nil, fmt.Errorf("thread.goroutine: %w", err)
	}
	if g == nil {
		return starlark.None, nil
	}
	return &Goroutine{proc: t.proc, g: g}, nil
}

const threadGoroutineDoc = "goroutine: the goroutine the thread runs (a goroutine), or None when it runs none " +
	"(in the scheduler, a thread the Go runtime did not make, any thread of a program that is not Go). On a system stack (g0) it is the goroutine " +
	"the thread works for. Read from the g register (r14) or thread-local storage, never by listing " +
	"goroutines: a breakpoint callback can read t.goroutine.id on every hit. Fails, as p.goroutines() does, " +
	"for a Go binary without DWARF of a release whose layouts stardbg does not know."
