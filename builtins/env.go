// Package builtins is the Starlark API of stardbg: launch, attach and the process,
// thread, regs, breakpoint and event values that scripts drive targets with, the
// frame and mapping values that describe them, and the documentation of every
// name a script can use (help, stardbg doc, docs/reference.md).
//
// It adapts package core to Starlark and nothing more: it does not know about
// terminals, flags or the REPL (cmd/stardbg), and it prints only through the
// Starlark thread. Every builtin must run on the engine's tracer thread (the
// host runs whole scripts there with core.Engine.Do), so that a callback's peek,
// regs and poke are direct system calls.
//
// Per-interpreter state is an *Env kept on the starlark.Thread (SetEnv, EnvOf).
package builtins

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"go.starlark.net/starlark"

	"stardbg/core"
)

// Env is the debugger state of one interpreter: its engine, the processes it
// started or attached, and the callback bookkeeping.
type Env struct {
	Engine *core.Engine
	// Stdin, Stdout and Stderr are what launched programs inherit by default.
	Stdin, Stdout, Stderr *os.File
	// Argv is the script's argument list.
	Argv []string
	// Warn, when set, receives what Close finds wrong with a session that
	// otherwise succeeded: a breakpoint still pending when its process ended,
	// which never fired (a probe that checks that no call happened tested
	// nothing).
	Warn func(msg string)

	mu        sync.Mutex // guards procs: Interrupt reads it from other goroutines
	procs     []*Process // live ones, and ended ones until the next launch or attach
	byCore    map[*core.Process]*Process
	ended     endedWarnings    // what Close will say about processes forgotten since
	cur       *starlark.Thread // the thread of the builtin being run, for callbacks
	callbacks int              // > 0 while a callback runs
	cbErr     error            // raised by a callback; reported by wait_stop
}

// NewEnv returns an Env for a new interpreter.
func NewEnv(e *core.Engine) *Env {
	return &Env{Engine: e, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, byCore: map[*core.Process]*Process{}}
}

const envKey = "stardbg.builtins.env"

// SetEnv attaches env to a Starlark thread; every thread that runs debugger
// builtins needs one.
func SetEnv(thread *starlark.Thread, env *Env) { thread.SetLocal(envKey, env) }

// EnvOf returns the Env of a thread, or nil.
func EnvOf(thread *starlark.Thread) *Env {
	env, _ := thread.Local(envKey).(*Env)
	return env
}

func envOf(thread *starlark.Thread, b *starlark.Builtin) (*Env, error) {
	env := EnvOf(thread)
	if env == nil {
		return nil, fmt.Errorf("%s: no debugger in this interpreter", b.Name())
	}
	env.cur = thread
	return env, nil
}

// Processes returns the processes this interpreter launched or attached.
func (env *Env) Processes() []*Process {
	env.mu.Lock()
	defer env.mu.Unlock()
	return append([]*Process(nil), env.procs...)
}

// Close ends the interpreter's sessions: every process it launched is killed and
// every process it attached is detached running, with every breakpoint removed,
// unless the script already did so. Breakpoints still pending are reported to
// Warn first.
func (env *Env) Close() error {
	var errs []error
	if env.Warn != nil {
		for _, msg := range env.ended.take() {
			env.Warn(msg)
		}
	}
	for _, p := range env.Processes() {
		if env.Warn != nil {
			for _, msg := range p.pendingWarnings() {
				env.Warn(msg)
			}
		}
		if err := p.release(); err != nil {
			errs = append(errs, err)
		}
	}
	env.mu.Lock()
	env.procs = nil
	env.mu.Unlock()
	clear(env.byCore)
	return errors.Join(errs...)
}

// Interrupt stops every running process of the interpreter; any goroutine may
// call it (Ctrl-C, a deadline). A script blocked in wait_stop returns.
func (env *Env) Interrupt() {
	for _, p := range env.Processes() {
		p.p.Stop()
	}
}

