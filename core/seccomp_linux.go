package core

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"stardbg/core/sym"
	"stardbg/core/systab"
)

// The seccomp filters of a launched process's catchpoints. A filter is a
// classic BPF program the kernel runs at every system call of the process;
// ours returns SECCOMP_RET_TRACE for the caught numbers, which stops the
// thread (PTRACE_EVENT_SECCOMP, with PTRACE_O_TRACESECCOMP), and
// SECCOMP_RET_ALLOW for the others, which run at full speed. A filter can
// never be taken out: a catchpoint cleared since leaves its numbers traced
// (their stops are let go at once), catching more numbers adds a filter, and
// the process cannot be detached (ErrSeccompDetach), since untraced, a call
// the filter traces fails with ENOSYS. Its children inherit the filter: the
// engine keeps tracing those it would otherwise let go, and lets their stops
// go on (passthrough), until they exit.
//
// The filter is installed by the process itself: a stopped thread runs
// mmap, seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC) (every
// thread gets it) and munmap, injected at the engine's syscall instruction
// (injectSyscall). Without CAP_SYS_ADMIN the kernel wants no_new_privs first:
// the thread sets it (prctl), so that a set-user-ID program it execs then
// does not gain privileges. A thread stopped inside a system call (the entry
// of a caught call, its exit) is first taken out of the kernel: from an
// entry, the call is skipped and made again once the filter is in, and the
// engine knows the second entry for the first (Thread.sysReplay).

// sockFilter is struct sock_filter.
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

const (
	bpfLdAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfRetK   = unix.BPF_RET | unix.BPF_K
	x32Bit    = 0x40000000 // __X32_SYSCALL_BIT
)

// filterProgram traces nrs (every call when all), and always rt_sigreturn
// and restart_syscall, which say what became of an interrupted call. Calls of
// another architecture (int 0x80) and of the x32 ABI are allowed.
func filterProgram(nrs []int, all bool) []sockFilter {
	allow := sockFilter{code: bpfRetK, k: unix.SECCOMP_RET_ALLOW}
	trace := sockFilter{code: bpfRetK, k: unix.SECCOMP_RET_TRACE}
	prog := []sockFilter{
		{code: bpfLdAbsW, k: 4}, // seccomp_data.arch
		{code: bpfJeqK, jt: 1, k: unix.AUDIT_ARCH_X86_64},
		allow,
		{code: bpfLdAbsW, k: 0}, // seccomp_data.nr
		{code: bpfJgeK, jt: 0, jf: 1, k: x32Bit},
		allow,
	}
	if all {
		return append(prog, trace)
	}
	for _, nr := range append([]int{unix.SYS_RT_SIGRETURN, unix.SYS_RESTART_SYSCALL}, nrs...) {
		prog = append(prog, sockFilter{code: bpfJeqK, jt: 0, jf: 1, k: uint32(nr)}, trace)
	}
	return append(prog, allow)
}

