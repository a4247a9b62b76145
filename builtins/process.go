package builtins

import (
	"errors"
	"fmt"
	"time"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"

	"stardbg/core"
	"stardbg/script"
)

// Process is a traced process (Starlark type "process").
type Process struct {
	env      *Env
	p        *core.Process
	threads  map[*core.Thread]*Thread
	handlers map[string]starlark.Callable // on(kind, fn)
	bound    map[string]*starlark.Builtin
	stdio    *stdio // the piped standard streams of a launched program, or nil
}

func (p *Process) boundMethods() *map[string]*starlark.Builtin { return &p.bound }

var (
	_ starlark.HasAttrs = (*Process)(nil)
)

func (p *Process) String() string {
	return fmt.Sprintf("<process %d %s>", p.p.Pid(), p.p.State())
}
func (p *Process) Type() string          { return "process" }
func (p *Process) Freeze()               {}
func (p *Process) Truth() starlark.Bool  { return true }
func (p *Process) Hash() (uint32, error) { return uint32(p.p.Pid()), nil }
func (p *Process) Attr(name string) (starlark.Value, error) {
	return getAttr(p, processFields, processMethods, name)
}
func (p *Process) AttrNames() []string { return attrNames(processFields, processMethods) }

// Core is the engine's process.
func (p *Process) Core() *core.Process { return p.p }

// thread returns the one Starlark value of a core thread.
func (p *Process) thread(ct *core.Thread) *Thread {
	if ct == nil {
		return nil
	}
	if t := p.threads[ct]; t != nil {
		return t
	}
	t := &Thread{proc: p, t: ct}
	p.threads[ct] = t
	return t
}

// release kills a launched process or detaches an attached one, if still traced.
func (p *Process) release() error {
	defer p.stdio.close()
	switch p.p.State() {
	case core.Exited, core.Killed, core.Detached:
		return nil
	}
	if p.p.Launched() {
		return p.p.Kill()
	}
	return p.p.Detach()
}

// pendingWarnings describes the script's breakpoints that are still pending
// and never fired, with their location and how the process ended. One that
// fired in a library unloaded since is pending too, but was not a no-op.
func (p *Process) pendingWarnings() []string {
	var when string
	switch p.p.State() {
	case core.Exited, core.Killed:
		when = fmt.Sprintf("when process %d ended (%s)", p.p.Pid(), p.p.State())
	case core.Detached:
		when = fmt.Sprintf("when process %d was detached", p.p.Pid())
	default:
		when = fmt.Sprintf("when the script ended with process %d %s", p.p.Pid(), p.p.State())
	}
	var msgs []string
	for _, cbp := range p.p.Breakpoints() {
		if _, ok := cbp.Data.(*Breakpoint); ok && cbp.Pending() && cbp.Hits() == 0 {
			msgs = append(msgs, fmt.Sprintf("warning: breakpoint %d at %s never fired: it was still pending %s", cbp.ID, cbp.Location(), when))
		}
		if n := cbp.Lost(); n > 0 {
			msgs = append(msgs, fmt.Sprintf("warning: tracepoint %d at %s lost %d records: its on_hit fell behind the program and the ring buffer was full", cbp.ID, cbp.Location(), n))
		}
	}
	return msgs
}

