package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"go.starlark.net/starlark"

	"stardbg/builtins"
	"stardbg/core"
	"stardbg/script"
)

// A debugger is one interpreter wired to its own ptrace engine. Every line
// of Starlark runs on the engine's tracer thread (script.Options.Run), and
// the Env holds the processes the interpreter launched or attached.
type debugger struct {
	eng  *core.Engine
	env  *builtins.Env
	sess *script.Session // nil until startSession
}

// newDebugger starts an engine and an Env whose targets inherit std (when
// its files are files) and whose events go to log (if not nil).
func newDebugger(std stdio, log *eventLog) *debugger {
	eng := core.NewEngine()
	env := builtins.NewEnv(eng)
	if f, ok := std.in.(*os.File); ok {
		env.Stdin = f
	}
	if f, ok := std.out.(*os.File); ok {
		env.Stdout = f
	}
	if f, ok := std.err.(*os.File); ok {
		env.Stderr = f
	}
	if log != nil {
		eng.SetObserver(log.log)
	}
	env.Warn = func(msg string) { fmt.Fprintf(std.err, "stardbg: %s\n", msg) }
	return &debugger{eng: eng, env: env}
}

// startSession creates the interpreter: the debugger API plus extra names,
// print output to out (or to print, if not nil).
func (d *debugger) startSession(extra starlark.StringDict, out io.Writer, print func(string), maxSteps uint64) {
	predeclared := builtins.Predeclared()
	for name, v := range extra {
		predeclared[name] = v
	}
	d.sess = script.NewSession(script.Options{
		Predeclared: predeclared,
		Print:       print,
		Stdout:      out,
		Run:         d.eng.Do,
		MaxSteps:    maxSteps,
		InitThread:  func(th *starlark.Thread) { builtins.SetEnv(th, d.env) },
		// Completes p.break_at("ho with the process's functions.
		CompleteString: builtins.CompleteString,
	})
}

// cancel interrupts the Starlark that runs and stops every running target,
// so that a script blocked in wait_stop returns. Any goroutine may call it.
func (d *debugger) cancel(reason string) {
	if d.sess != nil {
		d.sess.Cancel(reason)
	}
	d.env.Interrupt()
}

// close kills the processes the interpreter launched and detaches the ones
// it attached, with every breakpoint restored, then ends the tracer thread.
func (d *debugger) close() error {
	var err error
	d.eng.Do(func() { err = d.env.Close() })
	return errors.Join(err, d.eng.Close())
}

// runDebugger is the life of run, exec, attach and repl: it opens the event
// log, catches signals and the deadline, calls body with a new debugger
// (body starts the session, calls st.watch and runs the script or the
// REPL), cleans up whatever happened and returns the exit code.
func (rf *runFlags) runDebugger(std stdio, interactive bool, body func(d *debugger, st *stopper) error) int {
	log, err := openEventLog(rf.events, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "stardbg: %v\n", err)
		return exitUsage
	}
	st := newStopper(rf.timeout, interactive)
	defer st.close()
	d := newDebugger(std, log)

	err = body(d, st)

	st.release()
	why := st.reason()
	if why == stopTimeout {
		fmt.Fprintf(std.err, "stardbg: timeout after %v\n", rf.timeout)
		if err != nil {
			fmt.Fprintln(std.err, script.FormatError(err))
		}
		dumpThreads(std.err, d)
	}
	if cerr := d.close(); cerr != nil {
		fmt.Fprintf(std.err, "stardbg: clean-up: %v\n", cerr)
	}
	if lerr := log.close(); lerr != nil {
		fmt.Fprintf(std.err, "stardbg: event log: %v\n", lerr)
	}
	return exitCode(std.err, why, err)
}

// exitCode reports how a run ended on w and returns its exit code.
func exitCode(w io.Writer, why stopReason, err error) int {
	if _, ok := why.signal(); ok {
		fmt.Fprintln(w, "stardbg: "+why.cancel())
		return why.exitCode()
	}
	if why == stopTimeout {
		return exitFail // reported before the clean-up, with the backtraces
	}
	var se *core.StartError
	var xe *script.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &xe):
		return xe.Code // exit(N) at the REPL
	case errors.As(err, &se) && err == error(se):
		// exec or attach could not start its process: no script ran.
		fmt.Fprintf(w, "stardbg: %v\n", se)
		return exitStart
	}
	fmt.Fprintln(w, script.FormatError(err))
	if errors.As(err, &se) {
		return exitStart
	}
	return exitFail
}
