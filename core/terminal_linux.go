package core

import (
	"os"

	"golang.org/x/sys/unix"
)

// The terminal. A launched program runs in its own process group, so that
// what is meant for stardbg's job (Ctrl-C at the REPL prompt, a signal the
// shell sends the job) does not reach it. Untraced, the same program started
// from a shell would be the terminal's foreground process group: it could
// read the terminal (in the background, a read stops it with SIGTTIN) and
// Ctrl-C would interrupt it. So, as gdb does, the engine hands the terminal
// to a launched program whose standard input is stardbg's controlling
// terminal, when stardbg is in the foreground: for as long as the engine
// waits for the program (Wait, Thread.Step), not after a bare Continue, which
// returns to a host that may read the terminal itself (the REPL). It takes
// the terminal back when the wait ends, with stardbg's terminal modes, and
// gives the program its own modes and foreground group (a shell's job)
// back at the next wait.
//
// Ctrl-C then sends SIGINT to the program's process group. The program
// never receives that SIGINT: it stops, as Stop would stop it, and the
// handler of SetInterruptHandler tells the host, which would have received
// the SIGINT itself had the program not held the terminal. A SIGINT sent
// with kill(2) is the program's, and follows the signal policy.

// A terminal is the controlling terminal a launched program shares with
// stardbg, and whether the program holds it.
type terminal struct {
	fd        int // a descriptor of the terminal, ours
	ours      int // stardbg's process group
	pgid      int // the program's process group
	fg        int // the foreground group the program left last time (its own, or one of its jobs)
	given     bool
	ourModes  unix.Termios // stardbg's modes, while the program holds the terminal
	progModes unix.Termios // the program's modes, while stardbg holds it
	progSaved bool         // progModes were saved
}

// newTerminal returns the terminal that the program of process group pgid
// gets as standard input, stdin, when it is stardbg's controlling terminal
// and stardbg's process group is its foreground one; otherwise nil.
func newTerminal(stdin *os.File, pgid int) *terminal {
	if stdin == nil {
		return nil
	}
	fd := int(stdin.Fd())
	// ENOTTY when it is not a terminal, or not stardbg's controlling one.
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || fg != unix.Getpgrp() {
		return nil // stardbg runs in the background: so does the program
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &terminal{fd: dup, ours: fg, pgid: pgid, fg: pgid}
}

// give makes the program the foreground process group, with its terminal
// modes, if stardbg is the foreground group now (it may have been put in
// the background since).
func (tm *terminal) give() {
	if tm == nil || tm.given || tm.fd < 0 {
		return
	}
	if fg, err := unix.IoctlGetInt(tm.fd, unix.TIOCGPGRP); err != nil || fg != tm.ours {
		return
	}
	m, err := unix.IoctlGetTermios(tm.fd, unix.TCGETS)
	if err != nil {
		return
	}
	tm.ourModes = *m
	withoutSIGTTOU(func() {
		if tm.progSaved {
			_ = unix.IoctlSetTermios(tm.fd, unix.TCSETS, &tm.progModes)
		}
		err = unix.IoctlSetPointerInt(tm.fd, unix.TIOCSPGRP, tm.fg)
		if err != nil && tm.fg != tm.pgid {
			tm.fg = tm.pgid // the job it had in the foreground is gone
			err = unix.IoctlSetPointerInt(tm.fd, unix.TIOCSPGRP, tm.fg)
		}
	})
	tm.given = err == nil
}

// take makes stardbg the foreground process group again, with its own
// terminal modes, and keeps the program's for the next give.
func (tm *terminal) take() {
	if tm == nil || !tm.given {
		return
	}
	tm.given = false
	if fg, err := unix.IoctlGetInt(tm.fd, unix.TIOCGPGRP); err == nil && fg != tm.ours {
		tm.fg = fg
	}
	if m, err := unix.IoctlGetTermios(tm.fd, unix.TCGETS); err == nil {
		tm.progModes, tm.progSaved = *m, true
	}
	withoutSIGTTOU(func() {
		_ = unix.IoctlSetPointerInt(tm.fd, unix.TIOCSPGRP, tm.ours)
		_ = unix.IoctlSetTermios(tm.fd, unix.TCSETS, &tm.ourModes)
	})
}

// close takes the terminal back and lets it go: the program has ended or
// is detached.
func (tm *terminal) close() {
	if tm == nil || tm.fd < 0 {
		return
	}
	tm.take()
	unix.Close(tm.fd)
	tm.fd = -1
}

// foreground reports whether the program holds the terminal and its own
// process group is the foreground one.
func (tm *terminal) foreground() bool {
	if tm == nil || !tm.given {
		return false
	}
	fg, err := unix.IoctlGetInt(tm.fd, unix.TIOCGPGRP)
	return err == nil && fg == tm.pgid
}

// withoutSIGTTOU runs fn with SIGTTOU blocked in the calling thread, which
// must be locked to its OS thread (the tracer thread): a process group in
// the background that sets the foreground group or the terminal modes
// receives SIGTTOU, which would stop stardbg, unless it blocks or ignores
// it. Ignoring it would be process-wide and inherited by the programs
// launched meanwhile; blocking it is for this thread and these few calls.
func withoutSIGTTOU(fn func()) {
	var set, old unix.Sigset_t
	bit := uint(unix.SIGTTOU - 1)
	set.Val[bit/64] |= 1 << (bit % 64)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		return // not done rather than stop stardbg
	}
	fn()
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}

// terminalSignal handles a signal the terminal sent the program while it
// held the terminal, and reports whether it did. Ctrl-C's SIGINT stops the
// program, undelivered, and calls the interrupt handler. A SIGTTIN or
// SIGTTOU that the program earned before it was given the terminal (it
// reached the terminal between Continue and Wait) is dropped: the system
// call restarts, in the foreground now.
//
// info is the signal's siginfo, or nil when t stands in the signal's own
// stop.
func (p *Process) terminalSignal(t *Thread, sig unix.Signal, info *unix.Siginfo) bool {
	switch {
	case sig != unix.SIGINT && sig != unix.SIGTTIN && sig != unix.SIGTTOU:
		return false
	case !p.term.foreground():
		return false
	}
	if info == nil {
		si, err := getSiginfo(t.tid)
		if err != nil {
			return false
		}
		info = &si
	}
	const siKernel = 0x80 // sent by the kernel: the terminal, not kill(2)
	if info.Code != siKernel {
		return false
	}
	if sig == unix.SIGINT {
		p.requestStop(EventStopped, 0)
		if p.e.onInterrupt != nil {
			p.e.onInterrupt()
		}
	}
	if p.shouldRun() {
		p.resumeThread(t)
	}
	return true
}

// SetInterruptHandler sets the function called when the user types the
// terminal's interrupt character (Ctrl-C) while a launched program holds
// the terminal (see terminal): the program stops as by Stop, without the
// SIGINT, and fn tells the host, which would have received it had the
// program not held the terminal. fn runs on the tracer thread during Wait
// or Thread.Step; it must not block, and may call Process.Stop and nothing
// else of the engine.
func (e *Engine) SetInterruptHandler(fn func()) {
	e.Do(func() { e.onInterrupt = fn })
}
