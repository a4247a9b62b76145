package core

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// wait is Process.Wait on the tracer thread.
func (p *Process) wait(timeout time.Duration) (*Event, error) {
	if p.inCallback {
		return nil, ErrInCallback
	}
	if len(p.events) > 0 {
		return p.next()
	}
	if err := p.live(); err != nil {
		return nil, err
	}
	if p.state != Running {
		return nil, &ThreadError{Pid: p.pid, Tid: p.pid, Err: ErrNotRunning}
	}
	p.mu.Lock()
	gen := p.waitGen
	p.mu.Unlock()
	var timer *time.Timer
	if timeout > 0 {
		timer = time.AfterFunc(timeout, func() { p.requestStop(EventTimeout, gen) })
	}
	var err error
	p.term.give()
	for len(p.events) == 0 {
		if p.tracing() {
			if err = p.waitTraced(); err != nil {
				break
			}
			continue
		}
		wpid, ws, werr := wait4(-1, false)
		if werr != nil {
			err = os.NewSyscallError("wait4", werr)
			break
		}
		p.e.dispatch(wpid, ws)
	}
	p.term.take()
	if timer != nil {
		timer.Stop()
	}
	p.mu.Lock()
	p.waitGen++
	if p.stopReq == EventTimeout {
		p.stopReq = 0
	}
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return p.next()
}

// next pops the first queued event, or the failure queued in its place.
func (p *Process) next() (*Event, error) {
	ev := p.popEvent()
	if ev.err != nil {
		return nil, ev.err
	}
	return ev, nil
}

func (p *Process) popEvent() *Event {
	ev := p.events[0]
	p.events[0] = nil
	p.events = p.events[1:]
	p.observe(ev)
	if p.state == Running {
		p.state = Stopped
	}
	p.running.Store(false)
	return ev
}

// shouldRun says whether a thread that stopped on its own may be resumed at once.
func (p *Process) shouldRun() bool {
	return p.state == Running && !p.stopping && len(p.events) == 0
}

// observe shows ev to the engine's observer, unless it saw it already. A
// failure (see fail) is not an event: Wait returns it as an error.
func (p *Process) observe(ev *Event) {
	if ev.observed || ev.err != nil {
		return
	}
	ev.observed = true
	if ev.Thread != nil && ev.Tid == 0 {
		ev.Tid = ev.Thread.tid
	}
	if p.e.observer != nil {
		p.e.observer(ev)
	}
}

// report queues an event for Wait and stops the whole process.
func (p *Process) report(ev *Event) {
	if ev.Thread != nil && ev.Tid == 0 {
		ev.Tid = ev.Thread.tid
	}
	p.queue(ev)
	if !p.stopping && p.state != Exited && p.state != Killed {
		p.stopAll()
	}
}

// stopAll stops every running thread and waits until each is stopped, handling
// whatever each reports first (a breakpoint hit, a new thread, an exit): those are
// counted and queued, and the thread stays stopped.
func (p *Process) stopAll() {
	if p.stopping {
		return
	}
	p.stopping = true
	defer func() { p.stopping = false }()
	var running []*Thread
	// Each pass signals and waits for every running thread once; threads created
	// meanwhile are already stopped, so the next pass normally finds none.
	for p.state != Exited && p.state != Killed {
		running = running[:0]
		p.mu.Lock()
		for tid, t := range p.threads {
			if t.state != tsRunning {
				continue
			}
			if !t.sigstopSent && !t.interrupted {
				if unix.Tgkill(t.tgid, tid, unix.SIGSTOP) == nil {
					t.sigstopSent = true
				}
			}
			running = append(running, t)
		}
		p.mu.Unlock()
		if len(running) == 0 {
			return
		}
		for _, t := range running {
			p.waitRunning(t)
		}
	}
}