// installFilter adds a filter that traces nrs (all: every call).
func (p *Process) installFilter(nrs []int, all bool) error {
	prog := filterProgram(nrs, all)
	t, release, err := p.filterThread()
	if err != nil {
		return p.filterFailed(err)
	}
	defer release()
	err = p.withSyscalls(t, func(call func(nr int, a ...uint64) (int64, error)) error {
		size := uint64(16 + 8*len(prog))
		addr, err := call(unix.SYS_MMAP, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		if err != nil {
			return err
		}
		if addr < 0 && addr > -4096 {
			return fmt.Errorf("mmap in the program: %w", unix.Errno(-addr))
		}
		defer call(unix.SYS_MUNMAP, uint64(addr), size)
		buf := make([]byte, size)
		binary.LittleEndian.PutUint16(buf, uint16(len(prog)))
		binary.LittleEndian.PutUint64(buf[8:], uint64(addr)+16)
		for i, f := range prog {
			b := buf[16+8*i:]
			binary.LittleEndian.PutUint16(b, f.code)
			b[2], b[3] = f.jt, f.jf
			binary.LittleEndian.PutUint32(b[4:], f.k)
		}
		if _, err := p.writeMem(uint64(addr), buf); err != nil {
			return err
		}
		seccomp := func() (int64, error) {
			return call(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, uint64(addr))
		}
		r, err := seccomp()
		if err == nil && r == -int64(unix.EACCES) {
			// Not privileged: no_new_privs is the kernel's condition.
			if r, err = call(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err == nil && r == 0 {
				r, err = seccomp()
			}
		}
		switch {
		case err != nil:
			return err
		case r > 0:
			return fmt.Errorf("seccomp in the program: thread %d could not take the filter", r)
		case r < 0:
			return fmt.Errorf("seccomp in the program: %w", unix.Errno(-r))
		}
		return nil
	})
	if err != nil {
		return p.filterFailed(err)
	}
	s := &p.sys
	s.filter = true
	s.filterAll = s.filterAll || all
	for _, nr := range append([]int{unix.SYS_RT_SIGRETURN, unix.SYS_RESTART_SYSCALL}, nrs...) {
		s.filtered[nr] = true
	}
	return nil
}

// filterFailed is what a filter that cannot be installed leads to: with none
// installed yet, the process is caught as an attached one is (PTRACE_SYSCALL);
// with one, the error, since the calls of a filter and those of
// PTRACE_SYSCALL cannot be told apart in one thread's stops.
func (p *Process) filterFailed(err error) error {
	if p.sys.filter {
		return fmt.Errorf("a seccomp filter for more system calls cannot be installed: %w", err)
	}
	p.sys.noFilter = true
	return nil
}

// filterThread picks a stopped thread of p's own to install a filter from:
// one outside any system call if there is one, else one at the entry or the
// exit of one, or in a ptrace event stop that was reported (withSyscalls
// takes it out). When none
// will do, running threads are held for the installation, one at a time
// until one does; release ends the holds.
func (p *Process) filterThread() (t *Thread, release func(), err error) {
	release = func() {}
	var inCall *Thread
	consider := func(o *Thread) bool {
		if eventStop(o.tid) {
			// Inside its call, whose result comes at its exit. Only a
			// reported event will do (a held one is still to be
			// handled, with PTRACE_GETEVENTMSG, which the installation's
			// calls may change), and only with no caught exit to come.
			if inCall == nil && !o.stop.held && o.sys == nil {
				inCall = o
			}
			return false
		}
		si, err := getSyscallInfo(o.tid)
		switch {
		case err != nil:
		case si.Op == unix.PTRACE_SYSCALL_INFO_NONE:
			t = o
			return true
		case inCall == nil && (si.Op == unix.PTRACE_SYSCALL_INFO_SECCOMP || si.Op == unix.PTRACE_SYSCALL_INFO_EXIT):
			inCall = o
		}
		return false
	}
	usable := func(o *Thread) bool { return !o.shares() && o.vforkChild == nil }
	for _, o := range p.threadList() {
		if usable(o) && o.state == tsStopped && consider(o) {
			return t, release, nil
		}
	}
	if inCall == nil {
		if !p.inCallback {
			p.inCallback = true
			release = p.endCallback
		}
		for _, o := range p.threadList() {
			if usable(o) && o.state == tsRunning && p.hold(o) == nil && o.state == tsStopped && consider(o) {
				return t, release, nil
			}
		}
	}
	if inCall != nil {
		return inCall, release, nil
	}
	release()
	return nil, func() {}, errors.New("no thread of the process stops where the filter can be installed")
}

// withSyscalls lets fn make system calls in stopped thread t (call), and
// leaves t as it was. A thread stopped inside a system call is first taken
// out of it: from an entry, the call is made again afterwards.
func (p *Process) withSyscalls(t *Thread, fn func(call func(nr int, a ...uint64) (int64, error)) error) error {
	maps, err := sym.ReadMaps(p.pid)
	if err != nil {
		return err
	}
	gadget, err := p.syscallGadget(maps)
	if err != nil {
		return err
	}
	si, err := getSyscallInfo(t.tid)
	if err != nil {
		return err
	}
	if err := t.loadRegs(); err != nil {
		return err
	}
	saved, savedStop, at := t.regs, t.stop, t.sysAt // the steps below resume t, which forgets sysAt
	replay := at != nil && t.sys == at && !at.exit  // t is at the entry of the call it is in
	if si.Op == unix.PTRACE_SYSCALL_INFO_EXIT && int64(saved.Rax) < 0 && systab.Restart(int(-int64(saved.Rax))) {
		return fmt.Errorf("thread %d is at the exit of a system call to be restarted", t.tid)
	}
	// In a ptrace event stop (clone, exec...) the thread is inside its call
	// too, with no syscall stop to say so.
	inEvent := si.Op == unix.PTRACE_SYSCALL_INFO_NONE && eventStop(t.tid)
	if si.Op != unix.PTRACE_SYSCALL_INFO_NONE || inEvent {
		// Out of the kernel: the call, if it is still to run, is skipped,
		// and the thread returns to a harmless getpid at the gadget.
		r := saved
		r.Orig_rax, r.Rip, r.Rax = ^uint64(0), gadget, unix.SYS_GETPID
		t.regs, t.regsDirty = r, true
		if !p.stepHolding(t, gadget, nil, false) {
			return fmt.Errorf("thread %d did not leave its system call", t.tid)
		}
		t.regsValid = false
		if err := t.loadRegs(); err != nil {
			return err
		}
		if inEvent {
			if t.regs.Rip != gadget {
				return fmt.Errorf("thread %d lost the result of its system call leaving it", t.tid)
			}
			saved.Rax = t.regs.Rax // the call's result, which its exit set
		}
	}
	call := func(nr int, a ...uint64) (int64, error) {
		var args [6]uint64
		copy(args[:], a)
		r, err := p.injectSyscall(t, gadget, nr, args[0], args[1], args[2], args[3], args[4], args[5])
		return int64(r), err
	}
	ferr := fn(call)
	switch si.Op {
	case unix.PTRACE_SYSCALL_INFO_ENTRY, unix.PTRACE_SYSCALL_INFO_SECCOMP:
		// Back on its syscall instruction, to enter the call again.
		nr := saved.Orig_rax
		if replay {
			nr = uint64(at.Nr)
			t.sysReplay = true
		}
		saved.Rip -= 2
		saved.Rax, saved.Orig_rax = nr, ^uint64(0)
	}
	arrived := t.stop.arrived
	t.stop, t.stop.arrived = savedStop, arrived
	if si.Op != unix.PTRACE_SYSCALL_INFO_NONE || inEvent {
		// It is out of the kernel now: whatever stop it was in is over.
		t.stop.kind = stopStep
	}
	t.regs, t.regsDirty, t.regsValid = saved, true, true
	t.sysAt = at
	p.signalsArrived(t)
	return ferr
}

// eventStop says whether tid stands in a ptrace event stop other than
// seccomp's (clone, fork, exec...): inside its system call, whose result
// the call's return sets. The event is in si_code's second byte.
func eventStop(tid int) bool {
	si, err := getSiginfo(tid)
	return err == nil && si.Signo == int32(unix.SIGTRAP) && si.Code>>8 != 0 && si.Code>>8 != unix.PTRACE_EVENT_SECCOMP
}

// passThrough traces a child of a filtered process that the engine would
// otherwise let go (a fork child, a vfork child that exec'd), stopped now:
// each of its stops is let go at once (passThroughStop), until it exits.
func (e *Engine) passThrough(tid int, sig int) {
	e.passthru[tid] = false
	ptrace(unix.PTRACE_CONT, tid, 0, uintptr(sig))
}

// passThroughStop lets a passthrough child go on from a stop: a signal is
// delivered, a new child of its own is passed through too, with its first
// SIGSTOP taken (fresh).
func (e *Engine) passThroughStop(tid int, ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		delete(e.passthru, tid)
		return
	}
	if !ws.Stopped() {
		return
	}
	sig := 0
	switch cause := ws.TrapCause(); {
	case cause == unix.PTRACE_EVENT_FORK || cause == unix.PTRACE_EVENT_VFORK || cause == unix.PTRACE_EVENT_CLONE:
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil {
			child := int(msg)
			if cws, seen := e.early[child]; seen {
				delete(e.early, child)
				if cws.Stopped() {
					e.passThrough(child, 0)
				}
			} else {
				e.passthru[child] = true
			}
		}
	case cause > 0 || ws.StopSignal() == unix.SIGTRAP|0x80:
	case ws.StopSignal() == unix.SIGSTOP && e.passthru[tid]:
		e.passthru[tid] = false // its first stop
	case atSignalStop(tid):
		sig = int(ws.StopSignal())
	}
	ptrace(unix.PTRACE_CONT, tid, 0, uintptr(sig))
}

// letGo detaches a child that is not to be traced, or passes it through
// when it has p's filter.
func (p *Process) letGo(tid int, sig int) error {
	if p.sys.filter {
		p.e.passThrough(tid, sig)
		return nil
	}
	return ptrace(unix.PTRACE_DETACH, tid, 0, uintptr(sig))
}