var processFields = fields[*Process]{
	"pid": {func(p *Process) (starlark.Value, error) { return starlark.MakeInt(p.p.Pid()), nil },
		"pid: the process id."},
	"exe": {func(p *Process) (starlark.Value, error) { return starlark.String(p.p.Exe()), nil },
		"exe: the path of the executable."},
	"argv": {func(p *Process) (starlark.Value, error) { return stringList(p.p.Args()), nil },
		"argv: the argument vector the process started with."},
	"state": {func(p *Process) (starlark.Value, error) { return starlark.String(p.p.State().String()), nil },
		`state: "stopped", "running", "exited", "killed" or "detached".`},
	"exit_code": {func(p *Process) (starlark.Value, error) {
		if c, ok := p.p.ExitCode(); ok {
			return starlark.MakeInt(c), nil
		}
		return starlark.None, nil
	}, "exit_code: the exit status once the process has exited, else None."},
	"exit_signal": {func(p *Process) (starlark.Value, error) {
		if s, ok := p.p.ExitSignal(); ok {
			return starlark.String(core.SignalName(s)), nil
		}
		return starlark.None, nil
	}, `exit_signal: the name of the signal that killed the process ("SIGSEGV"), else None.`},
	"main_thread": {func(p *Process) (starlark.Value, error) {
		if t := p.thread(p.p.MainThread()); t != nil {
			return t, nil
		}
		return starlark.None, nil
	}, "main_thread: the thread whose tid is the pid (the lowest tid if it has exited), or None."},
	"parent": {func(p *Process) (starlark.Value, error) {
		if cp := p.p.Parent(); cp != nil {
			if pp := p.env.byCore[cp]; pp != nil {
				return pp, nil
			}
		}
		return starlark.None, nil
	}, "parent: the process that created this one, when it was followed (follow_forks=True), else None."},
}

var processMethods = methods{
	"var":  {processVar, processVarDoc},
	"eval": {processEval, processEvalDoc},
	"type": {processType, "type(name) -> type\n\nThe type of the program with this C name: \"struct order\", " +
		"\"order_t\", \"unsigned int\", \"char *\", \"int[4]\". A declared-only struct is its definition from " +
		"another file."},
	"value": {processValue, "value(addr, type) -> value\n\nThe object of type (a type or its C name) at addr, " +
		"as gdb's *(type *)addr."},
	"goroutines": {processGoroutines, processGoroutinesDoc},
	"goroutine":  {processGoroutine, "goroutine(id) -> goroutine\n\nThe live goroutine with this id; an error if there is none. It lists the goroutines to find it (see goroutines)."},
	"threads":    {processThreads, "threads() -> list of thread\n\nThe live threads, sorted by tid."},
	"thread":     {processThread, "thread(tid) -> thread\n\nThe live thread with this tid; an error if there is none."},
	"cont": {processCont, "cont()\n\nResumes every thread of a stopped process. A signal that stopped it is " +
		"delivered now unless the thread's signal was cleared (handle_signal, or t.signal = None)."},
	"stop": {processStop, "stop()\n\nAsks a running process to stop; the next wait_stop returns a \"stopped\" event."},
	"wait_stop": {processWaitStop, "wait_stop(timeout=None) -> event\n\nWaits until the running process stops " +
		"and returns why. Every thread is stopped afterwards. With a timeout in seconds, a process still " +
		"running then is stopped and the event's kind is \"timeout\". An error raised by a callback is raised here."},
	"run": {processRun, "run(timeout=None) -> event\n\ncont() then wait_stop(timeout)."},
	"detach": {processDetach, "detach()\n\nRemoves every breakpoint and lets the process go on untraced. " +
		"A launched process in which catch_syscall installed a seccomp filter cannot be detached (the filter stays, " +
		"and untraced, its caught calls would fail with ENOSYS): detach fails and says so; kill it instead."},
	"kill": {processKill, "kill()\n\nKills the process (SIGKILL) and reaps all its threads. A process that has\nexited or been killed already is left as it is, without an error: run(timeout=...)\nthen kill() ends the program whichever came first."},
	"peek": {processPeek, "peek(addr, n) -> bytes\n\nReads n bytes of memory at addr (an int or a symbol name). Breakpoints show their original bytes."},
	"poke": {processPoke, "poke(addr, data)\n\nWrites bytes (or a string's UTF-8) at addr, also into read-only text."},
	"peek_int": {processPeekInt, "peek_int(addr, size=8, signed=False) -> int\n\nReads a little-endian integer " +
		"of 1, 2, 4 or 8 bytes."},
	"poke_int": {processPokeInt, "poke_int(addr, value, size=8)\n\nWrites a little-endian integer of 1, 2, 4 or 8 bytes; " +
		"value may be signed or unsigned but must fit."},
	"peek_str": {processPeekStr, "peek_str(addr, max=4096) -> string\n\nReads a NUL-terminated string of at most max " +
		"bytes; invalid UTF-8 is replaced with U+FFFD."},
	"break_at":      {processBreakAt, breakAtDoc},
	"tracepoint":    {processTracepoint, tracepointDoc},
	"watch":         {processWatch, watchDoc},
	"catch_syscall": {processCatchSyscall, catchSyscallDoc},
	"breakpoints":   {processBreakpoints, "breakpoints() -> list of breakpoint\n\nThe breakpoints of the process, by id."},
	"on": {processOn, "on(kind, fn)\n\nCalls fn(event) when kind happens: \"thread_create\", \"thread_exit\", " +
		"\"signal\" (a signal whose policy is to stop), \"exit\" or \"fork\" (a child made, with follow_forks=True: " +
		"event.child, stopped until fn returns). A true result makes wait_stop return that event (for a fork, " +
		"the whole family stops); otherwise the process goes on. fn=None removes the handler."},
	"handle_signal": {processHandleSignal, "handle_signal(name, stop=True, deliver=True)\n\nSets what happens when " +
		"the process receives a signal (\"SIGUSR1\", \"usr1\" or its number): stop reports it as an event; deliver " +
		"passes it to the program. By default SIGURG, SIGCHLD, SIGWINCH, SIGALRM, SIGVTALRM, SIGPROF and SIGPIPE are " +
		"delivered silently, and every other signal stops."},
	"send_signal":  {processSendSignal, "send_signal(name)\n\nSends a signal to the process (kill(2))."},
	"symbol":       {processSymbol, symbolDoc},
	"lookup":       {processLookup, lookupDoc},
	"maps":         {processMaps, mapsDoc},
	"disasm":       {processDisasm, disasmDoc},
	"output":       {processOutput, outputDoc},
	"output_bytes": {processOutput, outputBytesDoc},
	"expect":       {processExpect, expectDoc},
	"write":        {processWrite, writeDoc},
	"close_stdin":  {processCloseStdin, closeStdinDoc},
}

