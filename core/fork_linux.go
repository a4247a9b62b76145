package core

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Children of fork, vfork and clone without CLONE_THREAD. The kernel attaches
// them to us (PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK; PTRACE_O_TRACECLONE
// for a clone without an exit signal, reported as a new thread of another
// thread group) stopped before their first instruction, with a copy of our
// int3s or in the very memory that has them.
//
// A child with its own copy of the memory (fork) is cleaned of our int3s and
// let go: it would die of the first one it ran.
//
// A child that shares the memory (vfork, such as posix_spawn's and system()'s,
// until it execs or exits; clone(CLONE_VM) for its whole life) runs the same
// int3s as the process. Taking them out would lose the hits of the other
// threads, and putting one in meanwhile would kill the child; so the child is
// traced as one of the process's threads (Thread.shares): its traps are
// handled as theirs, hits counted and stepped over without the int3 leaving
// the text, and it stops and runs with them. Only its end differs: when it
// execs it has a fresh address space, with nothing of ours, and is let go;
// when it exits it is reaped without a word, since it is not a thread of the
// process, and its parent learns of it as it would untraced (SIGCHLD, wait).
//
// The thread that made a vfork child is kept in its PTRACE_EVENT_VFORK stop
// until the child has exec'd or exited. Untraced, it would wait for the child
// in the kernel, where no SIGSTOP reaches it: stopping the process would wait
// forever for it behind a child that is stopped.

// forked handles PTRACE_EVENT_FORK and PTRACE_EVENT_VFORK of t, and a
// PTRACE_EVENT_CLONE whose child is not a thread of t's. An error
// says that a child may have kept our int3s.
func (p *Process) forked(t *Thread, vfork bool) error {
	msg, err := unix.PtraceGetEventMsg(t.tid)
	if err != nil {
		return fmt.Errorf("a child cannot be let go: %w", os.NewSyscallError("ptrace(PTRACE_GETEVENTMSG)", err))
	}
	child := int(msg)
	ws, seen := p.e.early[child]
	delete(p.e.early, child)
	for !seen || !(ws.Stopped() || ws.Exited() || ws.Signaled()) {
		if _, ws, err = wait4(child, false); err != nil {
			return fmt.Errorf("child %d cannot be let go: %w", child, os.NewSyscallError("wait4", err))
		}
		seen = true
	}
	if !ws.Stopped() {
		return nil // it is already gone
	}
	if sharesMemory(t.tid, child, vfork) {
		return p.addSharer(t, child, ws, vfork)
	}
	if p.fam.follow {
		c, err := p.adoptFork(child, ws)
		p.followFork(t, c)
		if err != nil {
			err = fmt.Errorf("child %d keeps a breakpoint of no copy: %w", child, err)
		}
		return err
	}
	if err = p.writeSitesChild(child); err != nil {
		err = fmt.Errorf("child %d keeps a breakpoint: %w", child, err)
	}
	if derr := p.letGo(child, 0); derr != nil && derr != unix.ESRCH && err == nil {
		err = fmt.Errorf("child %d cannot be let go: %w", child, os.NewSyscallError("ptrace(PTRACE_DETACH)", derr))
	}
	return err
}

// sharesMemory says whether task child has the memory of task tid. kcmp(2)
// knows; where it is not available, a vfork child is taken to share it and a
// fork child not (clone(CLONE_VM|SIGCHLD) is then treated as a fork).
func sharesMemory(tid, child int, vfork bool) bool {
	const kcmpVM = 1 // KCMP_VM
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(tid), uintptr(child), kcmpVM, 0, 0, 0)
	if errno != 0 {
		return vfork
	}
	return r == 0
}

// addSharer traces child, which shares p's memory, with p's threads; ws is its
// first stop, seen already. A vfork child's parent thread t stays stopped
// until the child is done with the memory (sharerDone).
func (p *Process) addSharer(t *Thread, child int, ws unix.WaitStatus, vfork bool) error {
	// A signal that came before the stop that attaches it: that one is to
	// come, and is ours.
	first := ws.StopSignal() == unix.SIGSTOP || ws.TrapCause() == unix.PTRACE_EVENT_STOP
	c := p.addTask(child, child, !first)
	c.state = tsStopped
	if !first && ws.TrapCause() == 0 {
		c.pendingSig = ws.StopSignal()
	}
	if vfork {
		p.mu.Lock() // requestStop reads it
		t.vforkChild, c.vforkParent = c, t
		p.mu.Unlock()
	}
	if p.hwActive() {
		if err := p.applyHWThread(c); err != nil {
			return fmt.Errorf("hardware breakpoints cannot be set in child %d, which shares the memory: %w", child, err)
		}
	}
	if p.shouldRun() {
		p.resumeThread(c)
	}
	return nil
}

// sharerDone ends the wait of c's vfork parent thread, if it has one: c has
// exec'd or exited. The parent thread runs on if the process does.
func (p *Process) sharerDone(c *Thread) {
	par := c.vforkParent
	c.vforkParent = nil
	if par == nil || par.vforkChild != c {
		return
	}
	p.mu.Lock()
	par.vforkChild = nil
	p.mu.Unlock()
	if par.state == tsStopped && !par.stop.held && p.shouldRun() {
		p.resumeThread(par)
	}
}

// sharerGone forgets a child that shared the memory and exited: its exit is
// its parent's, not a thread's of the process.
func (p *Process) sharerGone(c *Thread) {
	p.removeThread(c)
	p.sharerDone(c)
}