// waitRunning waits until running thread t has reported something, and handles
// it. It asks the kernel about t alone, which costs the same for any number
// of threads where a wait for any thread scans them all (attaching to 1,000
// threads took 30 ms that way instead of 10), but it does not block there: a
// thread in execve reports nothing until the others have exited and been
// reaped, so when t is slow to answer, what the others report is handled too.
func (p *Process) waitRunning(t *Thread) {
	others := func() bool {
		for t.state == tsRunning {
			wpid, ws, err := wait4(-1, true)
			if err != nil || wpid == 0 {
				break
			}
			p.e.dispatch(wpid, ws)
		}
		return t.state == tsRunning
	}
	for t.state == tsRunning {
		wpid, ws, err := pollWait(t.tid, others)
		switch {
		case err != nil:
			p.threadGone(t, 0, false)
		case wpid == t.tid:
			p.e.dispatch(wpid, ws)
		}
	}
}

// dispatch handles one status from wait4.
func (e *Engine) dispatch(tid int, ws unix.WaitStatus) {
	if _, ok := e.passthru[tid]; ok {
		e.passThroughStop(tid, ws)
		return
	}
	t := e.threads[tid]
	if p := e.procs[tid]; t == nil && p != nil && p.leaderGone && ws.Stopped() && ws.TrapCause() == unix.PTRACE_EVENT_EXEC {
		// A thread that execs takes the tid of the main thread, which had
		// called pthread_exit: the main thread lives again (execed handles it).
		p.leaderGone = false
		t = p.addThread(tid, false)
	}
	if t == nil {
		// A new thread's first stop can come before its creator's clone event.
		// One already on its way out (its process was killed before the creator
		// reported the clone) is let go at once and forgotten: its process
		// cannot end while it stays stopped, and its tid may be reused by a new
		// thread, which must not inherit its statuses. If the clone event comes
		// after all, newThreadStopped finds the thread gone.
		if exiting := ws.Stopped() && ws.TrapCause() == unix.PTRACE_EVENT_EXIT; exiting || ws.Exited() || ws.Signaled() {
			delete(e.early, tid)
			if exiting {
				ptrace(unix.PTRACE_CONT, tid, 0, 0)
			}
			return
		}
		e.early[tid] = ws
		return
	}
	p := t.p
	switch {
	case ws.Exited() || ws.Signaled():
		p.threadGone(t, ws, true)
	case ws.Stopped():
		t.state = tsStopped
		t.regsValid = false
		p.classify(t, ws, false)
		p.act(t)
	}
}

// consumeSigstop reports whether t's SIGSTOP was ours, and forgets it.
func (p *Process) consumeSigstop(t *Thread) (ours bool, req EventKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !t.sigstopSent {
		return false, 0
	}
	t.sigstopSent = false
	req, p.stopReq = p.stopReq, 0
	return true, req
}

// staleTrap recognises the trap of an int3 that was taken out after the thread
// ran it but before its stop was seen (a breakpoint cleared while other threads
// ran, or by a callback): the thread goes back to the restored instruction and
// the program never sees a SIGTRAP. The program's own int3 still traps.
func (p *Process) staleTrap(t *Thread) bool {
	const siKernel = 0x80 // si_code of a trap raised by an int3
	addr := t.regs.Rip - 1
	if !p.bps.removed[addr] {
		return false
	}
	if si, err := getSiginfo(t.tid); err != nil || si.Code != siKernel {
		return false
	}
	var b [1]byte
	if n, _ := p.readMem(addr, b[:]); n != 1 || b[0] == 0xCC {
		return false
	}
	t.regs.Rip = addr
	t.regsDirty = true
	return true
}

// hit runs the callbacks of the breakpoints at s and resumes or reports.
// The held threads are handled (endCallback) once t has been settled.
func (p *Process) hit(t *Thread, s *site) {
	p.inCallback = true
	defer p.endCallback()
	ev := p.callbacks(t, s)
	p.inCallback = false
	p.settle(t, ev)
}