func stringList(ss []string) *starlark.List {
	vs := make([]starlark.Value, len(ss))
	for i, s := range ss {
		vs[i] = starlark.String(s)
	}
	return starlark.NewList(vs)
}

func processThreads(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	var vs []starlark.Value
	for _, ct := range p.p.Threads() {
		vs = append(vs, p.thread(ct))
	}
	return starlark.NewList(vs), nil
}

func processThread(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tid int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "tid", &tid); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	ct := p.p.Thread(tid)
	if ct == nil {
		return nil, errorf(b, "process %d has no thread %d", p.p.Pid(), tid)
	}
	return p.thread(ct), nil
}

func processCont(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Process](b).p.Continue())
}

func processStop(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	if p.p.State() == core.Running {
		p.p.Stop()
	}
	return starlark.None, nil
}

// timeoutArg unpacks None or a number of seconds.
type timeoutArg struct{ d time.Duration }

func (ta *timeoutArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.NoneType:
		ta.d = 0
		return nil
	case starlark.Int, starlark.Float:
		f, _ := starlark.AsFloat(v)
		if f <= 0 || f > 1e9 {
			return fmt.Errorf("timeout must be a positive number of seconds, got %v", v)
		}
		ta.d = time.Duration(f * float64(time.Second))
		return nil
	}
	return fmt.Errorf("timeout must be None or a number of seconds, got %s", v.Type())
}

func processWaitStop(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var timeout timeoutArg
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "timeout?", &timeout); err != nil {
		return nil, err
	}
	return recv[*Process](b).waitStop(thread, b, timeout.d)
}

