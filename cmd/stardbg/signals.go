package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"stardbg/script"
)

// A stopReason says why a run must end before its script does: the signal
// that ends it (its number), or the --timeout deadline.
type stopReason int

const (
	notStopped    stopReason = 0
	stopTimeout   stopReason = -1                         // --timeout expired
	stopInterrupt            = stopReason(syscall.SIGINT) // Ctrl-C
	stopTerminate            = stopReason(syscall.SIGTERM)
)

// endSignals are the signals that end a run, each with the same clean-up:
// every signal whose default action would end stardbg (kill(1) with the
// synchronous ones: a real fault stays a crash) and that a program can
// catch. Without this, SIGHUP (a closed ssh session), SIGQUIT (Ctrl-\) or
// SIGPIPE (stardbg run x.star | head) ended stardbg with breakpoints still
// planted, and an attached program died of SIGTRAP at its next hit.
// USR1, USR2, ALRM, XCPU, XFSZ, VTALRM, IO and PWR end a C program by
// default and are ignored by Go's runtime: they end the run too, as the
// sender expects. Left out: SIGKILL and SIGSTOP (cannot be caught), SIGPROF
// (the Go runtime keeps it, and ignores it), the real-time signals (Go
// ignores them; 32 to 34 belong to the C library) and SIGABRT, kept as Go's
// crash with a dump of every goroutine: the one way left to see where a
// stuck stardbg is, at the cost of the clean-up.
var endSignals = []syscall.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP,
	syscall.SIGBUS, syscall.SIGFPE, syscall.SIGUSR1, syscall.SIGSEGV, syscall.SIGUSR2,
	syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGSTKFLT, syscall.SIGXCPU,
	syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGIO, syscall.SIGPWR, syscall.SIGSYS,
}

// signal is the signal that ends the run, if that is why.
func (r stopReason) signal() (syscall.Signal, bool) { return syscall.Signal(r), r > 0 }

// cancel is the reason given to script.Session.Cancel: "interrupted",
// "terminated", "hangup", "broken pipe"...
func (r stopReason) cancel() string {
	switch r {
	case stopTimeout:
		return "timeout"
	case stopInterrupt, notStopped:
		return "interrupted"
	}
	return syscall.Signal(r).String()
}

// exitCode is 128 plus the signal that ends the run, as a shell reports a
// process killed by that signal.
func (r stopReason) exitCode() int { return 128 + int(r) }

// A stopper turns the endSignals and the --timeout deadline into the
// cancellation of the script that is running and the stop of every
// running target, from its own goroutine, so that a script blocked in
// wait_stop returns. The command then cleans up on its own goroutine.
//
// Signals stay caught until close, so a second Ctrl-C during clean-up
// cannot cut it short. In an interactive REPL, SIGINT interrupts the
// statement that is running and returns to the prompt instead of ending
// the run.
type stopper struct {
	interactive bool
	sigs        chan os.Signal
	timer       *time.Timer
	quit        chan struct{} // closed by close
	done        chan struct{} // closed when the run must end

	mu        sync.Mutex
	why       stopReason
	d         *debugger // the interpreter to cancel; nil when there is none
	prompting bool      // the REPL waits for input: no statement to interrupt
}

func newStopper(timeout time.Duration, interactive bool) *stopper {
	s := &stopper{
		interactive: interactive,
		sigs:        make(chan os.Signal, 4),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	for _, sig := range endSignals {
		// One ignored from the start stays ignored (nohup, or SIGINT in a
		// background job of a shell script): a handler would undo it for
		// stardbg and for the programs it launches.
		if !signal.Ignored(sig) {
			signal.Notify(s.sigs, sig)
		}
	}
	var expired <-chan time.Time
	if timeout > 0 {
		s.timer = time.NewTimer(timeout)
		expired = s.timer.C
	}
	go s.loop(expired)
	return s
}

func (s *stopper) loop(expired <-chan time.Time) {
	for {
		select {
		case sig := <-s.sigs:
			if sig == syscall.SIGINT {
				s.interrupt()
			} else {
				s.end(stopReason(sig.(syscall.Signal)))
			}
		case <-expired:
			s.end(stopTimeout)
		case <-s.quit:
			return
		}
	}
}

// interrupt handles SIGINT: the user's Ctrl-C, sent to stardbg or (see
// core.Engine.SetInterruptHandler) to a launched program that held the
// terminal.
func (s *stopper) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.interactive && s.why == notStopped {
		if !s.prompting && s.d != nil {
			s.d.cancel(stopInterrupt.cancel())
		}
		return
	}
	s.endLocked(stopInterrupt)
}

