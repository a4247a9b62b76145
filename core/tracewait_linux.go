package core

import (
	"os"
	"os/signal"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"stardbg/core/uprobe"
)

// Delivering tracepoint records while waiting for ptrace stops.
//
// Wait blocks in wait4, which nothing but a child's change of state wakes.
// While a process has tracepoints with callbacks, its records must reach
// them as they come, so the tracer thread sleeps in epoll_wait instead, on
// the process's ring buffer and on an eventfd that SIGCHLD wakes (the
// self-pipe trick of gdb's event loop): the kernel sends the tracer SIGCHLD at
// every stop and exit of a tracee. The engine keeps SIGCHLD quiet otherwise
// (quietSIGCHLD): it turns it on (the Go runtime's handler, os/signal, and a
// goroutine that writes the eventfd) only while some process has a
// tracepoint with a callback, so that breakpoint hits elsewhere pay nothing.
//
// Each turn of the loop reaps a waiting status with WNOHANG first; before it
// is handled, the records already in the ring are delivered (they were made
// before the stop, by threads that are stopped now or running on). Then it
// delivers a batch of records, and sleeps only when there is nothing of
// either. A status that comes after the WNOHANG finds the eventfd written,
// so no wake-up is lost.

// childWaker turns SIGCHLD into a readable eventfd. SIGCHLD's disposition
// belongs to the whole process, so there is one, shared by the engines.
var childWaker struct {
	mu   sync.Mutex
	refs int // the processes that need it
	efd  int // the eventfd, or -1 if none could be made; 0 before the first use
	sigs chan os.Signal
	done chan struct{}
}

// wakeOnChild counts the processes that need waking at a child's change of
// state (on), and turns the waker on with the first and off with the last.
func wakeOnChild(on bool) {
	w := &childWaker
	w.mu.Lock()
	defer w.mu.Unlock()
	if !on {
		if w.refs--; w.refs == 0 {
			signal.Stop(w.sigs)
			close(w.sigs)
			<-w.done
			setSIGCHLD(quietAction)
		}
		return
	}
	if w.refs++; w.refs > 1 {
		return
	}
	if w.efd == 0 {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			fd = -1 // sleepTraced polls instead
		}
		w.efd = fd
	}
	setSIGCHLD(goAction)
	w.sigs, w.done = make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(w.sigs, unix.SIGCHLD)
	go func(sigs chan os.Signal, done chan struct{}, efd int) {
		defer close(done)
		one := uint64(1)
		b := (*[8]byte)(unsafe.Pointer(&one))[:]
		for range sigs {
			unix.Write(efd, b)
		}
	}(w.sigs, w.done, w.efd)
}

// childWakerFD is the waker's eventfd, or -1.
func childWakerFD() int {
	childWaker.mu.Lock()
	defer childWaker.mu.Unlock()
	return childWaker.efd
}

// tracing reports whether Wait must deliver p's records as it waits.
func (p *Process) tracing() bool { return len(p.traces) > 0 }

// waitTraced is one turn of Wait's loop for a process with tracepoints that
// have callbacks: it handles one status, or delivers records, or sleeps
// until there is one or the other.
func (p *Process) waitTraced() error {
	wpid, ws, err := wait4(-1, true)
	if err != nil {
		return os.NewSyscallError("wait4", err)
	}
	if wpid > 0 {
		p.deliver(p.ring.Available())
		p.e.dispatch(wpid, ws)
		p.traceStop()
		return nil
	}
	if p.deliver(256 * 192) {
		p.traceStop()
		return nil
	}
	return p.sleepTraced()
}

// traceStop stops the process for a callback that asked to (see deliver),
// once the status in hand is handled: stopping waits for every thread's
// next stop, which a thread whose status was taken and not handled would
// never report.
func (p *Process) traceStop() {
	bp := p.traceStopBp
	if bp == nil {
		return
	}
	p.traceStopBp = nil
	if p.state == Running && len(p.events) == 0 {
		p.report(&Event{Kind: EventStopped, Process: p, Breakpoint: bp})
	}
}

// sleepTraced waits in epoll_wait until records come or a child changes state.
func (p *Process) sleepTraced() error {
	efd := childWakerFD()
	if p.tracePoll == 0 {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return os.NewSyscallError("epoll_create1", err)
		}
		for _, f := range []int{p.ring.FD(), efd} {
			if f < 0 {
				continue
			}
			ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(f)}
			if err := unix.EpollCtl(fd, unix.EPOLL_CTL_ADD, f, &ev); err != nil {
				unix.Close(fd)
				return os.NewSyscallError("epoll_ctl", err)
			}
		}
		p.tracePoll = fd
	}
	// The ring wakes us only when it fills (see uprobe.WakeBytes): look at
	// it every ReadTimeout, and for children every millisecond if there is
	// no eventfd.
	timeout := int(uprobe.ReadTimeout / time.Millisecond)
	if efd < 0 {
		timeout = 1
	}
	var evs [2]unix.EpollEvent
	n, err := unix.EpollWait(p.tracePoll, evs[:], timeout)
	if err == unix.EINTR {
		return nil
	}
	if err != nil {
		return os.NewSyscallError("epoll_wait", err)
	}
	for _, ev := range evs[:n] {
		if int(ev.Fd) == efd {
			var b [8]byte
			unix.Read(efd, b[:])
		}
	}
	return nil
}

// deliver gives the records in the first max bytes of the ring to their
// tracepoints' callbacks, and reports whether there was any. A callback that
// asks to stop ends the delivery, and traceStop stops the process then
// (EventStopped).
func (p *Process) deliver(max int) bool {
	some := false
	for used := 0; used < max && p.traceStopBp == nil; {
		rec, ok, err := p.ring.Next()
		if err != nil || !ok {
			break
		}
		some = true
		used += rec.Size()
		bp := p.traces[rec.ID()]
		if bp == nil {
			continue // cleared since the hit
		}
		tr := bp.trace
		h := &p.hitRec // one for every record: the hit path allocates nothing here
		*h = Hit{Breakpoint: bp, Tid: rec.Tid(), Time: rec.Time()}
		for i := range uprobe.NumRegs {
			*regPtr(&h.Regs, Reg(i)) = rec.Reg(i)
		}
		if n := len(tr.cfg.Captures); n > 0 {
			h.Mem = make([][]byte, n)
			for i := range n {
				h.Mem[i], _ = tr.probe.Capture(rec, i)
			}
		}
		p.inCallback = true
		stop := tr.cfg.OnHit(h)
		p.endCallback()
		if stop {
			p.traceStopBp = bp
		}
	}
	return some
}
