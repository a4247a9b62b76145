package core

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"stardbg/core/systab"
)

// System call catchpoints. A catchpoint is a Breakpoint with a set of system
// call numbers instead of addresses (CatchSyscall). A thread that enters a
// caught call stops at its entry, and at its exit: OnHit runs at both, with
// Thread.Syscall saying which call and which end (Syscall.Exited).
//
// How the stops come (seccomp_linux.go): in a launched process, a seccomp
// filter makes the kernel stop the thread at the entry of the caught calls
// only (PTRACE_EVENT_SECCOMP); the thread is resumed from there with
// PTRACE_SYSCALL, which stops it again at the call's exit. In an attached
// process, where no filter is installed (it could never be taken out again),
// every thread runs with PTRACE_SYSCALL while a catchpoint is enabled, and the
// engine picks the caught calls from all the entry and exit stops.
//
// The entry and exit of one call are one Syscall, kept in Thread.sys between
// them. A call a signal interrupts exits with one of the kernel's restart
// codes (ERESTARTSYS and its kin), which the program never sees: the call is
// kept as interrupted (Thread.sysIntr) and its exit not reported. Then either
// the kernel restarts it (no handler, SA_RESTART, or a stop of ours): the
// thread enters the same call again at the same instruction with the same
// stack pointer (or restart_syscall), which continues the kept call, with no
// second entry; or a handler runs and the program sees EINTR when the
// handler returns: the exit of rt_sigreturn, whose registers are the
// program's again, reports the kept call's exit with the value the program
// sees. Filters therefore always trace rt_sigreturn and restart_syscall. (A
// handler that leaves with longjmp never returns to the call: its exit is
// never seen.)
//
// The calls of children are not caught: not those of a child that shares
// the memory, traced with the threads (fork_linux.go), nor those of a fork
// child, let go or passed through (seccomp_linux.go), nor those of a
// followed child, a process of its own (family_linux.go), whose own
// catchpoints catch them.
//
// fail and skip (Syscall.Skip) set orig_rax to -1 at the entry, so the kernel
// does not run the call, and rax to the result, at the entry and again at
// the exit. execve's exit comes after PTRACE_EVENT_EXEC, in the new program,
// on the thread that has the main thread's tid (execed moves the call).

// Syscall is one system call of one thread, from its entry to its exit, as a
// catchpoint caught it.
type Syscall struct {
	Nr   int
	Args [6]uint64 // the argument registers at entry: rdi, rsi, rdx, r10, r8, r9
	Ret  int64     // at exit: the return value (-errno for an error)
	Data any       // the owner's

	t        *Thread
	exit     bool
	bps      []*Breakpoint // the catchpoints it counted for
	rip, rsp uint64        // after its syscall instruction, and the stack pointer
	skip     bool          // Skip: the kernel does not run it
	skipRet  int64
}

// Sentinels of Syscall's methods.
var (
	ErrSyscallRan      = errors.New("the system call has run already (arguments and skipping are for its entry)")
	ErrSyscallNotDone  = errors.New("the system call has not returned yet (its result can be set at its exit)")
	ErrNotAtSyscall    = errors.New("thread is not stopped at this system call")
	ErrSeccompDetach   = errors.New("its system call catchpoints installed a seccomp filter, which stays in the process for its whole life: untraced, every call the filter catches would fail with ENOSYS, so it cannot be detached (kill it instead)")
	ErrNotSyscallCatch = errors.New("not a system call catchpoint")
)

// Name is the call's name ("openat"), or "syscall_NR" for a number the table
// does not know.
func (sc *Syscall) Name() string { return SyscallName(sc.Nr) }

// SyscallName is the name of system call nr, or "syscall_NR".
func SyscallName(nr int) string {
	if n := systab.Name(nr); n != "" {
		return n
	}
	return fmt.Sprintf("syscall_%d", nr)
}

// Thread is the thread that made the call.
func (sc *Syscall) Thread() *Thread { return sc.t }