// runHit runs the callbacks of the breakpoints at s for t, which stands on
// its address, and returns the event of the first that stops, or nil.
func (p *Process) runHit(t *Thread, s *site) *Event {
	p.inCallback = true
	defer p.endCallback()
	return p.callbacks(t, s)
}

// callbacks is runHit inside a callback.
func (p *Process) callbacks(t *Thread, s *site) *Event {
	t.regs.Rip = s.addr
	t.regsDirty = true
	t.stop.over = s
	if !s.goChecked {
		p.guardEntry(s)
	}
	if len(p.rets.restarts) > 0 && p.restarted(t, s) {
		return nil // the same call again, after runtime.morestack
	}
	var stopBp *Breakpoint
	var stopEv *Event // stopBp's hit, if the observer saw it
	var buf [4]*Breakpoint
	owners := append(buf[:0], s.owners...)
	p.rets.stop = nil
	p.rets.traps++
	for _, bp := range owners {
		if bp.Cond != nil && !bp.Cond(t, bp) {
			continue
		}
		bp.hits++
		var ev *Event
		if p.e.observer != nil && !bp.Internal {
			// Only then: the hit path does not allocate.
			ev = &Event{Kind: EventBreakpoint, Process: p, Thread: t, Breakpoint: bp}
			p.observe(ev)
		}
		if bp.OnReturn != nil {
			p.enterCall(t, bp)
		}
		if bp.OnHit == nil || bp.OnHit(t, bp) {
			if stopBp == nil {
				stopBp, stopEv = bp, ev
			}
		}
		p.rets.entered = nil
	}
	if c := p.rets.stop; stopBp != nil && stopBp.Internal && c != nil {
		// An OnReturn asked to stop: the event is its breakpoint's.
		stopBp, stopEv = c.Breakpoint, &Event{Kind: EventBreakpoint, Process: p, Thread: t, Breakpoint: c.Breakpoint, Call: c}
	}
	p.rets.stop = nil
	if stopBp != nil && stopEv == nil {
		// The observer sees no hit of an internal breakpoint.
		stopEv = &Event{Kind: EventBreakpoint, Process: p, Thread: t, Breakpoint: stopBp, observed: stopBp.Internal}
	}
	return stopEv
}

// signal applies the signal policy to a signal t received: info is its
// siginfo, or nil when t stands in the signal's own stop.
func (p *Process) signal(t *Thread, sig unix.Signal, info *unix.Siginfo) {
	if p.terminalSignal(t, sig, info) {
		return
	}
	if p.takeSignal(t, sig, info) {
		return
	}
	if p.shouldRun() {
		p.resumeThread(t)
	}
}

// takeSignal puts a signal t received through the signal policy: a signal to
// deliver becomes t's pending signal, with its siginfo (info, or nil when t
// stands in the signal's own stop), and one to stop on is reported (true).
// A signal taken from the kernel earlier (info) that t blocks now is only
// given back to the kernel, which queues it again (see siginfo_linux.go): it
// meets the policy when it comes again.
func (p *Process) takeSignal(t *Thread, sig unix.Signal, info *unix.Siginfo) (reported bool) {
	if info != nil && t.blocks(sig) {
		t.pendingSig, t.sigInfo, t.sigFresh = sig, *info, false
		return false
	}
	a := p.signals.action(sig)
	if a.Deliver {
		t.pendingSig, t.sigFresh = sig, info == nil
		if info != nil {
			t.sigInfo = *info
		}
	}
	if !a.Stop {
		return false
	}
	ev := &Event{Kind: EventSignal, Process: p, Thread: t, Signal: sig}
	switch sig {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE:
		// si_addr means something only in a fault the kernel raised for
		// an instruction (si_code > 0): not in a signal sent by kill or
		// tgkill (si_code <= 0), nor in SI_KERNEL, which a general
		// protection fault gives with si_addr 0.
		const siKernel = 0x80
		si, err := unix.Siginfo{}, error(nil)
		if info != nil {
			si = *info
		} else {
			si, err = getSiginfo(t.tid)
		}
		if err == nil && si.Code > 0 && si.Code != siKernel {
			ev.Addr, ev.HasAddr = siginfoAddr(&si), true
		}
	}
	p.observe(ev)
	if p.hooks.OnEvent == nil || p.callHook(ev) {
		p.report(ev)
		return true
	}
	return false
}

