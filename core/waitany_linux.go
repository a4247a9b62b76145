package core

import (
	"errors"
	"os"
	"time"
)

// ErrNoneRunning is WaitAny's error when none of its processes runs or has an
// event to report.
var ErrNoneRunning = errors.New("no process is running (continue one first)")

// queue appends ev to the events Wait returns, numbered in the order of the
// engine, so that WaitAny returns the events of several processes in the
// order they came.
func (p *Process) queue(ev *Event) {
	p.e.seq++
	ev.seq = p.e.seq
	p.events = append(p.events, ev)
}

// WaitAny waits for the next event of any of ps, or of the processes they
// created and that are followed (SetFollowForks), also those created during
// the wait, and returns it (ev.Process says whose); that process is then stopped, as after Wait, and the others
// go on. Events that came already are returned first, the oldest first. A
// timeout > 0 bounds the wait: on expiry WaitAny returns nil and no error,
// and every process goes on running. A failure is returned as Wait returns
// it, a *ThreadError naming the process. With no process of ps running and
// no event to report, it returns ErrNoneRunning.
func (e *Engine) WaitAny(ps []*Process, timeout time.Duration) (*Event, error) {
	var ev *Event
	var err error
	e.Do(func() { ev, err = e.waitAny(ps, timeout) })
	return ev, err
}

// families is ps and their followed descendants, each once.
func (e *Engine) families(ps []*Process) []*Process {
	var all []*Process
	seen := map[*Process]bool{}
	for _, p := range ps {
		for _, m := range p.members() {
			if !seen[m] {
				seen[m] = true
				all = append(all, m)
			}
		}
	}
	return all
}

func (e *Engine) waitAny(ps []*Process, timeout time.Duration) (*Event, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	var term *terminal
	for _, p := range ps {
		if p.inCallback {
			return nil, ErrInCallback
		}
		if term == nil && p.term != nil && p.live() == nil {
			term = p.term
		}
	}
	term.give()
	defer term.take()
	nap := 20 * time.Microsecond
	for {
		var first *Process
		running := false
		for _, p := range e.families(ps) {
			if len(p.events) > 0 && (first == nil || p.events[0].seq < first.events[0].seq) {
				first = p
			}
			running = running || p.state == Running
		}
		if first != nil {
			return first.next()
		}
		if !running {
			return nil, ErrNoneRunning
		}
		if deadline.IsZero() {
			wpid, ws, err := wait4(-1, false)
			if err != nil {
				return nil, os.NewSyscallError("wait4", err)
			}
			e.dispatch(wpid, ws)
			continue
		}
		// A deadline: nothing may block. Poll, napping a little longer
		// each time up to a millisecond, and less than what is left.
		wpid, ws, err := wait4(-1, true)
		switch {
		case err != nil:
			return nil, os.NewSyscallError("wait4", err)
		case wpid > 0:
			e.dispatch(wpid, ws)
			nap = 20 * time.Microsecond
			continue
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		time.Sleep(min(nap, left))
		nap = min(2*nap, time.Millisecond)
	}
}
