package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"stardbg/core"
)

// Event is something that happened to a process (Starlark type "event").
type Event struct {
	p  *Process
	ev *core.Event
	bp *Breakpoint
	// pc is where the event's thread stopped, for a breakpoint or a step
	// (0 otherwise); ret is what a finish returned (nil: None).
	pc  uint64
	ret starlark.Value
}

var _ starlark.HasAttrs = (*Event)(nil)

func (p *Process) event(ev *core.Event) *Event {
	e := &Event{p: p, ev: ev}
	if ev.Breakpoint != nil {
		e.bp, _ = ev.Breakpoint.Data.(*Breakpoint)
	}
	if (ev.Kind == core.EventStep || ev.Kind == core.EventBreakpoint) && ev.Thread != nil {
		e.pc, _ = ev.Thread.PC()
	}
	return e
}

// Core is the engine's event.
func (e *Event) Core() *core.Event { return e.ev }

func (e *Event) String() string {
	s := fmt.Sprintf("<event %s pid=%d", e.ev.Kind, e.p.p.Pid())
	if e.ev.Tid != 0 {
		s += fmt.Sprintf(" tid=%d", e.ev.Tid)
	}
	switch e.ev.Kind {
	case core.EventBreakpoint:
		if e.bp != nil {
			s += fmt.Sprintf(" breakpoint=%d", e.bp.id())
		}
	case core.EventSignal, core.EventKilled:
		s += " signal=" + core.SignalName(e.ev.Signal)
	case core.EventExited, core.EventThreadExit:
		s += fmt.Sprintf(" status=%d", e.ev.Status)
	case core.EventThreadCreate:
		s += fmt.Sprintf(" new_thread=%d", e.ev.NewThread.Tid())
	case core.EventSyscallEntry, core.EventSyscallExit:
		s += " syscall=" + e.ev.Syscall.Name()
	case core.EventFork:
		s += fmt.Sprintf(" child=%d", e.ev.Child.Pid())
	}
	// The address of a watchpoint or a fault, in hex, when the event has one.
	if a, _ := eventFields["addr"].get(e); a != starlark.None {
		s += fmt.Sprintf(" addr=%#x", e.ev.Addr)
	}
	if e.pc != 0 {
		s += " at " + e.p.stopWhere(e.pc)
	}
	return s + ">"
}
func (e *Event) Type() string          { return "event" }
func (e *Event) Freeze()               {}
func (e *Event) Truth() starlark.Bool  { return true }
func (e *Event) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: event") }
func (e *Event) Attr(name string) (starlark.Value, error) {
	return getAttr(e, eventFields, nil, name)
}
func (e *Event) AttrNames() []string { return attrNames(eventFields, nil) }

func orNone[T starlark.Value](v T, ok bool) starlark.Value {
	if !ok {
		return starlark.None
	}
	return v
}

var eventFields = fields[*Event]{
	"kind": {func(e *Event) (starlark.Value, error) { return starlark.String(e.ev.Kind.String()), nil },
		`kind: "breakpoint", "watchpoint", "step", "signal", "thread_create", "thread_exit", "exited", "killed", "stopped", "timeout", "exec", "syscall_entry", "syscall_exit" or "fork".`},
	"process": {func(e *Event) (starlark.Value, error) { return e.p, nil }, "process: the process it happened to."},
	"thread": {func(e *Event) (starlark.Value, error) {
		t := e.p.thread(e.ev.Thread)
		return orNone(t, t != nil && !t.gone && e.ev.Kind != core.EventThreadExit), nil
	}, "thread: the thread it happened in, or None."},
	"tid": {func(e *Event) (starlark.Value, error) {
		return orNone(starlark.MakeInt(e.ev.Tid), e.ev.Tid != 0), nil
	}, "tid: the id of the thread it happened in (also for a thread that has exited), or None."},
	"breakpoint": {func(e *Event) (starlark.Value, error) { return orNone(e.bp, e.bp != nil), nil },
		"breakpoint: the breakpoint that was hit, or None."},
	"call": {func(e *Event) (starlark.Value, error) {
		var c *Call
		if e.ev.Call != nil {
			c, _ = e.ev.Call.Data.(*Call)
		}
		return orNone(c, c != nil), nil
	}, "call: for a stop that a breakpoint's on_return asked for, the call that returned, else None."},
	"signal": {func(e *Event) (starlark.Value, error) {
		return orNone(starlark.String(core.SignalName(e.ev.Signal)), e.ev.Signal != 0), nil
	}, `signal: the signal's name ("SIGSEGV"), or None.`},
	"status": {func(e *Event) (starlark.Value, error) {
		k := e.ev.Kind
		return orNone(starlark.MakeInt(e.ev.Status), k == core.EventExited || k == core.EventThreadExit), nil
	}, "status: the exit code of an \"exited\" event or the exit status of a \"thread_exit\", else None."},
	"new_thread": {func(e *Event) (starlark.Value, error) {
		t := e.p.thread(e.ev.NewThread)
		return orNone(t, t != nil), nil
	}, "new_thread: the thread a \"thread_create\" event made, else None."},
	"child": {func(e *Event) (starlark.Value, error) {
		if e.ev.Child == nil {
			return starlark.None, nil
		}
		return e.p.adopt(e.ev.Child), nil
	}, "child: the new process of a \"fork\" event (event.process is its parent), else None."},
	"addr": {func(e *Event) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(e.ev.Addr), e.ev.HasAddr), nil
	}, "addr: a watchpoint's address, or the faulting address of SIGSEGV, SIGBUS, SIGILL or SIGFPE raised by the program's own instruction (0 for a NULL pointer), else None (also for one sent by kill)."},
	"old": {func(e *Event) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(e.ev.Old), e.ev.Kind == core.EventWatch), nil
	}, "old: for a \"watchpoint\" event, the watched value before the access (unsigned, little-endian), else None."},
	"syscall": {func(e *Event) (starlark.Value, error) {
		s := e.p.syscall(e.ev.Syscall)
		return orNone(s, s != nil), nil
	}, "syscall: the system call of a \"syscall_entry\" or \"syscall_exit\" event, else None."},
	"ret": {func(e *Event) (starlark.Value, error) {
		if e.ret == nil {
			return starlark.None, nil
		}
		return e.ret, nil
	}, "ret: for the \"step\" event of t.finish(), the value the function returned (see finish); else None."},
	"new": {func(e *Event) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(e.ev.New), e.ev.Kind == core.EventWatch), nil
	}, "new: for a \"watchpoint\" event, the watched value after the access, else None."},
}
