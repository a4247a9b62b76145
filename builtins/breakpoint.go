package builtins

import (
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/sym"
)

// Breakpoint is a breakpoint of a process (Starlark type "breakpoint").
type Breakpoint struct {
	p        *Process
	bp       *core.Breakpoint
	onHit    starlark.Callable  // nil: every counted hit stops, unless onReturn is set
	cond     starlark.Callable  // nil: every hit counts
	onReturn starlark.Callable  // nil: no return probe
	fns      map[uint64]*fnInfo // the functions of its calls, by entry address
	once     bool
	hits     int // hits for which cond held

	condFailed bool // cond raised an error at this hit: hit runs nothing

	sys             bool              // a system call catchpoint (catch_syscall)
	onEntry, onExit starlark.Callable // its callbacks
}

var _ starlark.HasAttrs = (*Breakpoint)(nil)

func (bp *Breakpoint) id() int { return bp.bp.ID }

// String shows the addresses in hex and where they are for people:
// "<breakpoint 1 at 0x55d1c0c011c9: hot at hotloop.c:12>", or
// "<breakpoint 2 at libc:opendir (pending)>" before it has an address.
func (bp *Breakpoint) String() string {
	what := "breakpoint"
	if bp.bp.IsTracepoint() {
		what = "tracepoint"
	}
	if bp.bp.Cleared() {
		return fmt.Sprintf("<%s %d, cleared>", what, bp.bp.ID)
	}
	loc := bp.bp.Location()
	addrs := bp.bp.Addrs()
	if len(addrs) == 0 {
		return fmt.Sprintf("<%s %d at %s>", what, bp.bp.ID, loc)
	}
	hexes := make([]string, len(addrs))
	for i, a := range addrs {
		hexes[i] = fmt.Sprintf("%#x", a)
	}
	at := strings.Join(hexes, ", ")
	if loc == at { // no symbol at any address
		return fmt.Sprintf("<%s %d at %s>", what, bp.bp.ID, at)
	}
	return fmt.Sprintf("<%s %d at %s: %s>", what, bp.bp.ID, at, loc)
}
func (bp *Breakpoint) Type() string          { return "breakpoint" }
func (bp *Breakpoint) Freeze()               {}
func (bp *Breakpoint) Truth() starlark.Bool  { return true }
func (bp *Breakpoint) Hash() (uint32, error) { return uint32(bp.bp.ID), nil }
func (bp *Breakpoint) Attr(name string) (starlark.Value, error) {
	return getAttr(bp, breakpointFields, breakpointMethods, name)
}
func (bp *Breakpoint) AttrNames() []string { return attrNames(breakpointFields, breakpointMethods) }

const breakAtDoc = `break_at(where, on_hit=None, cond=None, once=False, hardware=False, pending=False,
         on_return=None, after_prologue=False)

Plants a breakpoint and returns it. where is an int address, a function name ("hot",
"main.worker", "main.(*T).Method"), "file:line" ("hotloop.c:12", matched by
path suffix) or "lib:function" ("libc.so.6:malloc", "libc:malloc"). A name
with several matches gets a breakpoint at each; a GNU indirect function
breaks in the implementation the program uses. A function breaks at its
entry, where its arguments are where the caller put them (arg(), frame
args); after_prologue=True breaks past its prologue instead, at the address
gdb's "break NAME" picks, where the locals' locations hold.

A name is checked at once, also right after launch: the libraries the
program needs (DT_NEEDED, found as the dynamic linker finds them) are read
from disk before they are loaded, and a location in one of them is pending
until it is loaded. A name found nowhere is an error with the closest names
("did you mean"). pending=True accepts a name from a library the program
loads later with dlopen: it stays pending, and is planted when the library
is loaded. stardbg run and stardbg test warn about a breakpoint still pending
when its process ends.

cond(thread, bp), if given, decides whether a hit counts. on_hit(thread, bp)
runs at every counted hit with the hitting thread stopped and the others
running (reading another thread's registers stops it until the callback
returns): a true result stops the process and wait_stop returns the
"breakpoint" event; None or False resumes at once. Without on_hit every
counted hit stops, like gdb's break. once=True clears the breakpoint after
its first counted hit. hardware=True uses a debug register (DR0-DR3, at most
four with watchpoints) instead of an int3: nothing is written into the
program, and a hit needs no step-over.

on_return(thread, bp, call), if given, runs when a call whose entry counted
returns, with thread (the one it returns on) stopped at the return address;
call has the value returned (call.ret), the arguments as they were at the
entry (call.args), call.duration, call.depth and call.thread. A breakpoint
with on_return and no on_hit does not stop at the entry; a true result of
on_return stops the process, and wait_stop returns a "breakpoint" event whose
call is the call. Each call is paired with its return by its frame (thread
and stack pointer; in Go, goroutine and distance from the top of its stack,
which a stack move keeps): recursion, threads and goroutines are exact, and
nothing in the program's stack is changed. A call that never returns
normally (longjmp, an exception, a Go panic, its thread or process ending)
gets no on_return and is dropped (bp.pending_returns counts those still
open); a longjmp that lands exactly at the call's return address, with the
call's stack pointer, and calls nothing on its way there cannot be told from a
return (a catch block calls the C++ runtime first). In Go, a call whose
entry runs again after runtime.morestack grew the stack (or the scheduler
preempted it there) counts once. Several breakpoints on one function each do
their part.

Callbacks may read and write memory and registers, set and clear breakpoints
(hardware ones too) and take backtraces, but not cont, stop, wait_stop, run
or step. An error in a callback stops the process and is raised by
wait_stop. Starlark freezes a module's globals when it finishes loading:
count in a dict or list (counts["n"] += 1) or in the breakpoint's own hits.`