// Exited says whether the call has returned: Ret is set.
func (sc *Syscall) Exited() bool {
	var x bool
	sc.t.p.e.Do(func() { x = sc.exit })
	return x
}

// Skipped says whether the call was made not to run (Skip).
func (sc *Syscall) Skipped() bool {
	var s bool
	sc.t.p.e.Do(func() { s = sc.skip })
	return s
}

// at checks that sc's thread is stopped at sc, at its entry (exit false) or
// at its exit, and has its registers.
func (sc *Syscall) at(exit bool) error {
	t := sc.t
	if err := t.p.live(); err != nil {
		return err
	}
	if t.state != tsStopped || t.sysAt != sc {
		return &ThreadError{Pid: t.p.pid, Tid: t.tid, Err: ErrNotAtSyscall}
	}
	switch {
	case exit && !sc.exit:
		return ErrSyscallNotDone
	case !exit && sc.exit:
		return ErrSyscallRan
	}
	return t.loadRegs()
}

var argRegs = [6]Reg{RDI, RSI, RDX, R10, R8, R9}

// change runs fn on the registers of sc's thread, stopped at sc's entry
// (exit false) or exit, and writes them back when the thread resumes.
func (sc *Syscall) change(exit bool, fn func(r *unix.PtraceRegs)) error {
	var err error
	sc.t.p.e.Do(func() {
		if err = sc.at(exit); err == nil {
			fn(&sc.t.regs)
			sc.t.regsDirty = true
		}
	})
	return err
}

// SetArg changes argument i (0-5) at the call's entry.
func (sc *Syscall) SetArg(i int, v uint64) error {
	if i < 0 || i > 5 {
		return fmt.Errorf("argument %d out of range 0-5", i)
	}
	return sc.change(false, func(r *unix.PtraceRegs) {
		*regPtr(r, argRegs[i]) = v
		sc.Args[i] = v
	})
}

// Skip makes the call, at its entry, not run: it returns ret to the program
// (-errno for an error).
func (sc *Syscall) Skip(ret int64) error {
	return sc.change(false, func(r *unix.PtraceRegs) {
		if !sc.t.sysReplay {
			// (Else it is out of the call, to make it again: its
			// entry then skips it, sysContinue.)
			r.Orig_rax, r.Rax = ^uint64(0), uint64(ret)
		}
		sc.skip, sc.skipRet = true, ret
	})
}

// SetRet changes, at the call's exit, the value the program sees.
func (sc *Syscall) SetRet(v int64) error {
	return sc.change(true, func(r *unix.PtraceRegs) {
		r.Rax = uint64(v)
		sc.Ret = v
	})
}

// Syscall is the system call t is stopped at, the entry or the exit of a
// call a catchpoint caught, or nil.
func (t *Thread) Syscall() *Syscall {
	var sc *Syscall
	t.p.e.Do(func() {
		if t.state == tsStopped {
			sc = t.sysAt
		}
	})
	return sc
}

// sysCatch is what a catchpoint catches.
type sysCatch struct {
	all bool
	nrs []int // sorted, without duplicates
}

func (c *sysCatch) has(nr int) bool {
	if c.all {
		return true
	}
	i := sort.SearchInts(c.nrs, nr)
	return i < len(c.nrs) && c.nrs[i] == nr
}

// sysState is a process's system call catching.
type sysState struct {
	caught    [systab.Max + 1]uint16 // enabled catchpoints per number
	all       int                    // enabled catchpoints of every call
	enabled   int                    // enabled catchpoints in all
	filter    bool                   // a seccomp filter is installed: see seccomp_linux.go
	filtered  [systab.Max + 1]bool   // the numbers the filters trace
	filterAll bool
	noFilter  bool // a filter could not be installed: the attached process's way
	syscalls  bool // the threads run with PTRACE_SYSCALL (no filter)
}

func (s *sysState) catches(nr int) bool {
	return s.all > 0 || nr >= 0 && nr <= systab.Max && s.caught[nr] > 0
}

