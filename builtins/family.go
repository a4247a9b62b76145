package builtins

import (
	"maps"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/script"
)

// Process families: launch(..., follow_forks=True) and attach(pid,
// follow_forks=True) trace the children of a process (core's family_linux.go);
// each child is a process value of its own, made at its fork event.

const followForksDoc = `With follow_forks=True, every child the process creates with fork, vfork
or clone (without CLONE_THREAD) is traced too, and so are its children: each
is a process of its own, with copies of the parent's breakpoints (same
locations, same callbacks, its own hits; system call catchpoints too, but not
hardware breakpoints and watchpoints), the parent's signal policy and on() handlers. A child that
execs drops or re-resolves them as a traced exec does. A vfork child (made by
posix_spawn or system()) runs in its parent's memory until it execs: until
then it is traced with its parent's threads. A child that execs stops there
(an "exec" event) until it is continued: wait_any() waits for any process of
the family, where wait_stop() waits for one. on("fork", fn) sees each child
being made; processes() lists them. At the end of the script each is killed
if the family was launched, detached if attached.`

const processesDoc = `processes() -> list of process

Every process the script traces (stopped or running): those it launched or
attached, and their children followed with follow_forks=True, in the order
they came.`

const waitAnyDoc = `wait_any(timeout=None) -> event

Waits until any traced process stops (or ends) and returns its event;
event.process says which. That process is then stopped and the others go on,
as wait_stop(), which keeps waiting for one process only, leaves them. Events
that came already are returned first, the oldest first. With a timeout in
seconds, None is returned when it expires, and every process goes on running.
An error if no process runs and none has an event to return.`

func processesBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	env, err := envOf(thread, b)
	if err != nil {
		return nil, err
	}
	var vs []starlark.Value
	for _, p := range env.Processes() {
		if s := p.p.State(); s == core.Stopped || s == core.Running {
			vs = append(vs, p)
		}
	}
	return starlark.NewList(vs), nil
}

func waitAnyBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var timeout timeoutArg
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "timeout?", &timeout); err != nil {
		return nil, err
	}
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	if err := script.Cancelled(thread); err != nil {
		return nil, err
	}
	var cps []*core.Process
	for _, p := range env.Processes() {
		cps = append(cps, p.p)
	}
	unregister := script.OnCancel(thread, env.Interrupt)
	ev, err := env.Engine.WaitAny(cps, timeout.d)
	unregister()
	if cerr := script.Cancelled(thread); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, wrapErr(b, err)
	}
	if ev == nil {
		return starlark.None, env.takeCallbackError()
	}
	p := env.byCore[ev.Process]
	if p == nil {
		p = env.wrap(ev.Process)
	}
	return p.reported(env, ev)
}

// reported is the event that wait_stop or wait_any returns for ev: an error
// a callback raised instead, and the "exit" handler run first at an exit.
func (p *Process) reported(env *Env, ev *core.Event) (starlark.Value, error) {
	if cbErr := env.takeCallbackError(); cbErr != nil {
		return nil, cbErr
	}
	evv := p.event(ev)
	if ev.Kind == core.EventExited || ev.Kind == core.EventKilled {
		if fn := p.handlers["exit"]; fn != nil {
			env.call(fn, evv)
			if cbErr := env.takeCallbackError(); cbErr != nil {
				return nil, cbErr
			}
		}
	}
	return evv, nil
}

// adopt makes the value of a followed child of p, at its fork event, before
// the child runs: it takes p's handlers, and its copies of p's breakpoints
// become breakpoint values of its own, with the same callbacks.
func (p *Process) adopt(cp *core.Process) *Process {
	env := p.env
	if c := env.byCore[cp]; c != nil {
		return c
	}
	c := &Process{env: env, p: cp, threads: map[*core.Thread]*Thread{}, handlers: maps.Clone(p.handlers)}
	env.byCore[cp] = c
	env.mu.Lock()
	env.procs = append(env.procs, c)
	env.mu.Unlock()
	cp.SetHooks(core.Hooks{OnEvent: c.onEvent})
	for _, cbp := range cp.Breakpoints() {
		pb, ok := cbp.Data.(*Breakpoint)
		if !ok {
			continue
		}
		nb := &Breakpoint{p: c, bp: cbp, onHit: pb.onHit, cond: pb.cond, once: pb.once, onReturn: pb.onReturn,
			sys: pb.sys, onEntry: pb.onEntry, onExit: pb.onExit}
		cbp.Data, cbp.OnHit = nb, nb.hit
		if nb.cond != nil {
			cbp.Cond = nb.condHolds
		}
		if nb.sys {
			cbp.OnHit = nb.sysHit
			if nb.cond != nil {
				cbp.Cond = nb.sysCondHolds
			}
		}
		if nb.onReturn != nil {
			cbp.OnReturn = nb.returned
		}
	}
	return c
}

// onFork runs the script's "fork" handler, with the child made a process
// value first; without a handler the family goes on.
func (p *Process) onFork(ev *core.Event) bool {
	p.adopt(ev.Child)
	fn := p.handlers["fork"]
	if fn == nil {
		return false
	}
	return p.env.call(fn, p.event(ev))
}