func (env *Env) wrap(cp *core.Process) *Process {
	if p := env.byCore[cp]; p != nil {
		return p
	}
	env.forgetEnded()
	p := &Process{env: env, p: cp, threads: map[*core.Thread]*Thread{}, handlers: map[string]starlark.Callable{}}
	env.byCore[cp] = p
	env.mu.Lock()
	env.procs = append(env.procs, p)
	env.mu.Unlock()
	cp.SetHooks(core.Hooks{OnEvent: p.onEvent})
	return p
}

// controlEnv is envOf for the builtins that run the target (cont, stop,
// wait_stop, run, step, detach, kill, launch, attach): callbacks may not.
func controlEnv(thread *starlark.Thread, b *starlark.Builtin) (*Env, error) {
	env, err := envOf(thread, b)
	if err != nil {
		return nil, err
	}
	return env, env.inCallback(b)
}

// inCallback refuses operations that callbacks may not do.
func (env *Env) inCallback(b *starlark.Builtin) error {
	if env.callbacks > 0 {
		return fmt.Errorf("%s: not allowed inside a callback (return True from the callback to stop instead)", b.Name())
	}
	return nil
}

// call runs a Starlark callback on the thread of the builtin that let the engine
// run. An error is kept for wait_stop and makes the process stop.
func (env *Env) call(fn starlark.Callable, args ...starlark.Value) (stop bool) {
	thread := env.cur
	if thread == nil {
		thread = &starlark.Thread{Name: "callback"}
	}
	env.callbacks++
	v, err := starlark.Call(thread, fn, starlark.Tuple(args), nil)
	env.callbacks--
	if err != nil {
		if env.cbErr == nil {
			env.cbErr = err
		}
		return true
	}
	return bool(v.Truth())
}

// takeCallbackError returns and forgets a callback's error.
func (env *Env) takeCallbackError() error {
	err := env.cbErr
	env.cbErr = nil
	return err
}

// Launch starts a program for the host (the CLI's exec command) as the launch
// builtin would, and returns its Starlark value. It must run on the tracer thread.
func (env *Env) Launch(cfg core.LaunchConfig) (*Process, error) {
	cp, err := env.Engine.Launch(cfg)
	if err != nil {
		return nil, err
	}
	return env.wrap(cp), nil
}

// Attach attaches to a process for the host (the CLI's attach command).
func (env *Env) Attach(pid int) (*Process, error) {
	cp, err := env.Engine.Attach(pid)
	if err != nil {
		return nil, err
	}
	return env.wrap(cp), nil
}

// forgetEnded drops the processes that have exited, been killed or been
// detached from the env, so that a script that launches programs in a loop
// runs in bounded memory: nothing the env does needs them any more (Close
// has nothing to release, Interrupt nothing to stop). A script that still
// holds one reads its state and exit status as before; the warnings Close
// would have given about it are kept.
func (env *Env) forgetEnded() {
	env.mu.Lock()
	defer env.mu.Unlock()
	live := env.procs[:0]
	for _, p := range env.procs {
		switch p.p.State() {
		case core.Exited, core.Killed, core.Detached:
			if env.Warn != nil {
				env.ended.add(p.pendingWarnings())
			}
			p.stdio.ended()
			delete(env.byCore, p.p)
		default:
			live = append(live, p)
		}
	}
	clear(env.procs[len(live):])
	env.procs = live
}

// maxEndedWarnings bounds the warnings kept about forgotten processes.
const maxEndedWarnings = 100

// endedWarnings are the warnings about processes the env forgot (see
// forgetEnded): the first maxEndedWarnings, and how many more there were.
type endedWarnings struct {
	msgs []string
	more int
}

func (w *endedWarnings) add(msgs []string) {
	for _, m := range msgs {
		if len(w.msgs) < maxEndedWarnings {
			w.msgs = append(w.msgs, m)
		} else {
			w.more++
		}
	}
}

// take returns the warnings, with a last line for those left out, and forgets them.
func (w *endedWarnings) take() []string {
	msgs := w.msgs
	if w.more > 0 {
		msgs = append(msgs, fmt.Sprintf("warning: %d more breakpoints never fired in processes that ended (only the first %d are listed)", w.more, maxEndedWarnings))
	}
	*w = endedWarnings{}
	return msgs
}