// CatchSyscall makes a catchpoint of the system calls numbered nrs (nil: all
// of them). onHit runs at the entry and at the exit of each caught call
// (Thread.Syscall says which), with the thread stopped: a true result stops
// the process, and Wait reports EventSyscallEntry or EventSyscallExit. Cond,
// when set, decides at the entry whether a call counts; the exit of a call
// that did not count is not seen.
func (p *Process) CatchSyscall(nrs []int, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	c := &sysCatch{all: nrs == nil}
	for _, nr := range nrs {
		if nr < 0 || nr > systab.Max {
			return nil, fmt.Errorf("system call number %d out of range 0-%d", nr, systab.Max)
		}
		c.nrs = append(c.nrs, nr)
	}
	sort.Ints(c.nrs)
	c.nrs = compactInts(c.nrs)
	bp, err := p.NewBreakpoint(onHit)
	if err != nil {
		return nil, err
	}
	p.e.Do(func() {
		bp.sys = c
		if err = p.sysUpdate(bp, +1); err != nil {
			bp.cleared = true
			p.bps.drop(bp)
		}
	})
	if err != nil {
		return nil, err
	}
	return bp, nil
}

func compactInts(a []int) []int {
	out := a[:0]
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// SyscallNumbers says what a catchpoint catches: all, or the numbers.
func (bp *Breakpoint) SyscallNumbers() (nrs []int, all bool, ok bool) {
	if bp.sys == nil {
		return nil, false, false
	}
	return append([]int(nil), bp.sys.nrs...), bp.sys.all, true
}

// sysUpdate counts catchpoint bp as enabled (d = +1) or not any more (-1),
// and makes the threads stop where the enabled catchpoints say.
func (p *Process) sysUpdate(bp *Breakpoint, d int) error {
	s := &p.sys
	if d > 0 {
		if err := p.sysEnsure(bp.sys); err != nil {
			return err
		}
	}
	s.enabled += d
	if bp.sys.all {
		s.all += d
	}
	for _, nr := range bp.sys.nrs {
		s.caught[nr] = uint16(int(s.caught[nr]) + d)
	}
	was := s.syscalls
	s.syscalls = s.enabled > 0 && (!p.launched || s.noFilter)
	if s.syscalls && !was && p.state == Running {
		p.sysInterruptRunning()
	}
	return nil
}

// sysEnsure readies the stops catchpoint c needs: in a launched process, a
// filter that traces its calls (one more filter when the installed ones do
// not); in an attached one, nothing (the threads run with PTRACE_SYSCALL).
func (p *Process) sysEnsure(c *sysCatch) error {
	s := &p.sys
	if !p.launched || s.noFilter || s.filterAll {
		return nil
	}
	var need []int
	if !c.all {
		for _, nr := range c.nrs {
			if !s.filtered[nr] {
				need = append(need, nr)
			}
		}
		if len(need) == 0 {
			return nil
		}
	}
	return p.installFilter(need, c.all)
}

// sysInterruptRunning stops the running threads of an attached (seized)
// process for a moment, so that they run on with PTRACE_SYSCALL at once.
func (p *Process) sysInterruptRunning() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for tid, t := range p.threads {
		if t.state != tsRunning || t.sigstopSent || t.interrupted || t.vforkChild != nil {
			continue
		}
		if ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0) == nil {
			t.interrupted = true
		}
	}
}

// syscallStops says whether t must be resumed with PTRACE_SYSCALL: every
// thread while the process has no filter and a catchpoint is enabled, and a
// thread inside a caught call, whose exit is to come, or returning from a
// signal handler while a call of its is interrupted.
func (p *Process) syscallStops(t *Thread) bool {
	return p.sys.syscalls || t.sys != nil || t.sysSigret
}

// sysDrop forgets the calls in progress (a detach, an exec of the others).
func (t *Thread) sysDrop() {
	t.sys, t.sysIntr, t.sysAt, t.sysSigret, t.sysReplay = nil, nil, nil, false, false
}

