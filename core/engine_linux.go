package core

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"stardbg/core/sym"
)

// Engine traces any number of processes from one tracer thread.
type Engine struct {
	calls chan func()
	g     atomic.Uintptr // the tracer goroutine (see getg), 0 once it has ended
	done  chan struct{}

	// Owned by the tracer thread.
	procs       map[int]*Process // by pid
	threads     map[int]*Thread  // every traced thread, by tid
	early       map[int]unix.WaitStatus
	passthru    map[int]bool // children with a filter, let go at each stop (seccomp_linux.go); true until their first SIGSTOP
	closed      bool
	retries     int                      // tracer threads given up because they had children
	observer    func(*Event)             // see SetObserver
	onInterrupt func()                   // see SetInterruptHandler
	files       *sym.Files               // the ELF files of every process's symbol table
	vars        map[*elf.File]varsEntry  // the DWARF data model of the files' DWARF (see varsOf)
	goRuntimes  map[*elf.File]*goRuntime // the Go runtime's layouts of Go executables (see goRuntimeOf)
	pin         pin                      // the tracer thread's CPU pin
	seq         uint64                   // events queued so far: see Process.queue

	mu         sync.Mutex     // guards closing and the set of processes seen by other goroutines
	afterClose sync.Mutex     // serializes the calls of Do once the tracer has ended
	closedG    atomic.Uintptr // the goroutine that holds afterClose
}

// NewEngine starts the tracer thread.
func NewEngine() *Engine {
	e := &Engine{
		calls:    make(chan func()),
		done:     make(chan struct{}),
		procs:    map[int]*Process{},
		threads:  map[int]*Thread{},
		early:    map[int]unix.WaitStatus{},
		passthru: map[int]bool{},
		files:    sym.NewFiles(),
	}
	quietSIGCHLD()
	ready := make(chan struct{})
	go e.loop(ready)
	<-ready
	return e
}

// loop is the tracer thread. It never unlocks the OS thread: when it returns, the
// thread exits with it, so a thread that traced processes is never reused.
func (e *Engine) loop(ready chan<- struct{}) {
	runtime.LockOSThread()
	if e.retries < 10 && hasChildren() {
		// This OS thread started programs before it was locked (os/exec runs on
		// any thread): they are its children, and the kernel reports to their
		// parent thread the stops of children traced by its own thread group,
		// even those of another Engine's tracees. Let the thread die (its
		// children go to another thread) and start again on another one.
		e.retries++
		go e.loop(ready)
		return
	}
	e.g.Store(getg())
	defer e.g.Store(0) // a later goroutine may reuse the g
	if os.Getenv("STARDBG_PIN") != "0" {
		e.pin.pinToCurrentCPU()
	}
	close(ready)
	for {
		select {
		case fn := <-e.calls:
			fn()
		case <-e.done:
			return
		}
	}
}

// hasChildren reports whether the calling OS thread has child processes.
func hasChildren() bool {
	b, err := os.ReadFile("/proc/thread-self/children")
	return err == nil && len(bytes.TrimSpace(b)) > 0
}

// OnTracer reports whether the caller runs on the tracer thread. The tracer
// goroutine is locked to that thread, so comparing goroutines is enough, and
// costs a nanosecond where gettid(2) cost 150 ns: callbacks call it at every
// register read and peek.
func (e *Engine) OnTracer() bool { return getg() == e.g.Load() }

// Do runs fn on the tracer thread and returns when it has finished. Called from the
// tracer thread itself (from inside another Do, or from a breakpoint callback) it
// calls fn directly. A panic in fn is re-raised in the caller's goroutine.
//
// Once the engine is closed, fn runs on the caller's goroutine, one call at a
// time: Close released every process, so the methods of a Process or a Thread
// find it ended or detached and return that error without a ptrace request.
func (e *Engine) Do(fn func()) {
	if e.OnTracer() {
		fn()
		return
	}
	var perr any
	finished := make(chan struct{})
	call := func() {
		defer close(finished)
		defer func() { perr = recover() }()
		fn()
	}
	select {
	case e.calls <- call:
	case <-e.done:
		e.runClosed(fn)
		return
	}
	<-finished
	if perr != nil {
		panic(perr)
	}
}

// runClosed runs fn for Do once the tracer has ended: on the caller's
// goroutine, one goroutine at a time, and directly when fn calls Do again.
func (e *Engine) runClosed(fn func()) {
	g := getg()
	if e.closedG.Load() == g {
		fn()
		return
	}
	e.afterClose.Lock()
	e.closedG.Store(g)
	defer func() {
		e.closedG.Store(0)
		e.afterClose.Unlock()
	}()
	fn()
}

// Close ends every session the engine has: launched processes are killed, attached
// ones are detached with every breakpoint removed. Then the tracer thread exits,
// and the ELF files the symbol tables read are closed.
func (e *Engine) Close() error {
	var errs []error
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.Do(func() {
		for _, p := range e.processes() {
			if err := p.release(); err != nil {
				errs = append(errs, err)
			}
		}
	})
	close(e.done)
	e.vars = nil
	e.goRuntimes = nil
	if err := e.files.Close(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// SetObserver makes fn see every event of every process once, on the tracer
// thread, when it happens: each hit of a breakpoint that is not Internal
// (after its Cond, before its OnHit, also when OnHit resumes), each signal
// whose policy stops (before Hooks.OnEvent), each thread creation and exit
// (before Hooks.OnEvent), and the other events (steps, exits, stops, timeouts,
// execs) when Wait or Step returns them. It is for logs: fn may read the
// event's thread, but it must not resume, stop or wait. A nil fn observes
// nothing.
func (e *Engine) SetObserver(fn func(*Event)) { e.Do(func() { e.observer = fn }) }

// Processes returns the processes the engine traces, by pid.
func (e *Engine) Processes() []*Process {
	var ps []*Process
	e.Do(func() { ps = e.processes() })
	return ps
}

func (e *Engine) processes() []*Process {
	ps := make([]*Process, 0, len(e.procs))
	for _, p := range e.procs {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].pid < ps[j].pid })
	return ps
}

func (e *Engine) checkOpen() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fmt.Errorf("core: engine is closed")
	}
	return nil
}