func (p *Process) callHook(ev *Event) bool {
	if ev.Thread != nil && ev.Tid == 0 {
		ev.Tid = ev.Thread.tid
	}
	p.inCallback = true
	defer p.endCallback()
	return p.hooks.OnEvent(ev)
}

// ptraceEvent handles PTRACE_EVENT_* stops.
func (p *Process) ptraceEvent(t *Thread, cause int) {
	switch cause {
	case unix.PTRACE_EVENT_CLONE:
		msg, err := unix.PtraceGetEventMsg(t.tid)
		if err != nil {
			p.fail(t, fmt.Errorf("a new thread cannot be followed: %w", os.NewSyscallError("ptrace(PTRACE_GETEVENTMSG)", err)))
			return
		}
		if unix.Tgkill(t.tgid, int(msg), 0) == unix.ESRCH {
			// Not in t's thread group: a child made by clone without
			// CLONE_THREAD and without an exit signal (with SIGCHLD, it
			// would be a fork event). It may share the memory.
			if err := p.forked(t, false); err != nil {
				p.fail(t, err)
				return
			}
			break
		}
		nt := p.newThreadStopped(int(msg), t.tgid)
		if nt != nil && p.hwActive() {
			if err := p.applyHWThread(nt); err != nil {
				p.fail(nt, fmt.Errorf("hardware breakpoints cannot be set in the new thread: %w", err))
				return
			}
		}
		if nt != nil && nt.shares() {
			if p.shouldRun() {
				p.resumeThread(nt)
			}
		} else if nt != nil {
			ev := &Event{Kind: EventThreadCreate, Process: p, Thread: t, NewThread: nt}
			p.observe(ev)
			if p.hooks.OnEvent != nil && p.callHook(ev) {
				p.report(ev)
				return
			}
			if p.shouldRun() {
				p.resumeThread(nt)
			}
		}
	case unix.PTRACE_EVENT_EXIT:
		if msg, err := unix.PtraceGetEventMsg(t.tid); err == nil {
			if !t.shares() {
				p.lastExit = unix.WaitStatus(msg)
			}
			t.exitStatus = unix.WaitStatus(msg).ExitStatus()
		}
		// The thread is on its way out: let it go, it never stops again.
		alone := t.tid == p.pid && len(p.threads) > 1 && exitsAlone(t.tid)
		stopped := alone && p.widenTraces(t) // while t's address space is there
		t.state = tsExiting
		t.stop.over = nil
		t.pendingSig = 0
		_ = ptrace(unix.PTRACE_CONT, t.tid, 0, 0)
		if alone {
			p.leaderExited(t)
		}
		if stopped && len(p.events) == 0 && p.state == Running {
			p.resumeAll()
		}
		return
	case unix.PTRACE_EVENT_SECCOMP:
		p.sysStop(t, true)
		return
	case unix.PTRACE_EVENT_EXEC:
		if t.shares() && p.fam.follow {
			p.sharerExecedFollowed(t)
		} else if t.shares() {
			p.sharerExeced(t)
		} else {
			p.execed(t)
		}
		return
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK:
		if err := p.forked(t, cause == unix.PTRACE_EVENT_VFORK); err != nil {
			p.fail(t, err)
			return
		}
		if t.vforkChild != nil {
			return // it stays stopped until the child is done (sharerDone)
		}
	}
	if p.shouldRun() {
		p.resumeThread(t)
	}
}

