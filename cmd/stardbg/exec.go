package main

import (
	"os"
	"strconv"

	"go.starlark.net/starlark"

	"stardbg/builtins"
	"stardbg/core"
)

const execAbout = `
Exec launches PROG with ARGS, stopped before its first instruction (PROG is
looked up in PATH when it has no slash), and predeclares it as p. Then it
runs the script of -s or -e, or, with neither, opens the REPL on it. All
arguments after PROG are PROG's, even those that begin with "-". When the
script or the REPL ends, however it ends, the process is killed unless the
script detached it.

	stardbg exec -e 'p.break_at("main"); print(p.run())' ./prog arg
	echo 'print(p.pid)' | stardbg exec ./prog

Exit status: as for 'stardbg run', and 3 if PROG could not be launched.`

const attachAbout = `
Attach attaches to the running process PID, stops all its threads, and
predeclares it as p. Then it runs the script of -s or -e, or, with neither,
opens the REPL on it. When the script or the REPL ends, however it ends
(SIGINT, SIGTERM, SIGHUP and the other signals that end stardbg
included), every breakpoint is removed and the process
is detached, running, unless the script killed it.

	stardbg attach -e 'p.break_at("hot"); p.cont(); print(p.wait_stop())' 4242

Exit status: as for 'stardbg run', and 3 if PID could not be attached.`

func execCmd(args []string, std stdio) int {
	f, rf, sf := processFlags("exec", "stardbg exec [flags] [-s SCRIPT | -e CODE] PROG [ARGS...]", execAbout)
	if code, done := f.parse(args, std); done {
		return code
	}
	if f.NArg() == 0 {
		return f.usageError(std.err, "missing PROG")
	}
	if code, ok := sf.check(f, std); !ok {
		return code
	}
	argv := f.Args()
	return sf.runOn(std, rf, func(d *debugger) (*builtins.Process, error) {
		return d.env.Launch(core.LaunchConfig{Path: argv[0], Args: argv, Stdin: d.env.Stdin, Stdout: d.env.Stdout, Stderr: d.env.Stderr})
	})
}

func attachCmd(args []string, std stdio) int {
	f, rf, sf := processFlags("attach", "stardbg attach [flags] [-s SCRIPT | -e CODE] PID", attachAbout)
	if code, done := f.parse(args, std); done {
		return code
	}
	switch {
	case f.NArg() == 0:
		return f.usageError(std.err, "missing PID")
	case f.NArg() > 1:
		return f.usageError(std.err, "unexpected arguments after PID: %q", f.Args()[1:])
	}
	pid, err := strconv.Atoi(f.Arg(0))
	if err != nil || pid <= 0 {
		return f.usageError(std.err, "PID must be a positive process id, got %q", f.Arg(0))
	}
	if code, ok := sf.check(f, std); !ok {
		return code
	}
	return sf.runOn(std, rf, func(d *debugger) (*builtins.Process, error) { return d.env.Attach(pid) })
}

// processFlags are the flags of exec and attach: a script or code to run on
// the process, and the run's limits.
func processFlags(name, usage, about string) (*cmdFlags, *runFlags, *scriptFlags) {
	f := newFlags(name, usage, about)
	var rf runFlags
	var sf scriptFlags
	sf.register(f.FlagSet)
	rf.register(f.FlagSet, "the whole run")
	return f, &rf, &sf
}

// runOn starts the process on the tracer thread, then runs the script of -s
// or -e, or the REPL, on it.
func (sf *scriptFlags) runOn(std stdio, rf *runFlags, start func(*debugger) (*builtins.Process, error)) int {
	return rf.runDebugger(std, sf.repl() && isTerminal(std.in), func(d *debugger, st *stopper) error {
		var p *builtins.Process
		var err error
		d.eng.Do(func() { p, err = start(d) })
		if err != nil {
			return err // a *core.StartError
		}
		return sf.run(d, st, std, rf, p)
	})
}

// check refuses -s with -e, and a script that does not exist; ok is false when the command must end with code.
func (sf *scriptFlags) check(f *cmdFlags, std stdio) (code int, ok bool) {
	if sf.file != "" && sf.code != "" {
		return f.usageError(std.err, "-s and -e cannot be used together"), false
	}
	if sf.file != "" {
		if _, err := os.Stat(sf.file); err != nil {
			return f.usageError(std.err, "%v", err), false
		}
	}
	return exitOK, true
}

// run runs the script of -s or -e, or the REPL, with p predeclared.
func (sf *scriptFlags) run(d *debugger, st *stopper, std stdio, rf *runFlags, p *builtins.Process) error {
	d.startSession(starlark.StringDict{"p": p}, st.guard(std.out), nil, rf.maxSteps)
	st.watch(d)
	switch {
	case sf.file != "":
		_, err := d.sess.ExecFile(sf.file, nil)
		return err
	case sf.code != "":
		_, err := d.sess.ExecFile("-e", sf.code)
		return err
	}
	return runREPL(d, st, std)
}