// sharerExeced lets go a child that shared the memory and has exec'd: its
// memory is new, with nothing of ours in it (the kernel clears the debug
// registers too). A SIGSTOP we sent it and that it has not taken yet is
// taken first, so that it does not stop the new program.
func (p *Process) sharerExeced(c *Thread) {
	p.removeThread(c)
	p.sharerDone(c)
	sig := 0
	for {
		p.mu.Lock()
		pending := c.sigstopSent
		p.mu.Unlock()
		if !pending {
			break
		}
		if ptrace(unix.PTRACE_CONT, c.tid, 0, uintptr(sig)) != nil {
			return
		}
		_, ws, err := wait4(c.tid, false)
		if err != nil || !ws.Stopped() {
			return // it is gone
		}
		sig = 0
		switch {
		case ws.StopSignal() == unix.SIGSTOP:
			if _, req := p.consumeSigstop(c); req != 0 {
				if o := p.anyThread(); o != nil {
					p.report(&Event{Kind: req, Process: p, Thread: o})
				}
			}
		case ws.TrapCause() == 0:
			sig = int(ws.StopSignal()) // delivered as it would have been
		}
	}
	p.letGo(c.tid, sig)
}

// hasOwnThread says whether p has a thread of its own left.
func (p *Process) hasOwnThread() bool {
	for _, t := range p.threads {
		if !t.shares() {
			return true
		}
	}
	return false
}

// letGoSharer detaches stopped child c, which shares the memory, once our
// int3s are out of it (Detach).
func (p *Process) letGoSharer(c *Thread) error {
	err := c.flushRegs()
	if derr := ptrace(unix.PTRACE_DETACH, c.tid, 0, uintptr(c.pendingSig)); derr != nil && derr != unix.ESRCH && err == nil {
		err = fmt.Errorf("ptrace(PTRACE_DETACH) child %d: %w", c.tid, derr)
	}
	p.removeThread(c)
	p.sharerDone(c)
	return err
}

// anyThread is a thread of p's own, the main one if it lives, or nil.
func (p *Process) anyThread() *Thread {
	if t := p.threads[p.pid]; t != nil {
		return t
	}
	for _, t := range p.threadList() {
		if !t.shares() {
			return t
		}
	}
	return nil
}

// writeSitesChild restores the original bytes in a stopped fork child, with
// PTRACE_POKEDATA on the child.
func (p *Process) writeSitesChild(child int) error {
	var first error
	for addr, s := range p.bps.sites {
		if err := p.pokeChild(child, addr, s.orig); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// pokeChild writes byte b at addr in stopped child task child, with
// PTRACE_POKEDATA: the original byte of a breakpoint of p's.
func (p *Process) pokeChild(child int, addr uint64, b byte) error {
	aligned := addr &^ 7
	var word uint64
	var err error
	if p.memFault != nil {
		err = p.memFault(true, addr, []byte{b})
	}
	if err == nil {
		err = ptrace(unix.PTRACE_PEEKDATA, child, uintptr(aligned), uintptr(unsafe.Pointer(&word)))
	}
	if err == nil {
		wb := (*[8]byte)(unsafe.Pointer(&word))
		wb[addr-aligned] = b
		err = ptrace(unix.PTRACE_POKEDATA, child, uintptr(aligned), uintptr(word))
	}
	if err != nil {
		if errno, ok := err.(unix.Errno); ok {
			err = os.NewSyscallError("ptrace(PTRACE_POKEDATA)", errno)
		}
		return fmt.Errorf("breakpoint at %#x: %w", addr, err)
	}
	return nil
}

// releaseSharers lets go the children that share p's memory when p ends or
// execs while they live: the memory is theirs alone now. Each is stopped, our
// int3s and debug registers are taken out of it, and it runs on untraced. The
// first error is returned; the others are alike.
func (p *Process) releaseSharers() error {
	var first error
	for _, c := range p.threadList() {
		if c.shares() {
			if err := p.releaseSharer(c); err != nil && first == nil {
				first = fmt.Errorf("child %d, which shared the memory of process %d, keeps a breakpoint: %w", c.tid, p.pid, err)
			}
		}
	}
	return first
}

func (p *Process) releaseSharer(c *Thread) error {
	p.removeThread(c)
	p.sharerDone(c)
	if c.state == tsExiting {
		return nil // its exit is reaped as an unknown task's
	}
	// Stop it, if it runs, and take our SIGSTOP. A trap of one of our int3s
	// puts it back on the instruction, which runs once the byte is restored.
	fresh := false // it exec'd meanwhile: its memory has nothing of ours
	for c.state != tsStopped || c.sigstopSent {
		if c.state == tsStopped {
			if err := c.resume(false); err != nil {
				return err
			}
		}
		if !c.sigstopSent {
			if unix.Tgkill(c.tgid, c.tid, unix.SIGSTOP) != nil {
				return nil // it is gone
			}
			c.sigstopSent = true
		}
		_, ws, err := wait4(c.tid, false)
		if err != nil || !ws.Stopped() {
			return nil // it is gone
		}
		c.state, c.regsValid, c.stop = tsStopped, false, stop{}
		switch s := ws.StopSignal(); {
		case s == unix.SIGSTOP:
			c.sigstopSent = false
		case s == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_EXEC:
			fresh = true
		case s == unix.SIGTRAP && ws.TrapCause() == 0:
			if !fresh && c.loadRegs() == nil && p.bps.sites[c.regs.Rip-1] != nil {
				c.regs.Rip--
				c.regsDirty = true
			}
		case ws.TrapCause() == 0:
			c.pendingSig = s
		}
	}
	var err error
	if !fresh {
		err = p.writeSitesChild(c.tid)
		if p.hwActive() {
			pokeUser(c.tid, offDebugReg+7*8, 0)
		}
	}
	if ferr := c.flushRegs(); ferr != nil && err == nil {
		err = ferr
	}
	p.letGo(c.tid, int(c.pendingSig))
	return err
}
