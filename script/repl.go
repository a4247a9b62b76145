package script

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// A Prompter reads the REPL's input one line at a time. cmd/stardbg adapts
// a line editor to it, or, when standard input is not a terminal, a reader
// that prints no prompts.
type Prompter interface {
	// Prompt shows prompt and returns the next line, without its newline.
	// It returns io.EOF at the end of input (Ctrl-D) and ErrInterrupt when
	// the user types Ctrl-C at the prompt.
	Prompt(prompt string) (line string, err error)
}

// ErrInterrupt is returned by a Prompter when the user types Ctrl-C at the
// prompt: the REPL discards the input being typed and prompts again.
var ErrInterrupt = errors.New("interrupt")

// Prompts of the REPL.
const (
	PromptFirst = ">>> "
	PromptMore  = "... "
)

// REPL runs the read-eval-print loop until the end of input or exit().
//
// As in Python, a statement that opens a block (def, if, for, while) or
// leaves a bracket open continues on "... " lines until a blank line (or
// the bracket closes). An expression prints its repr unless it is None,
// and its value is kept in _; a list of host values (a backtrace's frames)
// prints one element per line. Errors print their backtrace and the loop
// goes on. Lines are numbered from the start of the REPL's input, as in a
// file: a statement piped in reports its real line. Globals stay mutable
// from one input to the next, and load() binds names globally.
//
// Besides the predeclared names, the REPL has exit(code=None) and quit(),
// which leave it; dir(), which with no argument lists the globals; and,
// when the host predeclares a help function that returns a string, a help
// that prints the text instead (with no argument, followed by the host
// values the globals hold: the process p...).
//
// Each input runs in a fresh thread, so a Session.Cancel during an input
// (cmd/stardbg calls it on SIGINT) prints "interrupted" and returns to the
// prompt with the globals as they were left. The REPL clears the session's
// cancellation before each input.
//
// Results and (unless Options.Print or Stdout is set) print output go to out;
// errors, with their backtraces, go to errs. At the end of input or on exit(),
// REPL returns how many inputs failed (a syntax error, an error, an
// interruption) and a nil error; on exit(code), an *ExitError with the code.
// It returns the Prompter's error if it fails otherwise.
func (s *Session) REPL(p Prompter, out, errs io.Writer) (failed int, err error) {
	globals := make(starlark.StringDict, len(s.env)+1)
	for name, v := range s.env {
		globals[name] = v
	}
	globals["exit"] = starlark.NewBuiltin("exit", exit)
	globals["quit"] = starlark.NewBuiltin("quit", exit)
	globals["dir"] = replDir(globals)
	if help, ok := s.env["help"].(starlark.Callable); ok {
		globals["help"] = replHelp(help, globals, out)
	}
	s.mu.Lock()
	s.replEnv = globals
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.replEnv = nil
		s.mu.Unlock()
	}()

	opts := FileOptions()
	opts.LoadBindsGlobally = true // each input is a file: let load() bind for later ones
	var lines int32               // read before the current input
	for {
		f, n, eof, err := readChunk(p, opts)
		if f != nil {
			shiftLines(f, lines)
		}
		if se, ok := err.(syntax.Error); ok {
			se.Pos.Line += lines
			err = se
		}
		lines += n
		if err != nil {
			var syntaxErr syntax.Error
			switch {
			case errors.Is(err, ErrInterrupt):
				continue
			case errors.As(err, &syntaxErr):
				fmt.Fprintln(errs, FormatError(err))
				failed++
			case err == io.EOF:
				return failed, nil
			default:
				return failed, err
			}
		} else if len(f.Stmts) > 0 {
			err := s.evalChunk(f, globals, out, errs)
			switch {
			case errors.Is(err, errExit):
				var xe exitError
				if errors.As(err, &xe) && xe.code != nil {
					return failed, &ExitError{Code: *xe.code}
				}
				return failed, nil
			case err != nil:
				failed++
			}
		}
		if eof {
			return failed, nil
		}
	}
}

// readChunk reads and parses one compound statement, whose lines are
// numbered from 1; lines is how many lines it read. eof reports that the
// input ended after it (the end of input closes a pending block). An error
// is a syntax.Error, or the Prompter's error (io.EOF, ErrInterrupt or
// another).
func readChunk(p Prompter, opts *syntax.FileOptions) (f *syntax.File, lines int32, eof bool, err error) {
	prompt := PromptFirst
	var promptErr error
	readline := func() ([]byte, error) {
		if eof {
			return nil, io.EOF
		}
		line, err := p.Prompt(prompt)
		prompt = PromptMore
		if err != nil {
			if err == io.EOF {
				eof = true
				if lines > 0 {
					return []byte("\n"), nil // end the pending block
				}
			}
			promptErr = err
			return nil, err
		}
		lines++
		return []byte(line + "\n"), nil
	}
	f, err = opts.ParseCompoundStmt("<stdin>", readline)
	if promptErr != nil {
		return nil, lines, eof, promptErr
	}
	if eof && err != nil {
		// The input ended within an incomplete statement: drop it.
		return nil, lines, eof, io.EOF
	}
	return f, lines, eof, err
}

// evalChunk executes one REPL input in a fresh thread and prints its
// result to out or its error to errs. It returns the execution's error.
func (s *Session) evalChunk(f *syntax.File, globals starlark.StringDict, out, errs io.Writer) error {
	s.uncancel()
	ts := s.newThread("repl", out)
	defer s.release(ts)
	rootDir := s.root(".")
	absRoot, err := filepath.Abs(rootDir)
	if err != nil {
		fmt.Fprintln(errs, err)
		return err
	}
	ts.root = loadRoot{abs: absRoot, display: rootDir}
	ts.loading = []string{filepath.Join(absRoot, "<stdin>")}

	var v starlark.Value
	s.run(func() {
		if expr := soleExpr(f); expr != nil {
			v, err = starlark.EvalExprOptions(f.Options, ts.thread, expr, globals)
		} else {
			err = starlark.ExecREPLChunk(f, ts.thread, globals)
		}
	})
	switch {
	case errors.Is(err, errExit):
	case err != nil:
		if reason, interrupted := ts.cancelled(); interrupted {
			if *reason == "interrupted" {
				fmt.Fprintln(errs, "interrupted")
			} else {
				fmt.Fprintln(errs, "interrupted:", *reason)
			}
		} else {
			fmt.Fprintln(errs, FormatError(err))
		}
	case v != nil && v != starlark.None:
		globals["_"] = v
		fmt.Fprintln(out, display(v))
	}
	return err
}

// display is how the REPL shows the value of an expression: its repr, but
// a list or tuple of host values (the frames of a backtrace, threads) one
// element per line, each as str() shows it.
func display(v starlark.Value) string {
	var elems []starlark.Value
	switch v := v.(type) {
	case *starlark.List:
		for i := range v.Len() {
			elems = append(elems, v.Index(i))
		}
	case starlark.Tuple:
		elems = v
	}
	if len(elems) == 0 || slices.ContainsFunc(elems, isPlain) {
		return v.String()
	}
	lines := make([]string, len(elems))
	for i, e := range elems {
		lines[i] = e.String()
	}
	return strings.Join(lines, "\n")
}

// soleExpr returns the expression of a file made of one expression
// statement, or nil.
func soleExpr(f *syntax.File) syntax.Expr {
	if len(f.Stmts) == 1 {
		if stmt, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			return stmt.X
		}
	}
	return nil
}
