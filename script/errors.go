package script

import (
	"errors"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// FormatError renders an error of ExecFile, Call or the REPL for a person:
//
//   - an evaluation error as its Starlark backtrace,
//     "Traceback (most recent call last):\n  file:line:col: in f\n...Error: msg";
//     when a module failed to load, the backtrace is the one that reaches
//     the failure inside the module;
//   - a syntax error as "file:line:col: msg";
//   - resolution errors (undefined names...) one per line, the same way;
//   - anything else as its message.
func FormatError(err error) string {
	if err == nil {
		return ""
	}
	var evalErr *starlark.EvalError
	if errors.As(err, &evalErr) {
		// A failed load wraps the module's own EvalError, whose stack
		// (recorded on the same thread) goes deeper.
		deepest := evalErr
		for e := errors.Unwrap(evalErr); e != nil; e = errors.Unwrap(e) {
			if inner, ok := e.(*starlark.EvalError); ok {
				deepest = inner
			}
		}
		if deepest != evalErr {
			return (&starlark.EvalError{Msg: evalErr.Msg, CallStack: deepest.CallStack}).Backtrace()
		}
		return evalErr.Backtrace()
	}
	var list resolve.ErrorList
	if errors.As(err, &list) {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = e.Pos.String() + ": " + e.Msg
		}
		return strings.Join(lines, "\n")
	}
	var syntaxErr syntax.Error
	if errors.As(err, &syntaxErr) {
		return syntaxErr.Error()
	}
	return err.Error()
}