// end ends the run for why (the first reason wins).
func (s *stopper) end(why stopReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(why)
}

func (s *stopper) endLocked(why stopReason) {
	if s.why == notStopped {
		s.why = why
		close(s.done)
	}
	if s.d != nil {
		s.d.cancel(s.why.cancel())
	}
}

// watch makes d the interpreter that a stop cancels; if the run is already
// ending, d is cancelled at once. A Ctrl-C typed while a program d launched
// holds the terminal reaches that program's process group, not stardbg's:
// the engine stops the program and hands the Ctrl-C on to interrupt.
func (s *stopper) watch(d *debugger) {
	d.eng.SetInterruptHandler(s.interrupt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = d
	if s.why != notStopped {
		d.cancel(s.why.cancel())
	}
}

// limit bounds the run of the interpreter being watched (one test) by d:
// when d expires the interpreter is cancelled as by --timeout, but the run
// goes on. It returns the function that ends the bound and reports whether
// it expired. A d of 0 bounds nothing.
func (s *stopper) limit(d time.Duration) (expired func() bool) {
	if d <= 0 {
		return func() bool { return false }
	}
	var mu sync.Mutex
	fired := false
	t := time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		mu.Lock()
		fired = true
		mu.Unlock()
		if s.d != nil {
			s.d.cancel(stopTimeout.cancel())
		}
	})
	return func() bool {
		t.Stop()
		mu.Lock()
		defer mu.Unlock()
		return fired
	}
}

// release forgets the interpreter, before the command cleans it up.
func (s *stopper) release() {
	s.mu.Lock()
	s.d = nil
	s.mu.Unlock()
}

// reason returns why the run must end, or notStopped.
func (s *stopper) reason() stopReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why
}

// close stops catching signals and the deadline.
func (s *stopper) close() {
	signal.Stop(s.sigs)
	if s.timer != nil {
		s.timer.Stop()
	}
	close(s.quit)
}

func (s *stopper) setPrompting(on bool) {
	s.mu.Lock()
	s.prompting = on
	s.mu.Unlock()
}

// errStopped ends the REPL when the run must end while it waits for input.
var errStopped = errors.New("stopped")

// prompter returns a Prompter that reads from p on another goroutine, so
// that a prompt can be abandoned (with errStopped) when the run must end,
// and that tells the stopper when the REPL waits for input. The caller must
// call the returned function when the REPL has returned.
func (s *stopper) prompter(p script.Prompter) (script.Prompter, func()) {
	sp := &stoppablePrompter{s: s, req: make(chan string), res: make(chan promptResult, 1)}
	go func() {
		for prompt := range sp.req {
			line, err := p.Prompt(prompt)
			sp.res <- promptResult{line, err}
		}
	}()
	return sp, func() { close(sp.req) }
}

type stoppablePrompter struct {
	s   *stopper
	req chan string
	res chan promptResult
}

type promptResult struct {
	line string
	err  error
}

func (sp *stoppablePrompter) Prompt(prompt string) (string, error) {
	sp.s.setPrompting(true)
	defer sp.s.setPrompting(false)
	select {
	case sp.req <- prompt:
	case <-sp.s.done:
		return "", errStopped
	}
	select {
	case r := <-sp.res:
		select {
		case <-sp.s.done:
			return "", errStopped
		default:
			return r.line, r.err
		}
	case <-sp.s.done:
		return "", errStopped
	}
}

// guard returns w, except that a write that fails with EPIPE (the reader of
// stardbg's output has gone: stardbg run x.star | head) ends the run as
// SIGPIPE does, before the write returns: the script stops at its next
// step and the run cleans up and exits 141. The kernel's SIGPIPE reaches
// the stopper too, but later.
func (s *stopper) guard(w io.Writer) io.Writer { return &pipeGuard{w, s} }

type pipeGuard struct {
	w io.Writer
	s *stopper
}

func (g *pipeGuard) Write(b []byte) (int, error) {
	n, err := g.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		g.s.end(stopReason(syscall.SIGPIPE))
	}
	return n, err
}