// newBreakpoint is the Starlark side of a breakpoint or watchpoint of break_at
// or watch, with its callbacks checked.
func newBreakpoint(b *starlark.Builtin, p *Process, onHit, cond starlark.Value, once bool) (*Breakpoint, error) {
	bp := &Breakpoint{p: p, once: once}
	var err error
	if bp.onHit, err = callableArg(b, "on_hit", onHit); err != nil {
		return nil, err
	}
	if bp.cond, err = callableArg(b, "cond", cond); err != nil {
		return nil, err
	}
	return bp, nil
}

func callableArg(b *starlark.Builtin, what string, v starlark.Value) (starlark.Callable, error) {
	switch v := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case starlark.Callable:
		return v, nil
	}
	return nil, errorf(b, "%s must be callable or None, got %s", what, v.Type())
}

func processBreakAt(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var where, onHit, cond, onReturn starlark.Value
	once, hardware, pending, afterPrologue := false, false, false, false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "where", &where, "on_hit?", &onHit, "cond?", &cond, "once?", &once,
		"hardware?", &hardware, "pending?", &pending, "on_return?", &onReturn, "after_prologue?", &afterPrologue); err != nil {
		return nil, err
	}
	if _, isAddr := where.(starlark.Int); isAddr && afterPrologue {
		return nil, errorf(b, "after_prologue=True needs a function name or a location, got the address %v", where)
	}
	if _, err := envOf(thread, b); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	bp, err := newBreakpoint(b, p, onHit, cond, once)
	if err != nil {
		return nil, err
	}
	if bp.onReturn, err = callableArg(b, "on_return", onReturn); err != nil {
		return nil, err
	}
	var cbp *core.Breakpoint
	switch w := where.(type) {
	case starlark.Int, starlark.String:
		if hardware {
			addr, err := addrArg{w}.addr(b, p)
			if err != nil {
				return nil, err
			}
			if afterPrologue {
				bodies, err := p.bodies(b, w)
				if err != nil {
					return nil, err
				}
				addr = bodies[0]
			}
			if cbp, err = p.p.SetHWBreakpoint(addr, bp.hit); err != nil {
				return nil, wrapErr(b, err)
			}
		} else if s, ok := w.(starlark.String); ok {
			opts := core.BreakOptions{Pending: pending, AfterPrologue: afterPrologue}
			if cbp, err = p.p.BreakAtWith(string(s), opts, bp.hit); err != nil {
				return nil, notFoundErr(b, err)
			}
		} else {
			addr, err := uint64Arg(b, "address", w.(starlark.Int))
			if err != nil {
				return nil, err
			}
			if cbp, err = p.p.SetBreakpoint(addr, bp.hit); err != nil {
				return nil, memErr(b, p, err)
			}
		}
	default:
		return nil, errorf(b, "where must be an address (int) or a location (string), got %s", where.Type())
	}
	bp.bind(cbp, bp.condHolds)
	if bp.onReturn != nil {
		cbp.OnReturn = bp.returned
	}
	return bp, nil
}