// newThreadStopped adds a thread reported by a clone event and waits for its first
// stop, so that it is known before it runs an instruction.
func (p *Process) newThreadStopped(tid, tgid int) *Thread {
	// Its first SIGSTOP counts as one of ours from the start, so that a Stop from
	// another goroutine sends it no second one: the two would merge into one
	// stop, and we would wait forever for the other.
	nt := p.addTask(tid, tgid, true) // a thread of a child that shares the memory shares it too
	ws, seen := p.e.early[tid]
	delete(p.e.early, tid)
	for {
		if !seen {
			var err error
			if _, ws, err = wait4(tid, false); err != nil {
				p.threadGone(nt, 0, false)
				return nil
			}
		}
		seen = false
		if ws.Exited() || ws.Signaled() {
			p.threadGone(nt, ws, true)
			return nil
		}
		// A clone's first stop: SIGSTOP, or PTRACE_EVENT_STOP in a seized process.
		if ws.Stopped() && (ws.StopSignal() == unix.SIGSTOP || ws.TrapCause() == unix.PTRACE_EVENT_STOP) {
			nt.state = tsStopped
			p.mu.Lock()
			nt.sigstopSent = false
			p.mu.Unlock()
			return nt
		}
		if ws.Stopped() {
			// Some other signal raced with the first stop: keep it for later;
			// the SIGSTOP is still to come.
			nt.state = tsStopped
			if ws.TrapCause() == 0 {
				nt.pendingSig, nt.sigFresh = ws.StopSignal(), true
			}
			return nt
		}
	}
}

// threadGone removes a thread that exited or was killed. When it was the last one
// (or the main thread, which is reported last), the process is over.
func (p *Process) threadGone(t *Thread, ws unix.WaitStatus, real bool) {
	if t.state == tsGone {
		return
	}
	if t.shares() && p.fam.follow {
		if !real {
			ws = unix.WaitStatus(t.exitStatus&0xff) << 8
		}
		p.sharerExitedFollowed(t, ws)
		return
	}
	if t.shares() {
		p.sharerGone(t)
		return
	}
	if !real {
		ws = p.lastExit
	}
	leader := t.tid == p.pid
	p.removeThread(t)
	if leader || !p.hasOwnThread() {
		if !leader {
			ws = p.lastExit
			if p.leaderGone {
				ws = p.reapLeader(ws)
			}
		}
		err := p.releaseSharers()
		p.queue(p.finish(ws))
		if err != nil {
			p.queue(&Event{Process: p, err: err})
		}
		return
	}
	status := t.exitStatus
	if ws.Exited() {
		status = ws.ExitStatus()
	}
	p.dropCalls(func(c *Call) bool { return c.key == callKey{tid: t.tid} })
	ev := &Event{Kind: EventThreadExit, Process: p, Tid: t.tid, Status: status}
	p.observe(ev)
	if p.hooks.OnEvent != nil && p.callHook(ev) {
		p.report(ev)
	}
}

