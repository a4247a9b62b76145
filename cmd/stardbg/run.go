package main

import (
	"os"
)

const runAbout = `
Run executes a Starlark script with the debugger API predeclared (launch,
attach, help, ...; see 'stardbg doc'). Everything after SCRIPT belongs to the
script, untouched, even arguments that begin with "-": the list argv holds
SCRIPT followed by them. A "--" right after SCRIPT is dropped, so both of
these give argv == ["count.star", "tar", "-cf", "/dev/null", "dir"]:

	stardbg run count.star tar -cf /dev/null dir
	stardbg run count.star -- tar -cf /dev/null dir

When the script ends, however it ends, the processes it launched are killed
and the ones it attached are detached with every breakpoint restored. A
breakpoint that never fired and is still pending when its process ends (no
library loaded had its location) is reported on stderr as a warning.

Exit status: 0 if the script finished; 1 if it failed (an error, fail(), a
failed assert, an error in a breakpoint callback), with its backtrace on
stderr, or if --timeout expired; 3 if launch() or attach() could not start
its target; 128+N if signal N ended it (130 on SIGINT, 143 on SIGTERM, 129
on SIGHUP, 141 when the reader of its output went away, as in
'stardbg run x.star | head'): the clean-up is the same.`

func runCmd(args []string, std stdio) int {
	f := newFlags("run", "stardbg run [flags] SCRIPT.star [ARGS...]", runAbout)
	var rf runFlags
	rf.register(f.FlagSet, "the whole run")
	if code, done := f.parse(args, std); done {
		return code
	}
	if f.NArg() == 0 {
		return f.usageError(std.err, "missing SCRIPT")
	}
	file, scriptArgs := f.Arg(0), f.Args()[1:]
	if len(scriptArgs) > 0 && scriptArgs[0] == "--" {
		scriptArgs = scriptArgs[1:]
	}
	if _, err := os.Stat(file); err != nil {
		return f.usageError(std.err, "%v", err)
	}
	return rf.runDebugger(std, false, func(d *debugger, st *stopper) error {
		d.startSession(nil, st.guard(std.out), nil, rf.maxSteps)
		st.watch(d)
		_, err := d.sess.ExecFile(file, nil, scriptArgs...)
		return err
	})
}