func processRun(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var timeout timeoutArg
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "timeout?", &timeout); err != nil {
		return nil, err
	}
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	if err := p.p.Continue(); err != nil {
		return nil, wrapErr(b, err)
	}
	return p.waitStop(thread, b, timeout.d)
}

// waitStop waits for the next reported event. Cancelling the interpreter stops
// the target so that the wait returns, and then raises the cancellation.
func (p *Process) waitStop(thread *starlark.Thread, b *starlark.Builtin, d time.Duration) (starlark.Value, error) {
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	ev, err := p.waitCore(thread, b, d)
	if err != nil {
		return nil, err
	}
	return p.reported(env, ev)
}

// waitCore is the engine's Wait for a builtin: a cancellation stops the
// process so that the wait returns, and is raised then.
func (p *Process) waitCore(thread *starlark.Thread, b *starlark.Builtin, d time.Duration) (*core.Event, error) {
	if err := script.Cancelled(thread); err != nil {
		return nil, err
	}
	unregister := script.OnCancel(thread, p.p.Stop)
	ev, err := p.p.Wait(d)
	unregister()
	if cerr := script.Cancelled(thread); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return ev, nil
}

func processDetach(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Process](b).p.Detach())
}

func processKill(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if _, err := controlEnv(thread, b); err != nil {
		return nil, err
	}
	// A process that ended (even a moment ago, before run's timeout) has
	// nothing left to kill: the script's intent holds.
	var ee *core.ExitedError
	if err := recv[*Process](b).p.Kill(); err != nil && !errors.As(err, &ee) {
		return nil, wrapErr(b, err)
	}
	return starlark.None, nil
}

func processBreakpoints(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	var vs []starlark.Value
	for _, cbp := range p.p.Breakpoints() {
		if bp, ok := cbp.Data.(*Breakpoint); ok {
			vs = append(vs, bp)
		}
	}
	return starlark.NewList(vs), nil
}

var eventHandlerKinds = map[string]bool{"thread_create": true, "thread_exit": true, "signal": true, "exit": true, "fork": true}

func processOn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var kind string
	var fn starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "kind", &kind, "fn", &fn); err != nil {
		return nil, err
	}
	if !eventHandlerKinds[kind] {
		return nil, errorf(b, "unknown event kind %q (want thread_create, thread_exit, signal, exit or fork)", kind)
	}
	p := recv[*Process](b)
	switch fn := fn.(type) {
	case starlark.NoneType:
		delete(p.handlers, kind)
	case starlark.Callable:
		p.handlers[kind] = fn
	default:
		return nil, errorf(b, "fn must be callable or None, got %s", fn.Type())
	}
	return starlark.None, nil
}

// onEvent is the engine's hook: it runs the script's handler for the event.
func (p *Process) onEvent(ev *core.Event) bool {
	var kind string
	switch ev.Kind {
	case core.EventThreadCreate:
		kind = "thread_create"
	case core.EventThreadExit:
		kind = "thread_exit"
	case core.EventSignal:
		kind = "signal"
	case core.EventFork:
		return p.onFork(ev)
	default:
		return true
	}
	if ev.Kind == core.EventThreadExit {
		defer p.forgetThread(ev.Tid)
	}
	fn := p.handlers[kind]
	if fn == nil {
		return ev.Kind == core.EventSignal // signals stop by default; thread events do not
	}
	return p.env.call(fn, p.event(ev))
}

func (p *Process) forgetThread(tid int) {
	for ct, t := range p.threads {
		if ct.Tid() == tid {
			t.gone = true
			delete(p.threads, ct)
		}
	}
}

func processHandleSignal(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sig signalArg
	stop, deliver := true, true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &sig, "stop?", &stop, "deliver?", &deliver); err != nil {
		return nil, err
	}
	recv[*Process](b).p.SetSignalAction(unix.Signal(sig), core.SignalAction{Stop: stop, Deliver: deliver})
	return starlark.None, nil
}

func processSendSignal(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sig signalArg
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &sig); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Process](b).p.SendSignal(unix.Signal(sig)))
}