// syscallInfo is struct ptrace_syscall_info.
type syscallInfo struct {
	Op     uint8
	_      [3]uint8
	Arch   uint32
	IP, SP uint64
	// entry and seccomp: nr, args[6]; exit: rval, is_error
	U [8]uint64
}

func getSyscallInfo(tid int) (syscallInfo, error) {
	var si syscallInfo
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid),
		unsafe.Sizeof(si), uintptr(unsafe.Pointer(&si)), 0, 0)
	if errno != 0 {
		return si, os.NewSyscallError("ptrace(PTRACE_GET_SYSCALL_INFO)", errno)
	}
	return si, nil
}

// sysStop handles a syscall-enter-stop or syscall-exit-stop (PTRACE_SYSCALL),
// or a seccomp stop (seccomp true).
func (p *Process) sysStop(t *Thread, seccomp bool) {
	si, err := getSyscallInfo(t.tid)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			t.state = tsRunning // killed: its exit is to come
			return
		}
		p.fail(t, err)
		return
	}
	switch {
	case si.Op == unix.PTRACE_SYSCALL_INFO_SECCOMP,
		si.Op == unix.PTRACE_SYSCALL_INFO_ENTRY && !p.sys.filter:
		p.sysEnter(t, &si)
	case si.Op == unix.PTRACE_SYSCALL_INFO_EXIT:
		p.sysExit(t, &si)
	default:
		// An entry stop in a filtered process (the filter's stop comes
		// next if the call is caught), or a stop that is no longer one
		// (a held seccomp stop a filter installation took the thread out of).
		p.sysRun(t)
	}
}

func (p *Process) sysRun(t *Thread) {
	if p.shouldRun() {
		p.resumeThread(t)
	}
}

// sysEnter handles the entry of a system call.
func (p *Process) sysEnter(t *Thread, si *syscallInfo) {
	nr := int(int64(si.U[0]))
	if si.Arch != unix.AUDIT_ARCH_X86_64 || t.shares() {
		// A 32-bit call (int 0x80), or one of a child that shares the
		// memory (vfork, clone(CLONE_VM)): not the process's.
		p.sysRun(t)
		return
	}
	// The same call again: restarted after a signal, or replayed after a
	// filter was installed from its entry.
	if sc := t.sys; sc != nil && t.sysReplay && si.IP == sc.rip && si.SP == sc.rsp {
		t.sysReplay = false
		p.sysContinue(t, sc)
		return
	}
	t.sys, t.sysReplay = nil, false // an exit it never reached (a step from its entry)
	if n := len(t.sysIntr); n > 0 {
		sc := t.sysIntr[n-1]
		if si.IP == sc.rip && si.SP == sc.rsp && (nr == sc.Nr || nr == unix.SYS_RESTART_SYSCALL) {
			t.sysIntr = t.sysIntr[:n-1]
			t.sys = sc
			p.sysContinue(t, sc)
			return
		}
		// Otherwise a call of the handler (on the thread's stack or an
		// alternate one), or one after a handler that left with
		// longjmp, whose interrupted call never ends for us.
	}
	if nr == unix.SYS_RT_SIGRETURN && len(t.sysIntr) > 0 {
		t.sysSigret = true // its exit says whether the call is restarted
	}
	if !p.sys.catches(nr) {
		p.sysRun(t)
		return
	}
	sc := &Syscall{Nr: nr, t: t, rip: si.IP, rsp: si.SP}
	copy(sc.Args[:], si.U[1:7])
	var stopBp *Breakpoint
	p.inCallback = true
	t.sys, t.sysAt = sc, sc
	for _, bp := range p.bps.list {
		if bp.sys == nil || !bp.enabled || bp.cleared || !bp.sys.has(nr) {
			continue
		}
		if bp.Cond != nil && !bp.Cond(t, bp) {
			continue
		}
		bp.hits++
		sc.bps = append(sc.bps, bp)
		if bp.OnHit == nil || bp.OnHit(t, bp) {
			if stopBp == nil {
				stopBp = bp
			}
		}
	}
	p.inCallback = false
	if len(sc.bps) == 0 && t.sys == sc {
		t.sys, t.sysReplay = nil, false
	}
	var ev *Event
	if stopBp != nil {
		ev = &Event{Kind: EventSyscallEntry, Process: p, Thread: t, Breakpoint: stopBp, Syscall: sc}
	}
	defer p.endCallback()
	p.settle(t, ev)
}

