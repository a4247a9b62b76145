package script

import (
	"io"
	"sync"

	"go.starlark.net/starlark"
)

// stateKey is the thread-local key of a thread's *threadState.
const stateKey = "stardbg/script.state"

// threadState is the per-execution state of a Starlark thread created by a
// Session. It is stored on the thread (see state).
type threadState struct {
	session *Session
	thread  *starlark.Thread

	// Set before execution, read by load on the executing goroutine.
	env     starlark.StringDict // predeclared names of loaded modules
	root    loadRoot
	loading []string // absolute paths of the files being executed, outermost first

	mu          sync.Mutex
	reason      *string // why the thread was cancelled; nil if it was not
	interrupted bool    // cancelled by Session.Cancel (not by the step limit)
	wakers      map[uint64]func()
	nextWaker   uint64
}

// state returns the state of a thread created by a Session, or nil.
func state(thread *starlark.Thread) *threadState {
	ts, _ := thread.Local(stateKey).(*threadState)
	return ts
}

// newThread returns a new thread registered with the session, so that
// Cancel reaches it, and cancelled at once if the session is cancelled.
// out receives print output when Options.Print and Stdout are unset.
// The caller must call release when the execution ends.
func (s *Session) newThread(name string, out io.Writer) *threadState {
	ts := &threadState{session: s, wakers: make(map[uint64]func())}
	ts.env = s.env
	ts.root = loadRoot{abs: ".", display: "."}
	ts.thread = &starlark.Thread{
		Name:  name,
		Print: func(_ *starlark.Thread, msg string) { s.print(out, msg) },
		Load:  ts.load,
	}
	if s.opts.MaxSteps > 0 {
		ts.thread.SetMaxExecutionSteps(s.opts.MaxSteps)
		ts.thread.OnMaxSteps = func(*starlark.Thread) { ts.cancel("too many steps", false) }
	}
	ts.thread.SetLocal(stateKey, ts)
	if s.opts.InitThread != nil {
		s.opts.InitThread(ts.thread)
	}

	s.mu.Lock()
	s.active[ts] = struct{}{}
	reason := s.cancelled
	s.mu.Unlock()
	if reason != nil {
		ts.cancel(*reason, true)
	}
	return ts
}

// release unregisters an execution from the session.
func (s *Session) release(ts *threadState) {
	s.mu.Lock()
	delete(s.active, ts)
	s.mu.Unlock()
}

// Cancel interrupts the Starlark code the session is running: the
// execution promptly fails with an error whose message contains reason
// ("interrupted" if reason is empty), and the functions registered with
// OnCancel are called, from the calling goroutine. Cancel is sticky: later
// executions (ExecFile, Call) fail at once, except that the REPL clears it
// before each input. It is safe to call from any goroutine.
func (s *Session) Cancel(reason string) {
	if reason == "" {
		reason = "interrupted"
	}
	s.mu.Lock()
	if s.cancelled == nil {
		s.cancelled = &reason
	}
	active := make([]*threadState, 0, len(s.active))
	for ts := range s.active {
		active = append(active, ts)
	}
	s.mu.Unlock()
	for _, ts := range active {
		ts.cancel(reason, true)
	}
}

// uncancel clears the sticky cancellation of the session.
func (s *Session) uncancel() {
	s.mu.Lock()
	s.cancelled = nil
	s.mu.Unlock()
}

// cancel cancels the thread and calls the registered wake-up functions
// (once: later calls do nothing).
func (ts *threadState) cancel(reason string, interrupted bool) {
	ts.mu.Lock()
	if ts.reason != nil {
		ts.mu.Unlock()
		return
	}
	ts.reason = &reason
	ts.interrupted = interrupted
	wakers := ts.wakers
	ts.wakers = nil
	ts.mu.Unlock()

	ts.thread.Cancel(reason)
	for _, wake := range wakers {
		wake()
	}
}

// cancelled reports whether the thread was cancelled, and whether by
// Session.Cancel.
func (ts *threadState) cancelled() (reason *string, interrupted bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.reason, ts.interrupted
}

// OnCancel registers wake to be called when the execution running in
// thread is cancelled (by Session.Cancel or by the step limit), and returns
// a function that unregisters it. Builtins that block (sleep, waiting for
// a process to stop) use it to wake up, then return Cancelled(thread).
//
// wake is called at most once, from the cancelling goroutine, so it must
// not block; if the thread is already cancelled, OnCancel calls wake before
// returning. For a thread not created by a Session, OnCancel does nothing.
func OnCancel(thread *starlark.Thread, wake func()) (unregister func()) {
	ts := state(thread)
	if ts == nil {
		return func() {}
	}
	ts.mu.Lock()
	if ts.reason != nil {
		ts.mu.Unlock()
		wake()
		return func() {}
	}
	id := ts.nextWaker
	ts.nextWaker++
	ts.wakers[id] = wake
	ts.mu.Unlock()
	return func() {
		ts.mu.Lock()
		delete(ts.wakers, id)
		ts.mu.Unlock()
	}
}

// A CancelError reports that an execution was cancelled.
// Its message is the reason, such as "interrupted" or "too many steps".
type CancelError struct {
	Reason string
}

func (e *CancelError) Error() string { return e.Reason }

// Cancelled returns a *CancelError if the execution running in thread was
// cancelled, and nil otherwise (also for a thread not created by a
// Session). A builtin checks it after waking up, and returns the error
// prefixed with its name ("sleep: interrupted").
func Cancelled(thread *starlark.Thread) error {
	ts := state(thread)
	if ts == nil {
		return nil
	}
	if reason, _ := ts.cancelled(); reason != nil {
		return &CancelError{Reason: *reason}
	}
	return nil
}
