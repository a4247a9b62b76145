package script

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"go.starlark.net/starlark"
)

// The names the REPL adds to the predeclared ones: exit and quit to leave,
// dir() for the globals, and a help that prints.

// errExit is the error by which exit() ends the REPL.
var errExit = errors.New("exit")

// An ExitError is what REPL returns when exit(n) or quit(n) ended it: the
// caller (the CLI) exits with Code.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit %d", e.Code) }

// replDocs document the REPL's own names, for its help.
var replDocs = map[string]string{
	"exit": `exit(code=None)

Leaves the REPL, as Ctrl-D does. With code (0 to 255), stardbg exits with it;
without, it exits as at the end of input. quit is the same.`,
	"quit": `quit(code=None)

Leaves the REPL, as exit() does.`,
	"dir": `dir(x=None) -> list of string

With no argument, the names of the REPL's globals, sorted; with x, the names
of x's fields and methods: dir(p), dir(t.regs).`,
}

// REPLDocs returns the documentation of the names the REPL adds, for the
// host's reference (stardbg doc, docs/reference.md).
func REPLDocs() map[string]string { return maps.Clone(replDocs) }

// exitError is the error of exit(code) and quit(code).
type exitError struct{ code *int }

func (e exitError) Error() string { return errExit.Error() }
func (e exitError) Unwrap() error { return errExit }

// exit() and quit() end the REPL (they are predeclared there only).
func exit(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var code starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "code?", &code); err != nil {
		return nil, err
	}
	if code == starlark.None {
		return nil, exitError{}
	}
	i, ok := code.(starlark.Int)
	if !ok {
		return nil, fmt.Errorf("%s: for parameter code: got %s, want int", b.Name(), code.Type())
	}
	n, ok := i.Int64()
	if !ok || n < 0 || n > 255 {
		return nil, fmt.Errorf("%s: exit code %s out of range [0, 255]", b.Name(), i)
	}
	c := int(n)
	return nil, exitError{&c}
}

// replDir is dir(): with no argument the REPL's globals, else the
// language's dir(x).
func replDir(globals starlark.StringDict) *starlark.Builtin {
	return starlark.NewBuiltin("dir", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) > 0 || len(kwargs) > 0 {
			return callThrough(thread, starlark.Universe["dir"].(starlark.Callable), args, kwargs)
		}
		names := make([]starlark.Value, 0, len(globals))
		for _, name := range globals.Keys() { // sorted
			names = append(names, starlark.String(name))
		}
		return starlark.NewList(names), nil
	})
}

// replHelp wraps the host's help (a builtin that returns a string) so
// that it prints the text at the REPL rather than returning a string that
// the REPL would print quoted. help() with no argument adds, after the
// host's overview, the debugger values the REPL's globals hold (p, and t,
// bp... when the user set them). out receives the text.
func replHelp(help starlark.Callable, globals starlark.StringDict, out io.Writer) *starlark.Builtin {
	return starlark.NewBuiltin("help", func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) == 1 && len(kwargs) == 0 {
			if fn, ok := args[0].(*starlark.Builtin); ok && fn.Receiver() == nil && globals[fn.Name()] == fn {
				if doc, ok := replDocs[fn.Name()]; ok {
					fmt.Fprintln(out, doc)
					return starlark.None, nil
				}
			}
		}
		v, err := callThrough(thread, help, args, kwargs)
		if err != nil {
			return nil, err
		}
		s, ok := v.(starlark.String)
		if !ok {
			return v, nil
		}
		text := string(s)
		if len(args) == 0 && len(kwargs) == 0 {
			text += hostValues(globals)
		}
		fmt.Fprintln(out, text)
		return starlark.None, nil
	})
}

// callThrough calls fn for a builtin that wraps it, and returns fn's own
// error, so that the backtrace shows one builtin frame, fn's.
func callThrough(thread *starlark.Thread, fn starlark.Callable, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, err := starlark.Call(thread, fn, args, kwargs)
	var evalErr *starlark.EvalError
	if errors.As(err, &evalErr) && errors.Unwrap(evalErr) != nil {
		return nil, errors.Unwrap(evalErr)
	}
	return v, err
}

// plainTypes are the types of the language's own values: the REPL's help
// lists the globals of other types, which the host made (a process, a
// thread).
var plainTypes = []string{
	"NoneType", "bool", "int", "float", "string", "bytes", "list", "tuple",
	"dict", "set", "range", "function", "builtin_function_or_method",
	"module", "struct", "time.time", "time.duration",
}

// isPlain reports whether v is a value of the language's own types, not
// the host's.
func isPlain(v starlark.Value) bool { return slices.Contains(plainTypes, v.Type()) }

// hostValues describes the REPL: the globals that hold host values, one
// per line with its value, and the REPL's own names.
func hostValues(globals starlark.StringDict) string {
	var b strings.Builder
	for _, name := range globals.Keys() {
		v := globals[name]
		if name == "_" || isPlain(v) {
			continue
		}
		repr := v.String()
		if i := strings.IndexByte(repr, '\n'); i >= 0 {
			repr = repr[:i] + " ..."
		}
		fmt.Fprintf(&b, "  %-4s %s\n", name, repr)
	}
	b.WriteString("dir() lists the globals, _ is the last value, exit() or Ctrl-D leaves.")
	return "\n\nAt this prompt:\n" + b.String()
}