// sysContinue resumes the entry of a call seen already (restarted or
// replayed): a skipped one is skipped again.
func (p *Process) sysContinue(t *Thread, sc *Syscall) {
	if sc.skip && t.loadRegs() == nil {
		t.regs.Orig_rax, t.regs.Rax, t.regsDirty = ^uint64(0), uint64(sc.skipRet), true
	}
	p.sysRun(t)
}

// maxInterrupted bounds a thread's interrupted calls: nested handlers, and
// calls whose handler left with longjmp, which never end for the engine.
const maxInterrupted = 16

// sysExit handles the exit of a system call.
func (p *Process) sysExit(t *Thread, si *syscallInfo) {
	ret := int64(si.U[0])
	sigret := t.sysSigret
	t.sysSigret = false
	sc := t.sys
	if sc == nil || t.sysReplay {
		p.sysAfterSigreturn(t, sigret, si)
		return
	}
	t.sys = nil
	if sc.skip {
		ret = sc.skipRet
		if t.loadRegs() == nil && t.regs.Rax != uint64(ret) {
			t.regs.Rax, t.regsDirty = uint64(ret), true
		}
	} else if ret < 0 && systab.Restart(int(-ret)) {
		if len(t.sysIntr) == maxInterrupted {
			t.sysIntr = t.sysIntr[1:] // left by longjmp: forgotten
		}
		t.sysIntr = append(t.sysIntr, sc)
		p.sysAfterSigreturn(t, sigret, si)
		return
	}
	sc.Ret = ret
	p.sysReportExit(t, sc, func() { p.sysAfterSigreturn(t, sigret, si) })
}

// sysAfterSigreturn handles, at the exit of rt_sigreturn (sigret), the
// interrupted call whose frame the program returned to: restarted next (its
// syscall instruction again), or ended with the value the program sees now.
func (p *Process) sysAfterSigreturn(t *Thread, sigret bool, si *syscallInfo) {
	n := len(t.sysIntr)
	if !sigret || n == 0 {
		p.sysRun(t)
		return
	}
	sc := t.sysIntr[n-1]
	if si.SP != sc.rsp || si.IP == sc.rip-2 {
		p.sysRun(t) // another frame's, or the call is restarted now
		return
	}
	t.sysIntr = t.sysIntr[:n-1]
	sc.Ret = int64(si.U[0])
	p.sysReportExit(t, sc, func() { p.sysRun(t) })
}

// sysReportExit runs the exit callbacks of sc's catchpoints, and reports or
// goes on (then).
func (p *Process) sysReportExit(t *Thread, sc *Syscall, then func()) {
	sc.exit = true
	var stopBp *Breakpoint
	p.inCallback = true
	t.sysAt = sc
	for _, bp := range sc.bps {
		// Also for a catchpoint disabled or cleared since the entry: an
		// entry seen has its exit seen.
		if bp.OnHit == nil || bp.OnHit(t, bp) {
			if stopBp == nil {
				stopBp = bp
			}
		}
	}
	p.inCallback = false
	defer p.endCallback()
	if stopBp != nil {
		p.report(&Event{Kind: EventSyscallExit, Process: p, Thread: t, Breakpoint: stopBp, Syscall: sc})
		return
	}
	t.sysAt = nil
	then()
}

// syscallLocation is a catchpoint's Location: "syscall openat, write".
func (c *sysCatch) location() string {
	if c.all {
		return "syscall (all)"
	}
	names := make([]string, len(c.nrs))
	for i, nr := range c.nrs {
		names[i] = SyscallName(nr)
	}
	return "syscall " + strings.Join(names, ", ")
}