// execed handles PTRACE_EVENT_EXEC: the old image is gone, with its threads, its
// breakpoints and our scratch pages; nothing may be written at the old addresses.
// Breakpoints set by location are resolved again in the new program (pending
// until its libraries are loaded); those set by address, and hardware ones, are
// dropped. The event is always reported.
func (p *Process) execed(t *Thread) {
	// The thread that called execve now has the main thread's tid, which is how
	// the kernel reports the event: the others are gone without a word. A
	// SIGSTOP or PTRACE_INTERRUPT we sent that thread under its old tid (a
	// stop, or a callback's hold that gave up) is still pending for the same
	// task: it is ours.
	if former, err := unix.PtraceGetEventMsg(t.tid); err == nil && int(former) != t.tid {
		if o := p.threads[int(former)]; o != nil {
			p.mu.Lock()
			t.sigstopSent, t.interrupted = o.sigstopSent, o.interrupted
			p.mu.Unlock()
			// Its execve returns in the new program, under the new tid.
			t.sysDrop()
			t.sys = o.sys
			if t.sys != nil {
				t.sys.t = t
			}
		}
	}
	t.sysIntr = nil
	// Children that shared the old memory keep it, with our int3s.
	failed := []error{p.releaseSharers()}
	if failed[0] == nil {
		failed = nil
	}
	for _, o := range p.threadList() {
		if o != t {
			p.removeThread(o)
		}
	}
	t.stop, t.regsValid, t.regsDirty, t.pendingSig, t.sigQueue = stop{}, false, false, 0, nil
	p.removeAllSites(false)
	p.forgetCalls()
	p.bps.removed = map[uint64]bool{}
	var keep []*Breakpoint
	for _, bp := range p.bps.list {
		bp.addrs, bp.locs = nil, nil
		if bp.sys != nil || bp.spec != nil && !bp.Internal && bp.hw == nil {
			keep = append(keep, bp)
		} else {
			bp.cleared = true
		}
	}
	p.bps.list = keep
	p.syms, p.libs = nil, libState{}
	p.hw, p.scratch, p.gadget = [numHW]*hwSlot{}, nil, 0
	if exe := exePath(p.pid); exe != "" {
		p.exe = exe
	}
	if p.fam.parent != nil { // a followed child: its argv is the new program's
		if args := readCmdline(p.pid); args != nil {
			p.args = args
		}
	}
	p.is32 = elfClass32(fmt.Sprintf("/proc/%d/exe", p.pid))
	if p.mem != nil {
		p.mem.Close()
		p.mem = nil
	}
	// The exec is reported first; a breakpoint that cannot be placed in the
	// new program is the failure the next Wait returns.
	if tab, err := p.symbols(); err != nil {
		if len(keep) > 0 {
			failed = append(failed, fmt.Errorf("breakpoints cannot be placed in the new program: %w", err))
		}
	} else {
		if err := p.watchLibraries(tab); err != nil {
			failed = append(failed, err)
		}
		for _, bp := range keep {
			if bp.sys != nil {
				continue // the filter, if any, stays with the process
			}
			if err := p.resolveAgain(tab, bp); err != nil {
				failed = append(failed, err)
			}
		}
	}
	p.report(&Event{Kind: EventExec, Process: p, Thread: t})
	for _, err := range failed {
		p.fail(t, err)
	}
}

// exitsAlone reports whether thread tid, stopped at PTRACE_EVENT_EXIT, is
// leaving by exit(2) (pthread_exit), the others going on, rather than with
// its whole process (exit_group, a fatal signal, another thread's execve):
// the system call it is in says so.
func exitsAlone(tid int) bool {
	var regs unix.PtraceRegs
	return unix.PtraceGetRegs(tid, &regs) == nil && regs.Orig_rax == unix.SYS_EXIT
}

// leaderExited reports the exit of the main thread that called pthread_exit
// while other threads go on. The kernel keeps it as a zombie that reports
// nothing more until the last thread has gone, and then reports the whole
// process's status: it is a thread that exited from now on, and reapLeader
// takes that status at the end.
func (p *Process) leaderExited(t *Thread) {
	p.leaderGone = true
	p.removeThread(t)
	ev := &Event{Kind: EventThreadExit, Process: p, Tid: t.tid, Status: t.exitStatus}
	p.observe(ev)
	if p.hooks.OnEvent != nil && p.callHook(ev) {
		p.report(ev)
	}
}

// reapLeader waits for the zombie main thread once every other thread has
// gone (see leaderExited) and returns its status: the process's, as its parent
// sees it. It is ws if the main thread cannot be waited for.
func (p *Process) reapLeader(ws unix.WaitStatus) unix.WaitStatus {
	p.leaderGone = false
	for {
		_, lws, err := wait4(p.pid, false)
		if err != nil {
			return ws
		}
		if lws.Exited() || lws.Signaled() {
			return lws
		}
		ptrace(unix.PTRACE_CONT, p.pid, 0, 0)
	}
}
