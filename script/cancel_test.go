package script

import (
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"go.starlark.net/starlark"
)

// startedBuiltin returns a builtin started() that closes the returned
// channel, so a test knows the script is running.
func startedBuiltin() (*starlark.Builtin, <-chan struct{}) {
	ch := make(chan struct{})
	b := starlark.NewBuiltin("started", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		close(ch)
		return starlark.None, nil
	})
	return b, ch
}

// execAsync runs src in s and returns a channel that receives its error.
func execAsync(s *Session, src string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := s.ExecFile("cancel.star", src)
		done <- err
	}()
	return done
}

// waitErr waits for an execution to end, failing the test after a deadline.
func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the script was not interrupted within 10s")
		return nil
	}
}

func waitStarted(t *testing.T, started <-chan struct{}) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the script did not start within 10s")
	}
}

func TestCancel(t *testing.T) {
	// The interpreter notices the cancellation between two steps, or sleep
	// wakes up, depending on where the script is when Cancel is called.
	const eitherWay = `^(sleep|Starlark computation cancelled): interrupted$`
	tests := []struct {
		name    string
		src     string
		reason  string
		wantErr string // regular expression
	}{
		{"busy loop", "started()\nwhile True:\n    pass", "", `^Starlark computation cancelled: interrupted$`},
		{"busy loop with a reason", "started()\nwhile True:\n    pass", "timeout", `^Starlark computation cancelled: timeout$`},
		{"sleep", "started()\nsleep(100)", "", eitherWay},
		{"sleep in a function", "def f():\n    sleep(100)\nstarted()\nf()", "", eitherWay},
		{"assert.fails does not swallow it", "started()\nassert.fails(lambda: sleep(100), '.')", "", eitherWay},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			started, ch := startedBuiltin()
			s := NewSession(Options{Predeclared: starlark.StringDict{"started": started}})
			begin := time.Now()
			done := execAsync(s, test.src)
			waitStarted(t, ch)
			s.Cancel(test.reason)
			err := waitErr(t, done)
			if err == nil || !regexp.MustCompile(test.wantErr).MatchString(err.Error()) {
				t.Fatalf("error = %v, want %s", err, test.wantErr)
			}
			if elapsed := time.Since(begin); elapsed > 5*time.Second {
				t.Errorf("the script ended after %v", elapsed)
			}
		})
	}
}

// TestCancelSleep calls sleep directly (no interpreter step can notice the
// cancellation first), so it always ends with sleep's own error.
func TestCancelSleep(t *testing.T) {
	s := NewSession(Options{})
	begin := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := s.Call(s.Predeclared()["sleep"].(starlark.Callable), starlark.MakeInt(100))
		done <- err
	}()
	s.Cancel("interrupted")
	err := waitErr(t, done)
	var cancelErr *CancelError
	if err == nil || err.Error() != "sleep: interrupted" || !errors.As(err, &cancelErr) || cancelErr.Reason != "interrupted" {
		t.Fatalf("error = %#v, want sleep: interrupted wrapping a *CancelError", err)
	}
	if elapsed := time.Since(begin); elapsed > 5*time.Second {
		t.Errorf("sleep returned after %v", elapsed)
	}
}

func TestCancelIsSticky(t *testing.T) {
	s := NewSession(Options{})
	s.Cancel("")
	_, err := s.ExecFile("x.star", "x = 1")
	if err == nil || err.Error() != "Starlark computation cancelled: interrupted" {
		t.Fatalf("ExecFile after Cancel: error = %v, want interrupted", err)
	}
}

func TestOnCancel(t *testing.T) {
	var woken, unregisteredWoken atomic.Int32
	ready := make(chan struct{})
	// block() waits until the execution is cancelled, like wait_stop.
	block := starlark.NewBuiltin("block", func(thread *starlark.Thread, b *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		OnCancel(thread, func() { unregisteredWoken.Add(1) })() // registered then unregistered at once
		wake := make(chan struct{})
		defer OnCancel(thread, func() { woken.Add(1); close(wake) })()
		close(ready)
		<-wake
		return nil, fmt.Errorf("%s: %w", b.Name(), Cancelled(thread))
	})
	// late() registers on a cancelled thread: wake is called at once.
	var late atomic.Int32
	lateFn := starlark.NewBuiltin("late", func(thread *starlark.Thread, b *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		OnCancel(thread, func() { late.Add(1) })()
		return starlark.None, nil
	})
	s := NewSession(Options{})
	done := make(chan error, 1)
	go func() {
		_, err := s.Call(block)
		done <- err
	}()
	<-ready
	s.Cancel("interrupted")
	s.Cancel("twice") // does nothing more
	if err := waitErr(t, done); err == nil || err.Error() != "block: interrupted" {
		t.Fatalf("error = %v, want block: interrupted", err)
	}
	if n := woken.Load(); n != 1 {
		t.Errorf("wake-up called %d times, want 1", n)
	}
	if n := unregisteredWoken.Load(); n != 0 {
		t.Errorf("unregistered wake-up called %d times, want 0", n)
	}

	// The session stays cancelled: a new execution is cancelled from the start.
	if _, err := s.Call(lateFn); err != nil {
		t.Fatal(err)
	}
	if n := late.Load(); n != 1 {
		t.Errorf("wake-up registered on a cancelled thread called %d times, want 1", n)
	}
}

func TestOnCancelForeignThread(t *testing.T) {
	thread := new(starlark.Thread)
	called := false
	OnCancel(thread, func() { called = true })()
	if called {
		t.Error("OnCancel called wake for a thread without a session")
	}
	if err := Cancelled(thread); err != nil {
		t.Errorf("Cancelled = %v, want nil", err)
	}
}

func TestMaxSteps(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string
	}{
		{"while True:\n    pass", "Starlark computation cancelled: too many steps"},
		{"for i in range(10):\n    pass", ""},
	}
	for _, test := range tests {
		s := NewSession(Options{MaxSteps: 1000})
		_, err := s.ExecFile("steps.star", test.src)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != test.wantErr {
			t.Errorf("%q: error = %q, want %q", test.src, got, test.wantErr)
		}
	}

	// The limit applies to each execution, not to the session.
	s := NewSession(Options{MaxSteps: 1000})
	globals, err := s.ExecFile("steps.star", "def f():\n    for i in range(100):\n        pass")
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := s.Call(globals["f"].(starlark.Callable)); err != nil {
			t.Fatalf("Call: %v", err)
		}
	}
}
