package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// A cmdFlags is the flag set of one command and the text of its help.
type cmdFlags struct {
	*flag.FlagSet
	synopsis string // "stardbg run [flags] SCRIPT.star [ARGS...]"
	about    string // what the command does, printed by --help
}

func newFlags(name, synopsis, about string) *cmdFlags {
	fs := flag.NewFlagSet("stardbg "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself
	return &cmdFlags{FlagSet: fs, synopsis: synopsis, about: strings.TrimSpace(about)}
}

// parse parses args. done reports that the command must end at once with
// code: after --help (usage on stdout, 0) or a bad flag (usage on stderr, 2).
func (f *cmdFlags) parse(args []string, std stdio) (code int, done bool) {
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.help(std.out)
		return exitOK, true
	case err != nil:
		return f.usageError(std.err, "%v", err), true
	}
	return exitOK, false
}

// parseInterspersed is parse for commands whose arguments are all
// operands (test): flags may come after them too, as in
// "stardbg test probes/ -run boot".
func (f *cmdFlags) parseInterspersed(args []string, std stdio) (operands []string, code int, done bool) {
	for {
		if code, done := f.parse(args, std); done {
			return nil, code, true
		}
		args = f.Args()
		if len(args) == 0 {
			return operands, exitOK, false
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
}

// usageError reports a usage error with a short usage message on w and
// returns the exit code for it.
func (f *cmdFlags) usageError(w io.Writer, format string, args ...any) int {
	fmt.Fprintf(w, "%s: %s\nusage: %s\nRun '%s --help' for details.\n", f.Name(), fmt.Sprintf(format, args...), f.synopsis, f.Name())
	return exitUsage
}

// help prints the full usage of the command.
func (f *cmdFlags) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", f.synopsis, f.about)
	first := true
	f.VisitAll(func(fl *flag.Flag) {
		if first {
			fmt.Fprintf(w, "\nFlags:\n")
			first = false
		}
		arg, text := flag.UnquoteUsage(fl)
		dash := "--"
		if len(fl.Name) == 1 {
			dash = "-"
		}
		head := "  " + dash + fl.Name
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", head, strings.ReplaceAll(text, "\n", "\n    \t"))
	})
}

// runFlags are the flags of every command that runs Starlark against
// targets: run, exec, attach, repl and test.
type runFlags struct {
	timeout  time.Duration
	events   string
	maxSteps uint64
}

// register adds the flags to fs; timeoutScope says what --timeout bounds.
func (rf *runFlags) register(fs *flag.FlagSet, timeoutScope string) {
	fs.DurationVar(&rf.timeout, "timeout", 0,
		"give up after `DURATION` (\"30s\", \"2m\"); it bounds "+timeoutScope+".\n"+
			"On expiry the targets are stopped, a backtrace of each of their threads is\n"+
			"printed to stderr, and stardbg cleans up and exits 1")
	fs.StringVar(&rf.events, "events", "",
		"write one JSON object per line to `FILE` (\"-\" for stderr) for every stop, breakpoint hit,\n"+
			"signal, thread event and exit: time, pid, tid, kind, breakpoint, signal, status,\n"+
			"new_tid and location {pc, function, file, line, module}")
	fs.Uint64Var(&rf.maxSteps, "max-steps", 0,
		"fail any one execution (a file, a test, a REPL input) after `N` Starlark steps; 0 means no limit")
}

// scriptFlags are the -s and -e flags of exec and attach.
type scriptFlags struct {
	file, code string
}

func (sf *scriptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.file, "s", "", "run the Starlark `SCRIPT` file with the process predeclared as p")
	fs.StringVar(&sf.code, "e", "", "run the Starlark `CODE` with the process predeclared as p")
}

// repl reports whether neither -s nor -e was given: the command opens the
// REPL.
func (sf *scriptFlags) repl() bool { return sf.file == "" && sf.code == "" }
