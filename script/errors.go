package script

import (
	"errors"
	"fmt"
	"regexp"
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
//     the failure inside the module. A builtin that failed is named once:
//     "Error in f: msg" when msg does not already begin with "f: ", else
//     "Error: f: msg". The two errors a newcomer meets when a callback
//     updates a module's state (assigning a global, mutating a frozen dict
//     or list) get a note that explains them and shows the dict idiom;
//   - a syntax error as "file:line:col: syntax error: msg";
//   - resolution errors (undefined names...) one per line, "file:line:col: msg";
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
		return backtrace(deepest.CallStack, evalErr.Msg, deepest.Msg)
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
		return fmt.Sprintf("%s: syntax error: %s", syntaxErr.Pos, syntaxErr.Msg)
	}
	return err.Error()
}

// builtinFile is the file name of a builtin's frame in a call stack.
const builtinFile = "<builtin>"

// backtrace renders an evaluation error, as starlark.EvalError.Backtrace
// does but naming a failed builtin only once, and with a note for the
// errors of state updated from callbacks. cause is the message of the
// error at the top of stack: msg itself, or the one msg wraps when a
// load failed ("cannot load m.star: cause").
func backtrace(stack starlark.CallStack, msg, cause string) string {
	label := "Error"
	if last := len(stack) - 1; last >= 0 && stack[last].Pos.Filename() == builtinFile {
		name := stack[last].Name
		stack = stack[:last]
		if !strings.HasPrefix(cause, name+": ") {
			label = "Error in " + name
		}
	}
	s := fmt.Sprintf("%s%s: %s", stack, label, msg)
	if note := stateNote(cause); note != "" {
		s += "\n" + note
	}
	return s
}

var (
	// localBeforeAssignment is Starlark's error for a function that reads
	// a name it also assigns: count += 1 on a module's count.
	localBeforeAssignment = regexp.MustCompile(`^local variable (\w+) referenced before assignment$`)
	// frozenMutation is Starlark's error for a change to a frozen dict,
	// set or list (possibly prefixed by the method's name).
	frozenMutation = regexp.MustCompile(`cannot [a-z +|=]+ frozen (hash table|list)$`)
)

// stateNote explains the errors that updating a module's state from a
// function (a breakpoint callback, a test) gives, or returns "".
func stateNote(msg string) string {
	if m := localBeforeAssignment.FindStringSubmatch(msg); m != nil {
		name := m[1]
		return fmt.Sprintf(`Note: the function assigns %[1]s, which makes %[1]s local to it: a function cannot
assign a module global (Starlark has no "global" statement), and module globals are
frozen once their file has finished loading. Keep the state in a dict and update it:
    counts = {"n": 0}         # at module level (in a test_ function: inside the test)
    counts["n"] += 1          # in the callback`, name)
	}
	if frozenMutation.MatchString(msg) {
		return `Note: module globals, and the dicts and lists they hold, are frozen once their file
has finished loading, so a function that runs later (a test_ function, its callbacks)
cannot change them. Make the state inside the function that runs and let the callbacks
defined there update it:
    counts = {"n": 0}         # inside the test_ function
    counts["n"] += 1          # in a callback defined in it`
	}
	return ""
}
