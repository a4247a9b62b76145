package builtins

import (
	"errors"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"stardbg/core"
)

// A launch or attach that core refuses fails with an error that says the
// builtin's name once, then the target and the cause, and that carries core's
// *StartError with the facts.
func TestStartErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		src, want string
		op        string
		errno     unix.Errno
	}{
		{`launch(["` + missing + `"])`, "launch: " + missing + ": no such file or directory", "launch", unix.ENOENT},
		{`launch("` + filepath.Dir(missing) + `")`, "launch: " + filepath.Dir(missing) + ": is a directory", "launch", unix.EISDIR},
		{`attach(` + strconv.Itoa(1<<30) + `)`, "attach: " + strconv.Itoa(1<<30) + ": no such process", "attach", unix.ESRCH},
	} {
		err := execScript(t, "start.star", tc.src, sessionOptions{})
		var se *core.StartError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v, want a *core.StartError", tc.src, err)
		}
		if se.Op != tc.op || !errors.Is(se.Err, tc.errno) {
			t.Errorf("%s: StartError{Op: %q, Err: %v}, want %q and %v", tc.src, se.Op, se.Err, tc.op, tc.errno)
		}
		// The message of the builtin's error, without Starlark's backtrace.
		var inner error = se
		for e := err; e != nil; e = errors.Unwrap(e) {
			if _, ok := e.(*startError); ok {
				inner = e
			}
		}
		if got := inner.Error(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.src, got, tc.want)
		}
	}
}
