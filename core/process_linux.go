package core

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/core/emu"
	"stardbg/core/sym"
	"stardbg/core/uprobe"
)

// ProcState is what a process is doing, as its user sees it.
type ProcState int

const (
	Stopped  ProcState = iota // every thread is stopped
	Running                   // resumed by Continue
	Exited                    // exited on its own; ExitCode is set
	Killed                    // ended by a signal; ExitSignal is set
	Detached                  // no longer traced
)

var procStateNames = [...]string{"stopped", "running", "exited", "killed", "detached"}

func (s ProcState) String() string { return procStateNames[s] }

// Hooks are optional functions the engine calls on the tracer thread. Each returns
// whether the event should stop the process and be reported by Wait.
type Hooks struct {
	// OnEvent sees thread creation and exit, signals whose policy is to stop,
	// and the fork events of a process that follows its children (EventFork).
	// Without it thread and fork events do not stop and signals do.
	OnEvent func(ev *Event) bool
}

// Process is a traced process.
type Process struct {
	e        *Engine
	pid      int
	exe      string
	args     []string
	launched bool // we started it: killed, not detached, at the end

	// Owned by the tracer thread.
	state      ProcState
	exitCode   int
	exitSignal unix.Signal
	lastExit   unix.WaitStatus // status from the last PTRACE_EVENT_EXIT, for an unattached leader
	leaderGone bool            // the main thread called pthread_exit: see leaderExited
	is32       bool            // it execed a 32-bit program: nothing may be planted (see Err32Bit)
	threads    map[int]*Thread
	events     []*Event // stops seen but not yet returned by Wait
	mem        *os.File // /proc/PID/mem
	bps        breakpoints
	syms       *sym.Table
	libs       libState
	signals    signalPolicy
	rets       retProbes // pending calls of return probes: see retprobe.go
	hooks      Hooks
	term       *terminal // the terminal it gets while waited for, or nil: see terminal
	stopping   bool      // stopAll in progress: events leave threads stopped
	inCallback bool
	held       []*Thread                                     // threads stopped for the running callback: see hold
	noEmulate  bool                                          // do not emulate step-overs (tests, benchmarks)
	noDisplace bool                                          // do not step over out of line (tests, benchmarks)
	emuMem     emu.Memory                                    // emuMemory{p}, boxed once: the hit path must not allocate
	hw         [numHW]*hwSlot                                // debug registers DR0-DR3
	hwUsed     bool                                          // hw was set once: a SIGTRAP may come from DR6
	emuWatch   *hwSlot                                       // a watchpoint an emulated access touched
	scratch    []scratchPage                                 // pages for displaced stepping
	gadget     uint64                                        // a syscall instruction, for injected system calls
	memFault   func(write bool, addr uint64, b []byte) error // tests: an access to fail, with this error
	sys        sysState                                      // system call catchpoints: see syscall_linux.go
	fam        family                                        // followed children: see family_linux.go

	// Tracepoints (tracepoint_linux.go, tracewait_linux.go).
	ring        *uprobe.Ring           // the records of every tracepoint with a callback, or nil
	traces      map[uint32]*Breakpoint // the tracepoints with a callback, by id
	traceAddrs  map[uint64]int         // how many tracepoints are set at each address
	tracePoll   int                    // an epoll instance for the ring and the engine's child waker, or 0
	traceStopBp *Breakpoint            // a tracepoint whose callback asked to stop: see traceStop
	hitRec      Hit                    // the record deliver gives to a callback
	traceRing   int                    // the ring's size (SetTraceRingSize), or 0 for DefaultRingSize
	traceWide   bool                   // the main thread exited before the others: see widenTraces

	// mu guards what Stop, called from any goroutine, reads and writes: each thread's
	// sigstopSent and the stop request. The tracer writes threads under mu too (and
	// reads it without mu, being its only writer).
	mu      sync.Mutex
	running atomic.Bool // resumed and not yet reported stopped: Stop has work to do
	stopReq EventKind   // EventStopped or EventTimeout when a stop was asked for; 0 if none
	waitGen uint64
	// stepStop is set by Stop: a source-level step that single-steps, the
	// process not running, ends at its next instruction (see srcstep.go).
	stepStop atomic.Bool
}

func newProcess(e *Engine, pid int, exe string, args []string, launched bool) *Process {
	p := &Process{e: e, pid: pid, exe: exe, args: args, launched: launched,
		threads: map[int]*Thread{}, signals: defaultSignalPolicy()}
	p.bps.init()
	p.emuMem = emuMemory{p}
	e.procs[pid] = p
	return p
}

// Pid is the process id.
func (p *Process) Pid() int { return p.pid }

// Exe is the path of the executable.
func (p *Process) Exe() string { return p.exe }

// Args is the argument vector the process was started with, as far as it is known.
func (p *Process) Args() []string { return append([]string(nil), p.args...) }

// Launched reports whether the engine started the process (rather than attached).
func (p *Process) Launched() bool { return p.launched }

// Engine is the engine tracing p.
func (p *Process) Engine() *Engine { return p.e }

// State is the process's state.
func (p *Process) State() ProcState {
	var s ProcState
	p.e.Do(func() { s = p.state })
	return s
}

// ExitCode is the exit status of an exited process.
func (p *Process) ExitCode() (int, bool) {
	var c int
	var ok bool
	p.e.Do(func() { c, ok = p.exitCode, p.state == Exited })
	return c, ok
}

// ExitSignal is the signal that killed the process.
func (p *Process) ExitSignal() (unix.Signal, bool) {
	var s unix.Signal
	var ok bool
	p.e.Do(func() { s, ok = p.exitSignal, p.state == Killed })
	return s, ok
}