const watchDoc = `watch(addr, size=8, kind="w", on_hit=None, cond=None, once=False) -> breakpoint

A hardware watchpoint on size (1, 2, 4 or 8) bytes at addr (an int or a
global's name), aligned to its size: kind "w" traps on writes, "rw" on reads
and writes. It uses one of the four debug registers (break_at(...,
hardware=True) uses them too; a fifth is an error) in every thread, new ones
included. Callbacks run after the access; a stop is reported as a
"watchpoint" event whose addr, old and new say what changed. It can be set
while the process is stopped, or from a callback (the running threads are
stopped for a moment while their debug registers change).`

func processWatch(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	var onHit, cond starlark.Value
	size, kind, once := 8, "w", false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "size?", &size, "kind?", &kind,
		"on_hit?", &onHit, "cond?", &cond, "once?", &once); err != nil {
		return nil, err
	}
	if _, err := envOf(thread, b); err != nil {
		return nil, err
	}
	wk := map[string]core.WatchKind{"w": core.WatchWrite, "rw": core.WatchReadWrite}
	k, ok := wk[kind]
	if !ok {
		return nil, errorf(b, "kind must be \"w\" or \"rw\", got %q", kind)
	}
	p := recv[*Process](b)
	bp, err := newBreakpoint(b, p, onHit, cond, once)
	if err != nil {
		return nil, err
	}
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	cbp, err := p.p.Watch(addr, size, k, bp.hit)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return bp.bind(cbp, bp.condHolds), nil
}

// bind ties bp to the engine's breakpoint cbp, with cond as cbp's Cond
// when bp has a cond.
func (bp *Breakpoint) bind(cbp *core.Breakpoint, cond func(*core.Thread, *core.Breakpoint) bool) *Breakpoint {
	cbp.Data = bp
	bp.bp = cbp
	if bp.cond != nil {
		cbp.Cond = cond
	}
	return bp
}

// notFoundErr is wrapErr for break_at: a spec whose module is loaded nowhere
// and needed by nobody says how to wait for a library loaded with dlopen.
func notFoundErr(b *starlark.Builtin, err error) error {
	var nf *sym.NotFoundError
	if errors.As(err, &nf) && nf.What == "module or source file" {
		return fmt.Errorf("%s: %w; pending=True waits for a library loaded later", b.Name(), err)
	}
	return wrapErr(b, err)
}

// condHolds is the engine's Cond for a breakpoint with a cond: whether the
// hit counts. A cond that raises an error counts as holding, so that the hit
// stops and wait_stop raises the error; hit then runs nothing else.
func (bp *Breakpoint) condHolds(ct *core.Thread, _ *core.Breakpoint) bool {
	env := bp.p.env
	pending := env.cbErr
	holds := env.call(bp.cond, bp.p.thread(ct), bp)
	bp.condFailed = pending == nil && env.cbErr != nil
	return holds
}

// hit is the engine's callback for this breakpoint, at each hit that counts.
func (bp *Breakpoint) hit(ct *core.Thread, _ *core.Breakpoint) bool {
	if bp.condFailed {
		bp.condFailed = false
		return true
	}
	env := bp.p.env
	t := bp.p.thread(ct)
	bp.hits++
	if bp.onReturn != nil {
		if cc := bp.bp.EntryCall(); cc != nil {
			bp.startCall(ct, cc)
		}
	}
	switch {
	case bp.once && bp.onReturn != nil:
		defer bp.bp.Disable() // cleared at the return: see returned
	case bp.once:
		defer bp.bp.Clear()
	}
	switch {
	case bp.onHit != nil:
		return env.call(bp.onHit, t, bp)
	case bp.onReturn != nil:
		return false // a return probe alone does not stop at the entry
	}
	return true
}

