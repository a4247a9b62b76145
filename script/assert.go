package script

import (
	"fmt"
	"regexp"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// assertModule is the predeclared assert module for tests written in
// Starlark. Each function fails with an error naming it, showing values
// with their Starlark repr: "assert.eq: 3 != 4".
//
//	eq(a, b, msg=None)        a == b
//	ne(a, b, msg=None)        a != b
//	true(cond, msg=None)      cond is truthy
//	contains(container, x, msg=None)   x in container
//	fails(fn, pattern)        fn() fails with an error matching the regular
//	                          expression pattern; returns the error message
var assertModule = &starlarkstruct.Module{
	Name: "assert",
	Members: starlark.StringDict{
		"eq":       starlark.NewBuiltin("assert.eq", assertEq),
		"ne":       starlark.NewBuiltin("assert.ne", assertNe),
		"true":     starlark.NewBuiltin("assert.true", assertTrue),
		"contains": starlark.NewBuiltin("assert.contains", assertContains),
		"fails":    starlark.NewBuiltin("assert.fails", assertFails),
	},
}

func init() { assertModule.Freeze() }

// assertError returns the error of a failed assertion: name, the optional
// message, then what was wrong.
func assertError(b *starlark.Builtin, msg, format string, args ...any) error {
	if msg != "" {
		return fmt.Errorf("%s: %s: %s", b.Name(), msg, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s: %s", b.Name(), fmt.Sprintf(format, args...))
}

func assertEq(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return assertEqual(b, args, kwargs, true)
}

func assertNe(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return assertEqual(b, args, kwargs, false)
}

func assertEqual(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, want bool) (starlark.Value, error) {
	var (
		x, y starlark.Value
		msg  string
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "a", &x, "b", &y, "msg??", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(x, y)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if eq != want {
		op := "!="
		if !want {
			op = "=="
		}
		return nil, assertError(b, msg, "%s %s %s", x, op, y)
	}
	return starlark.None, nil
}

func assertTrue(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		cond starlark.Value
		msg  string
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cond", &cond, "msg??", &msg); err != nil {
		return nil, err
	}
	if !cond.Truth() {
		return nil, assertError(b, msg, "%s is not true", cond)
	}
	return starlark.None, nil
}

func assertContains(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		container, x starlark.Value
		msg          string
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "container", &container, "x", &x, "msg??", &msg); err != nil {
		return nil, err
	}
	in, err := starlark.Binary(syntax.IN, x, container)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if !in.Truth() {
		return nil, assertError(b, msg, "%s does not contain %s", container, x)
	}
	return starlark.None, nil
}

func assertFails(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		fn      starlark.Callable
		pattern string
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "pattern", &pattern); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid pattern: %w", b.Name(), err)
	}
	_, err = starlark.Call(thread, fn, nil, nil)
	if Cancelled(thread) != nil {
		return nil, err // an interrupted script is not a failure to check
	}
	if err == nil {
		return nil, fmt.Errorf("%s: %s() did not fail (want an error matching %q)", b.Name(), fn.Name(), pattern)
	}
	msg := err.Error()
	if !re.MatchString(msg) {
		return nil, fmt.Errorf("%s: error %q does not match %q", b.Name(), msg, pattern)
	}
	return starlark.String(msg), nil
}
