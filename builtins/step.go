package builtins

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
	"stardbg/script"
)

// Source-level stepping of a thread: next, step_in, finish and until.

const stepThreadsDoc = "While a line's instructions are single-stepped only this thread runs; a call " +
	"stepped over (and finish, until) runs every thread, as cont() does, and breakpoints hit meanwhile " +
	"run their callbacks (gdb runs every thread during next and step, and only the stepped one during stepi)."

const stepResultDoc = "Returns the event: \"step\" when it completed, else what happened first (a breakpoint " +
	"whose callback stops, a signal that stops, the exit); frame(0) then says where the thread is, and so " +
	"does str() of the event. On Go it stays on the goroutine it started on, which may go on on another " +
	"thread: the event's thread is the one it ends on."

const nextDoc = "next() -> event\n\nRuns to the next source line of the current function, stepping " +
	"over calls (breakpoints inside them still fire), and out to the caller when the function returns, " +
	"as gdb's next: it stops at the first instruction of a line-table entry of another line that is a " +
	"statement. " + stepResultDoc + " " + stepThreadsDoc

const stepInDoc = "step_in() -> event\n\nAs next(), but entering the functions called that have " +
	"line information, where gdb's step stops in them (past their prologue); a function without " +
	"(a library without debug information, a PLT stub not bound yet) is stepped over. " + stepResultDoc +
	" Other threads run as during next()."

const finishDoc = "finish() -> event\n\nRuns until the current function returns to its caller, " +
	"as gdb's finish: the thread is then at the return address. The event's ret is the value returned: " +
	"a typed value (a tuple of them for a Go function with several results), None for a void function, " +
	"the raw rax int when the type is unknown. A deeper (recursive) call of the same function returning, " +
	"or another thread or goroutine running it, does not end it. Every thread runs, as with cont(). " + stepResultDoc

const untilDoc = "until(where) -> event\n\nRuns until this thread (on Go, its goroutine) reaches " +
	"where (anything break_at accepts; a function name means past its prologue) in its current frame or " +
	"an outer one, or until the current frame returns, as gdb's until LOCATION does (gdb's advance would also " +
	"stop in a deeper call). It runs every thread, as cont() does. " + stepResultDoc

func threadNext(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	t := recv[*Thread](b)
	return t.srcStep(thread, b, t.t.Next, nil)
}

func threadStepIn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	t := recv[*Thread](b)
	return t.srcStep(thread, b, t.t.StepIn, nil)
}

func threadFinish(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	t := recv[*Thread](b)
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	fn := t.finishing()
	return t.srcStep(thread, b, t.t.Finish, func(e *Event) {
		e.ret = fn.returned(e)
	})
}

func threadUntil(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var where starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "where", &where); err != nil {
		return nil, err
	}
	t := recv[*Thread](b)
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	addrs, err := t.proc.bodies(b, where)
	if err != nil {
		return nil, err
	}
	return t.srcStep(thread, b, func() (*core.Event, error) { return t.t.Until(addrs) }, nil)
}

// bodies resolves where as break_at(where, after_prologue=True) would: an
// int address, or every place a location names, a function past its
// prologue.
func (p *Process) bodies(b *starlark.Builtin, where starlark.Value) ([]uint64, error) {
	switch w := where.(type) {
	case starlark.Int:
		a, err := uint64Arg(b, "address", w)
		return []uint64{a}, err
	case starlark.String:
		tab, err := p.p.Symbols()
		if err != nil {
			return nil, wrapErr(b, err)
		}
		locs, err := tab.Resolve(string(w))
		if err != nil {
			return nil, wrapErr(b, err)
		}
		var addrs []uint64
		for _, l := range locs {
			if l.Pending || l.Unloaded {
				return nil, errorf(b, "%q is in %s, which is not loaded yet", string(w), l.Module)
			}
			addrs = append(addrs, l.Body)
		}
		return addrs, nil
	}
	return nil, errorf(b, "where must be an address (int) or a location (string), got %s", where.Type())
}

// srcStep runs one source step of t and returns its event; done, when not
// nil, completes a "step" event. Cancelling the interpreter (Ctrl-C) stops
// the step: a long one (next over a call that blocks) ends with a "stopped"
// event, and the cancellation is raised.
func (t *Thread) srcStep(thread *starlark.Thread, b *starlark.Builtin, step func() (*core.Event, error), done func(*Event)) (starlark.Value, error) {
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	if err := script.Cancelled(thread); err != nil {
		return nil, err
	}
	p := t.proc
	unregister := script.OnCancel(thread, p.p.Stop)
	ev, err := step()
	unregister()
	if cerr := script.Cancelled(thread); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		if errors.Is(err, core.ErrNoCaller) {
			return nil, errorf(b, "thread %d is in the outermost frame: there is no caller to return to", t.t.Tid())
		}
		return nil, wrapErr(b, err)
	}
	v, err := p.reported(env, ev)
	if err != nil {
		return nil, err
	}
	if e, ok := v.(*Event); ok && done != nil && ev.Kind == core.EventStep {
		done(e)
	}
	return v, nil
}

