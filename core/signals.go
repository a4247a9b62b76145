package core

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// SignalAction is what the engine does when a thread receives a signal.
type SignalAction struct {
	Stop    bool // report the signal as a stop (EventSignal)
	Deliver bool // pass the signal to the program when the thread resumes
}

type signalPolicy map[unix.Signal]SignalAction

// defaultSignalPolicy delivers silently what programs use routinely (the Go runtime
// sends SIGURG constantly) and stops on the rest.
func defaultSignalPolicy() signalPolicy {
	quiet := SignalAction{Stop: false, Deliver: true}
	return signalPolicy{
		unix.SIGURG: quiet, unix.SIGCHLD: quiet, unix.SIGWINCH: quiet, unix.SIGALRM: quiet,
		unix.SIGVTALRM: quiet, unix.SIGPROF: quiet, unix.SIGPIPE: quiet,
	}
}

func (sp signalPolicy) action(sig unix.Signal) SignalAction {
	if a, ok := sp[sig]; ok {
		return a
	}
	return SignalAction{Stop: true, Deliver: true}
}

// SetSignalAction sets what happens when the process receives sig.
func (p *Process) SetSignalAction(sig unix.Signal, a SignalAction) {
	p.e.Do(func() { p.signals[sig] = a })
}

// SignalAction returns the current policy for sig.
func (p *Process) SignalAction(sig unix.Signal) SignalAction {
	var a SignalAction
	p.e.Do(func() { a = p.signals.action(sig) })
	return a
}

// SignalName is "SIGSEGV" for unix.SIGSEGV.
func SignalName(sig unix.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	if sig >= 34 && sig <= 64 {
		return fmt.Sprintf("SIGRTMIN+%d", int(sig)-34)
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// ParseSignal accepts "SIGUSR1", "usr1" or "10".
func ParseSignal(name string) (unix.Signal, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	if s := unix.SignalNum(n); s != 0 {
		return s, nil
	}
	var num int
	if _, err := fmt.Sscanf(name, "%d", &num); err == nil && num > 0 && num < 65 && fmt.Sprint(num) == strings.TrimSpace(name) {
		return unix.Signal(num), nil
	}
	return 0, fmt.Errorf("unknown signal %q", name)
}

// SendSignal sends sig to the process (kill) or, with a thread, to that thread.
func (p *Process) SendSignal(sig unix.Signal) error {
	var err error
	p.e.Do(func() {
		if err = p.live(); err == nil {
			err = unix.Kill(p.pid, sig)
		}
	})
	return err
}

// SendSignal sends sig to this thread (tgkill).
func (t *Thread) SendSignal(sig unix.Signal) error {
	var err error
	t.p.e.Do(func() {
		if err = t.p.live(); err == nil {
			err = unix.Tgkill(t.tgid, t.tid, sig)
		}
	})
	return err
}
