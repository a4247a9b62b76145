// Command stardbg is a scriptable debugger for Linux/amd64 programs. Starlark
// scripts (or a person at the REPL) launch or attach to processes and drive
// them through ptrace: threads, registers, memory, breakpoints with
// callbacks, stepping and waiting.
//
// Usage:
//
//	stardbg run [flags] SCRIPT.star [ARGS...]       run a script; ARGS become argv
//	stardbg exec [flags] [-s SCRIPT | -e CODE] PROG [ARGS...]
//	                                                launch PROG as p, then run the script or the REPL
//	stardbg attach [flags] [-s SCRIPT | -e CODE] PID
//	                                                attach to PID as p, then run the script or the REPL
//	stardbg repl [flags]                            the REPL with no process yet (also: stardbg)
//	stardbg test [flags] [PATH...]                  run the test_* functions of *_test.star probes
//	stardbg doc [--markdown] [NAME]                 the reference of the Starlark API
//	stardbg version                                 print the version
//
// Every command takes --help. Exit codes, which CI relies on:
//
//	0    the script finished, or every test passed
//	1    the script or a test failed (a Starlark error, fail(), a failed assert,
//	     an error in a breakpoint callback), or --timeout (or stardbg test's
//	     --total-timeout) expired
//	2    usage error: bad flags, missing script, unknown command
//	3    the target could not be started or attached
//	5    stardbg test ran no test (-run matched none, or there was none)
//	128+N  ended by signal N: 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129
//	     for SIGHUP (the terminal or ssh session closed), 131 for SIGQUIT, 141
//	     for SIGPIPE (stardbg run x.star | head: its reader went away)
//
// Whatever ends a run, stardbg restores every breakpoint, detaches from the
// processes it attached and kills the ones it launched before it exits: the
// end of the script, a failure, --timeout, and every signal that would end
// stardbg and can be caught (HUP, INT, QUIT, PIPE, TERM, USR1, USR2, ALRM,
// XCPU, XFSZ, VTALRM...; see endSignals). A write to a closed standard
// output ends the script as SIGPIPE does. Only SIGKILL, and SIGABRT (kept as
// Go's crash with a dump of stardbg's goroutines), end it without clean-up.
//
// This package is the only one that knows about flags, terminals, the line
// editor and exit codes; the debugger is in packages core, script and
// builtins.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK        = 0
	exitFail      = 1
	exitUsage     = 2
	exitStart     = 3
	exitInterrupt = 130 // 128 + SIGINT
	exitTerminate = 143 // 128 + SIGTERM
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// stdio is where a command reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// A command is one subcommand of stardbg.
type command struct {
	name    string
	summary string
	run     func(args []string, std stdio) int
}

func commands() []command {
	return []command{
		{"run", "run a script; the arguments after it become argv", runCmd},
		{"exec", "launch a program as p, then run a script or the REPL", execCmd},
		{"attach", "attach to a process as p, then run a script or the REPL", attachCmd},
		{"repl", "start the REPL with no process (also: stardbg with no arguments)", replCmd},
		{"test", "run the test_* functions of *_test.star probe files", testCmd},
		{"doc", "print the reference of the Starlark API", docCmd},
		{"version", "print the version", versionCmd},
	}
}

// run is stardbg: it runs the command args name and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	std := stdio{stdin, stdout, stderr}
	if len(args) == 0 {
		return replCmd(nil, std)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		args = []string{args[1], "--help"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], std)
		}
	}
	fmt.Fprintf(stderr, "stardbg: unknown command %q\nRun 'stardbg --help' for usage.\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `stardbg is a scriptable debugger for Linux/amd64 programs.

usage: stardbg COMMAND [ARGS...]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'stardbg COMMAND --help' for the details of a command.

Exit codes: 0 ok; 1 the script or a test failed, or --timeout expired;
2 usage error; 3 the target could not be started or attached;
5 stardbg test ran no test; 128+N ended by signal N, after the clean-up:
130 interrupted (SIGINT), 143 terminated (SIGTERM), 129 SIGHUP, 141 SIGPIPE.
`)
}
