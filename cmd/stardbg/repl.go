package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/peterh/liner"
	"golang.org/x/sys/unix"

	"stardbg/builtins"
	"stardbg/script"
)

const replAbout = `
Repl opens the interactive read-eval-print loop with no process yet:
launch() or attach() one. 'stardbg' with no arguments does the same, and
'stardbg exec PROG' and 'stardbg attach PID' open it on a process, p.

An expression prints its value, kept in _; a statement that opens a block
(def, if, for, while) goes on over "... " lines until a blank line; an error
prints its backtrace, with the line in the session's input, and the loop goes
on. help() gives an overview of the API, help(x) documents x (help(p.run)),
and dir() lists the globals.

TAB completes names, attributes, the functions of the process in
p.break_at("ho<TAB> and the documented names in help("process.pe<TAB>:
p.br<TAB> gives p.break, and TAB again lists p.break_at( and p.breakpoints(.
Ctrl-C clears the line at the prompt, and while a statement runs (p.run())
stops the targets and returns to the prompt with them stopped. Ctrl-D, exit()
or quit() leaves, and exit(N) makes N the exit code: launched processes are
killed, attached ones detached.

History is kept in $XDG_STATE_HOME/stardbg/history (by default
~/.local/state/stardbg/history), shared by sessions. When standard input is
not a terminal, statements are read from it without prompts or history,
results go to standard output, errors to standard error, and the exit code
is 1 if any statement failed:

	echo 'print(p.pid)' | stardbg exec ./prog`

func replCmd(args []string, std stdio) int {
	f := newFlags("repl", "stardbg repl [flags]", replAbout)
	var rf runFlags
	rf.register(f.FlagSet, "the whole session")
	if code, done := f.parse(args, std); done {
		return code
	}
	if f.NArg() > 0 {
		return f.usageError(std.err, "unexpected arguments %q", f.Args())
	}
	return rf.runDebugger(std, isTerminal(std.in), func(d *debugger, st *stopper) error {
		d.startSession(nil, st.guard(std.out), nil, rf.maxSteps)
		st.watch(d)
		return runREPL(d, st, std)
	})
}

// runREPL runs the REPL of d's session: with the line editor when standard
// input and output are terminals, otherwise reading lines from std.in. It
// returns nil when the REPL ends (Ctrl-D, exit()) or when the stopper ends
// the run (whose reason then gives the exit code).
func runREPL(d *debugger, st *stopper, std stdio) error {
	var p script.Prompter
	interactive := isTerminal(std.in) && isTerminal(std.out)
	if interactive {
		fmt.Fprintln(std.out, banner(d))
		cooked, _ := unix.IoctlGetTermios(unix.Stdin, unix.TCGETS)
		l := liner.NewLiner()
		defer l.Close()
		raw, _ := unix.IoctlGetTermios(unix.Stdin, unix.TCGETS)
		l.SetCtrlCAborts(true)
		l.SetWordCompleter(d.sess.Complete)
		l.SetTabCompletionStyle(liner.TabPrints)
		h := loadHistory(l)
		defer func() {
			if err := h.save(); err != nil {
				fmt.Fprintf(std.err, "stardbg: history: %v\n", err)
			}
		}()
		p = &linerPrompter{l: l, h: h, out: std.out, raw: raw, cooked: cooked}
	} else {
		lp := &linePrompter{r: bufio.NewReader(std.in)}
		if isTerminal(std.in) {
			lp.prompts = std.err
		}
		p = lp
	}
	sp, release := st.prompter(p)
	defer release()
	failed, err := d.sess.REPL(sp, st.guard(std.out), st.guard(std.err))
	switch {
	case errors.Is(err, errStopped):
		if interactive {
			fmt.Fprintln(std.out) // leave the abandoned prompt's line
		}
		return nil
	case err == nil && failed > 0 && !interactive:
		return inputsFailed(failed)
	}
	return err
}

// banner introduces an interactive REPL: which process p is, and how to
// get help and leave.
func banner(d *debugger) string {
	var b strings.Builder
	if p, ok := d.sess.Predeclared()["p"].(*builtins.Process); ok {
		d.eng.Do(func() {
			c := p.Core()
			how := "attached"
			if c.Launched() {
				how = "launched"
			}
			fmt.Fprintf(&b, "p is process %d, %s (%s, %s).\n", c.Pid(), c.Exe(), how, c.State())
		})
	} else {
		b.WriteString(`No process yet: p = launch(["./prog", "arg"]) or p = attach(PID).` + "\n")
	}
	b.WriteString("help() gives an overview, help(x) documents x, TAB completes, exit() or Ctrl-D leaves.")
	return b.String()
}

// inputsFailed ends a REPL fed by a pipe in which inputs failed: each error
// was reported as it came, and the run exits 1, as a failed script does.
type inputsFailed int

func (n inputsFailed) Error() string {
	if n == 1 {
		return "stardbg: 1 input failed"
	}
	return fmt.Sprintf("stardbg: %d inputs failed", int(n))
}

// A linerPrompter reads the REPL's lines with the line editor. The line
// editor puts the terminal in its raw mode for the whole session: the
// prompter keeps that mode for the prompts and gives the statements the
// modes the terminal had before (cooked, as the shell left it), which the
// programs they run get with the terminal (see core's terminal): a program
// reading it then sees its lines echoed and edited, and Ctrl-D as the end
// of file, as it would untraced.
type linerPrompter struct {
	l           *liner.State
	h           *history
	out         io.Writer
	raw, cooked *unix.Termios // nil if unknown
}

func (lp *linerPrompter) Prompt(prompt string) (string, error) {
	if lp.raw != nil && lp.cooked != nil {
		_ = unix.IoctlSetTermios(unix.Stdin, unix.TCSETS, lp.raw)
		defer unix.IoctlSetTermios(unix.Stdin, unix.TCSETS, lp.cooked)
	}
	line, err := lp.l.Prompt(prompt)
	switch {
	case errors.Is(err, liner.ErrPromptAborted):
		return "", script.ErrInterrupt
	case err == io.EOF:
		fmt.Fprintln(lp.out) // end the prompt's line, as a shell does on Ctrl-D
		return "", io.EOF
	case err != nil:
		return "", err
	}
	if strings.TrimSpace(line) != "" {
		lp.l.AppendHistory(line)
		lp.h.add(line)
	}
	return line, nil
}

// A linePrompter reads the REPL's lines from a reader that is not a
// terminal. It writes prompts only to prompts, when set.
type linePrompter struct {
	r       *bufio.Reader
	prompts io.Writer
}

func (lp *linePrompter) Prompt(prompt string) (string, error) {
	if lp.prompts != nil {
		fmt.Fprint(lp.prompts, prompt)
	}
	line, err := lp.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