// SetHooks installs the process's hooks.
func (p *Process) SetHooks(h Hooks) { p.e.Do(func() { p.hooks = h }) }

// Threads returns the live threads, sorted by tid. Children that share the
// process's memory are traced with them, but are not among them.
func (p *Process) Threads() []*Thread {
	var ts []*Thread
	p.e.Do(func() {
		for _, t := range p.threadList() {
			if !t.shares() {
				ts = append(ts, t)
			}
		}
	})
	return ts
}

func (p *Process) threadList() []*Thread {
	ts := make([]*Thread, 0, len(p.threads))
	for _, t := range p.threads {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].tid < ts[j].tid })
	return ts
}

// Thread returns the live thread tid, or nil.
func (p *Process) Thread(tid int) *Thread {
	var t *Thread
	p.e.Do(func() { t = p.threads[tid] })
	return t
}

// MainThread returns the thread whose tid is the pid, or the lowest tid if the main
// thread has exited.
func (p *Process) MainThread() *Thread {
	var t *Thread
	p.e.Do(func() {
		t = p.anyThread()
	})
	return t
}

// live reports an error if the process has ended or is not traced any more.
func (p *Process) live() error {
	switch p.state {
	case Exited:
		return &ExitedError{Pid: p.pid, Code: p.exitCode}
	case Killed:
		return &ExitedError{Pid: p.pid, Signal: p.exitSignal}
	case Detached:
		return fmt.Errorf("process %d: %w", p.pid, ErrDetached)
	}
	return nil
}

// stoppedLive reports an error unless the process is traced and stopped.
func (p *Process) stoppedLive() error {
	if err := p.live(); err != nil {
		return err
	}
	if p.state == Running {
		return fmt.Errorf("process %d: %w", p.pid, ErrRunning)
	}
	return nil
}

// addThread records a new thread; expectStop says a SIGSTOP is on its way to it
// (set under the same lock, so that Stop never sends it another).
func (p *Process) addThread(tid int, expectStop bool) *Thread {
	return p.addTask(tid, p.pid, expectStop)
}

// addTask is addThread for a task of thread group tgid: p's own, or a child
// that shares p's memory (see fork_linux.go).
func (p *Process) addTask(tid, tgid int, expectStop bool) *Thread {
	t := &Thread{p: p, tid: tid, tgid: tgid, state: tsRunning, sigstopSent: expectStop}
	p.mu.Lock()
	p.threads[tid] = t
	p.mu.Unlock()
	p.e.threads[tid] = t
	return t
}

func (p *Process) removeThread(t *Thread) {
	t.state = tsGone
	p.mu.Lock()
	delete(p.threads, t.tid)
	p.mu.Unlock()
	delete(p.e.threads, t.tid)
}

// finish records the end of the process and forgets its threads.
func (p *Process) finish(ws unix.WaitStatus) *Event {
	p.running.Store(false)
	p.forgetCalls()
	for _, t := range p.threadList() {
		p.removeThread(t)
	}
	ev := &Event{Process: p}
	if ws.Signaled() {
		p.state, p.exitSignal = Killed, ws.Signal()
		ev.Kind, ev.Signal = EventKilled, ws.Signal()
	} else {
		p.state, p.exitCode = Exited, ws.ExitStatus()
		ev.Kind, ev.Status = EventExited, ws.ExitStatus()
	}
	if p.mem != nil {
		p.mem.Close()
		p.mem = nil
	}
	p.closeTraces()
	p.term.close()
	delete(p.e.procs, p.pid)
	return ev
}

// Stop asks every thread of a running process to stop; the next Wait reports a
// "stopped" event. It may be called from any goroutine, also while another goroutine
// is blocked in Wait: it is the interrupt path for Ctrl-C and timeouts.
func (p *Process) Stop() {
	p.stepStop.Store(true)
	p.requestStop(EventStopped, 0)
}

// requestStop sends SIGSTOP to every thread that has none pending. gen, when not 0,
// ties the request to one Wait call, so that a timer that fires late is ignored.
func (p *Process) requestStop(kind EventKind, gen uint64) {
	if !p.running.Load() {
		return // stopped already (or ended): nothing to interrupt
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != 0 && gen != p.waitGen {
		return
	}
	if p.stopReq == 0 {
		p.stopReq = kind
	}
	for tid, t := range p.threads {
		if t.sigstopSent || t.interrupted || t.vforkChild != nil {
			continue // a thread in vfork stays stopped until its child is done
		}
		if unix.Tgkill(t.tgid, tid, unix.SIGSTOP) == nil {
			t.sigstopSent = true
		}
	}
}

// Wait waits for the next stop of a running process and returns it; every thread is
// then stopped. A timeout > 0 bounds the wait: on expiry the process is stopped and
// the event says EventTimeout. A process that has ended yields its exit event once,
// then an *ExitedError.
func (p *Process) Wait(timeout time.Duration) (*Event, error) {
	var ev *Event
	var err error
	p.e.Do(func() { ev, err = p.wait(timeout) })
	return ev, err
}

// Continue resumes every thread of a stopped process. A signal that stopped the
// process is delivered now unless it was suppressed with Thread.SetSignal(0).
func (p *Process) Continue() error {
	var err error
	p.e.Do(func() {
		if p.inCallback {
			err = ErrInCallback
			return
		}
		if err = p.stoppedLive(); err != nil {
			return
		}
		p.state = Running
		p.running.Store(true)
		if len(p.events) > 0 {
			return // the next Wait reports the pending stop at once
		}
		p.resumeAll()
	})
	return err
}