// returned is the engine's OnReturn for a breakpoint with on_return, at
// the return of a call it counted.
func (bp *Breakpoint) returned(ct *core.Thread, _ *core.Breakpoint, cc *core.Call) bool {
	c, ok := cc.Data.(*Call)
	if !ok {
		return false
	}
	c.endCall(ct)
	if bp.once {
		defer bp.bp.Clear()
	}
	return bp.p.env.call(bp.onReturn, bp.p.thread(ct), bp, c)
}

func intList(vs []uint64) *starlark.List {
	l := make([]starlark.Value, len(vs))
	for i, v := range vs {
		l[i] = starlark.MakeUint64(v)
	}
	return starlark.NewList(l)
}

var breakpointFields = fields[*Breakpoint]{
	"id": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.MakeInt(bp.bp.ID), nil }, "id: the breakpoint's number, from 1."},
	"addr": {func(bp *Breakpoint) (starlark.Value, error) {
		a := bp.bp.Addrs()
		return orNone(starlark.MakeUint64(first(a)), len(a) > 0), nil
	}, "addr: the (first) address, or None while pending."},
	"addrs": {func(bp *Breakpoint) (starlark.Value, error) { return intList(bp.bp.Addrs()), nil },
		"addrs: every address the breakpoint is planted at."},
	"location": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.String(bp.bp.Location()), nil },
		`location: where it is, for people: "hot at hotloop.c:12".`},
	"hits": {func(bp *Breakpoint) (starlark.Value, error) {
		if bp.bp.IsTracepoint() {
			return starlark.MakeUint64(bp.bp.Hits()), nil
		}
		return starlark.MakeInt(bp.hits), nil
	}, "hits: the hits that counted (cond held); for a catchpoint, the calls entered; a tracepoint's, counted in the kernel."},
	"lost": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.MakeUint64(bp.bp.Lost()), nil },
		"lost: a tracepoint's records dropped because on_hit fell behind (0 for other kinds)."},
	"enabled": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.Bool(bp.bp.Enabled()), nil },
		"enabled: whether the breakpoint is active."},
	"pending": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.Bool(bp.bp.Pending()), nil },
		"pending: True while the location waits for a library to be loaded."},
	"kind": {func(bp *Breakpoint) (starlark.Value, error) {
		hw, k := bp.bp.Hardware()
		switch {
		case bp.sys:
			return starlark.String("syscall"), nil
		case bp.bp.IsTracepoint():
			return starlark.String("tracepoint"), nil
		case !hw:
			return starlark.String("software"), nil
		case k == core.WatchExec:
			return starlark.String("hardware"), nil
		}
		return starlark.String("watchpoint"), nil
	}, `kind: "software" (int3), "hardware" (a debug register), "watchpoint", "syscall" (catch_syscall) or "tracepoint" (a kernel uprobe).`},
	"once": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.Bool(bp.once), nil },
		"once: whether the breakpoint clears itself after its first counted hit (with on_return, after that call returns)."},
	"pending_returns": {func(bp *Breakpoint) (starlark.Value, error) { return starlark.MakeInt(bp.bp.PendingReturns()), nil },
		`pending_returns: the calls counted at the entry whose return on_return still
waits for; a call unwound by longjmp, an exception or a Go panic, or whose
thread, goroutine or process ended, is dropped, not counted.`},
	"process": {func(bp *Breakpoint) (starlark.Value, error) { return bp.p, nil }, "process: the breakpoint's process."},
}

func first(a []uint64) uint64 {
	if len(a) == 0 {
		return 0
	}
	return a[0]
}

var breakpointMethods = methods{
	"enable":  {bpEnable, "enable()\n\nPlants the breakpoint again after disable()."},
	"disable": {bpDisable, "disable()\n\nTakes the breakpoint out of memory; it keeps its locations and count."},
	"clear":   {bpClear, "clear()\n\nRemoves the breakpoint for good."},
}

func bpEnable(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	bp := recv[*Breakpoint](b)
	if bp.bp.Cleared() {
		return nil, errorf(b, "breakpoint %d was cleared", bp.bp.ID)
	}
	return starlark.None, wrapErr(b, bp.bp.Enable())
}

func bpDisable(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Breakpoint](b).bp.Disable())
}

func bpClear(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Breakpoint](b).bp.Clear())
}