// A finishing is the function a finish runs out of, as far as DWARF knows
// it, for the value it returns.
type finishing struct {
	scope *dwarfvars.Frame // the function's (concrete) scope; nil when unknown
	data  *dwarfvars.Data
	name  string
}

// finishing returns the function of t's innermost frame.
func (t *Thread) finishing() *finishing {
	vfs, err := t.t.VarFrames(1)
	if err != nil || len(vfs) == 0 {
		return &finishing{}
	}
	vf := vfs[0]
	fn := &finishing{name: vf.Function, data: vf.Vars}
	if vf.Vars == nil {
		return fn
	}
	scopes, _ := vf.Vars.FramesAt(vf.LinkPC())
	for _, sc := range scopes {
		if !sc.Inlined {
			fn.scope, fn.name = sc, sc.Function
		}
	}
	return fn
}

// returned is the value the function returned, at the return address
// where event e's thread stands: see finish's doc. Registers are read
// now, so that the value stays what was returned when the thread goes on.
func (fn *finishing) returned(e *Event) starlark.Value {
	th := e.p.thread(e.ev.Thread)
	if th == nil {
		return starlark.None
	}
	vfs, err := th.t.VarFrames(1)
	if err != nil || len(vfs) == 0 {
		return starlark.None
	}
	ctx := vfs[0].Ctx
	raw := func() starlark.Value {
		rax, err := th.t.Reg(core.RAX)
		if err != nil {
			return starlark.None
		}
		return starlark.MakeUint64(rax)
	}
	if fn.scope == nil {
		return raw()
	}
	results, err := dwarfvars.Results(fn.scope, ctx.Env())
	if err != nil {
		return raw()
	}
	where := fmt.Sprintf("the return of %s", fn.name)
	var vals []starlark.Value
	for _, r := range results {
		loc, err := snapshot(r.Loc, r.Type, ctx)
		if err != nil {
			return raw()
		}
		name := r.Name
		if name == "" {
			name = fn.name + "()"
		}
		vals = append(vals, newValue(name, r.Type, loc, ctx, fn.data, e.p, where).starlark())
	}
	switch len(vals) {
	case 0:
		return starlark.None
	case 1:
		return vals[0]
	}
	return starlark.Tuple(vals)
}

// snapshot replaces the register pieces of loc by their contents now.
func snapshot(loc dwarfvars.Location, t dwarfvars.Type, ctx *core.DataContext) (dwarfvars.Location, error) {
	out := dwarfvars.Location{Pieces: append([]dwarfvars.Piece(nil), loc.Pieces...)}
	for i, pc := range out.Pieces {
		if pc.Kind != dwarfvars.InRegister {
			continue
		}
		v, err := ctx.Reg(pc.Reg)
		if err != nil {
			return loc, err
		}
		n := pc.Size
		if n == 0 {
			n = t.Size()
		}
		b := binary.LittleEndian.AppendUint64(nil, v)
		out.Pieces[i] = dwarfvars.Piece{Kind: dwarfvars.Implicit, Bytes: b[:min(max(n, 0), 8)], Size: pc.Size}
	}
	return out, nil
}

// stopWhere describes an address where a thread stopped, for an event's
// str: "main at stepper.c:61", "__libc_start_call_main+122 in libc.so.6",
// or the address.
func (p *Process) stopWhere(pc uint64) string {
	tab, err := p.p.Symbols()
	if err != nil {
		return fmt.Sprintf("%#x", pc)
	}
	file, line, _, _ := tab.PCToLine(pc)
	fn := ""
	if s := tab.PCToFunc(pc); s != nil {
		fn = s.Name
		if file == "" && s.Offset != 0 {
			fn = fmt.Sprintf("%s+%d", s.Name, s.Offset)
		}
	}
	switch {
	case fn != "" && file != "" && line > 0:
		return fmt.Sprintf("%s at %s:%d", fn, path.Base(file), line)
	case fn != "":
		if m := tab.ModuleAt(pc); m != nil {
			return fn + " in " + m.Name
		}
		return fn
	}
	return fmt.Sprintf("%#x", pc)
}
