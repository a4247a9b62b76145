package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Hardware breakpoints and watchpoints use the four debug registers DR0-DR3 of
// every thread (new threads get them when they are created). An execution
// breakpoint needs no step-over at all: the kernel sets the resume flag. A
// watchpoint traps after the access; its event carries the value before and
// after. Debug registers are set while the process is stopped, or from a
// callback, which holds the running threads for it (hold_linux.go); they are
// cleared from every thread on detach.

const (
	offDebugReg = 848 // offsetof(struct user, u_debugreg)
	numHW       = 4
	trapHWBkpt  = 4 // si_code of a SIGTRAP from a debug register (TRAP_HWBKPT)
)

// ErrNoDebugRegister says all four debug registers are taken.
var ErrNoDebugRegister = errors.New("all 4 hardware debug registers are in use")

// WatchKind is what a watchpoint traps on.
type WatchKind int

const (
	WatchExec      WatchKind = 0 // instruction execution (a hardware breakpoint)
	WatchWrite     WatchKind = 1 // data writes
	WatchReadWrite WatchKind = 3 // data reads and writes
)

type hwSlot struct {
	bp   *Breakpoint
	addr uint64
	kind WatchKind
	size int
	last []byte // the watched bytes as last seen
}

// SetHWBreakpoint plants a hardware execution breakpoint at addr.
func (p *Process) SetHWBreakpoint(addr uint64, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	return p.setHW(addr, 1, WatchExec, onHit)
}

// Watch plants a watchpoint on size (1, 2, 4 or 8) bytes at addr, which must be
// aligned to size. At each access the breakpoint's OnHit runs after the access;
// Breakpoint.WatchValues says what changed.
func (p *Process) Watch(addr uint64, size int, kind WatchKind, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	switch size {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("watch size must be 1, 2, 4 or 8, got %d", size)
	}
	if addr%uint64(size) != 0 {
		return nil, fmt.Errorf("watch address %#x is not aligned to its size %d", addr, size)
	}
	if kind != WatchWrite && kind != WatchReadWrite {
		return nil, fmt.Errorf("watch kind must be write or read-write")
	}
	return p.setHW(addr, size, kind, onHit)
}

func (p *Process) setHW(addr uint64, size int, kind WatchKind, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	var bp *Breakpoint
	var err error
	p.e.Do(func() {
		if err = p.hwSettable(); err != nil {
			return
		}
		i := 0
		for i < numHW && p.hw[i] != nil {
			i++
		}
		if i == numHW {
			err = ErrNoDebugRegister
			return
		}
		slot := &hwSlot{addr: addr, kind: kind, size: size}
		if kind != WatchExec {
			slot.last = make([]byte, size)
			if _, err = p.ReadMemory(addr, slot.last); err != nil {
				return
			}
		}
		p.bps.nextID++
		bp = &Breakpoint{ID: p.bps.nextID, OnHit: onHit, p: p, enabled: true, hw: slot, addrs: []uint64{addr}}
		slot.bp = bp
		p.hw[i] = slot
		p.hwUsed = true
		if err = p.applyHW(); err != nil {
			p.hw[i] = nil
			bp = nil
			return
		}
		p.bps.list = append(p.bps.list, bp)
	})
	return bp, err
}

// WatchValues returns, for a watchpoint, the watched value before and after the
// access that is being reported (little-endian).
func (bp *Breakpoint) WatchValues() (old, new uint64) {
	bp.p.e.Do(func() { old, new = bp.watchOld, bp.watchNew })
	return
}

// Hardware reports whether the breakpoint uses a debug register, and its kind.
func (bp *Breakpoint) Hardware() (bool, WatchKind) {
	if bp.hw == nil {
		return false, 0
	}
	return true, bp.hw.kind
}

// dr7 is the control register value for the current slots.
func (p *Process) dr7() uint64 {
	var v uint64
	for i, s := range p.hw {
		if s == nil || !s.armed() {
			continue
		}
		v |= 1 << (2 * i) // local enable
		rw := uint64(s.kind)
		var ln uint64
		switch s.size {
		case 2:
			ln = 1
		case 4:
			ln = 3
		case 8:
			ln = 2
		}
		if s.kind == WatchExec {
			ln = 0
		}
		v |= (rw | ln<<2) << (16 + 4*i)
	}
	return v
}

// hwSettable says whether the debug registers can be changed now: in a stopped
// process, or from a callback, which holds every running thread for it (the
// registers of each thread must change before it runs on).
func (p *Process) hwSettable() error {
	if p.is32 {
		return fmt.Errorf("process %d execed a 32-bit program: %w", p.pid, Err32Bit)
	}
	if p.inCallback {
		if err := p.live(); err != nil {
			return err
		}
		return p.holdAll()
	}
	return p.stoppedLive()
}

// applyHW writes the debug registers of every stopped thread.
func (p *Process) applyHW() error {
	for _, t := range p.threads {
		if t.state != tsStopped {
			continue
		}
		if err := p.applyHWThread(t); err != nil {
			return err
		}
	}
	return nil
}

func (p *Process) applyHWThread(t *Thread) error {
	// Disable first, so that no intermediate state traps.
	if err := pokeUser(t.tid, offDebugReg+7*8, 0); err != nil {
		return err
	}
	dr7 := p.dr7()
	for i, s := range p.hw {
		if s != nil && dr7&(1<<(2*i)) != 0 {
			if err := pokeUser(t.tid, offDebugReg+uintptr(i)*8, s.addr); err != nil {
				return err
			}
		}
	}
	if dr7 != 0 {
		return pokeUser(t.tid, offDebugReg+7*8, dr7)
	}
	return nil
}

func (p *Process) hwActive() bool {
	for _, s := range p.hw {
		if s != nil {
			return true
		}
	}
	return false
}

// dropHW frees bp's debug register and rewrites every thread's registers.
func (p *Process) dropHW(bp *Breakpoint) {
	for i, s := range p.hw {
		if s != nil && s.bp == bp {
			p.hw[i] = nil
		}
	}
	if p.live() == nil {
		if p.inCallback {
			p.holdAll()
		}
		p.applyHW() // a thread still running traps once more: hwHit finds it stale
	}
}

// clearHW zeroes the debug registers of every stopped thread (before a detach).
func (p *Process) clearHW() {
	if !p.hwActive() {
		return
	}
	for _, t := range p.threads {
		if t.state == tsStopped {
			pokeUser(t.tid, offDebugReg+7*8, 0)
		}
	}
	p.hw = [numHW]*hwSlot{}
}

// hwHit checks DR6 after a SIGTRAP: ours says a debug register triggered it,
// and s is its slot, nil when that slot was freed since (a thread that ran on
// with the old registers: the trap is stale).
func (p *Process) hwHit(t *Thread) (s *hwSlot, ours bool) {
	dr6 := p.takeDR6(t)
	if dr6 == 0 {
		return nil, false
	}
	if si, err := getSiginfo(t.tid); err != nil || si.Code != trapHWBkpt {
		return nil, false // bits left by an earlier debug trap: this one is an int3's
	}
	for i := 0; i < numHW; i++ {
		if dr6&(1<<i) != 0 && p.hw[i] != nil {
			return p.hw[i], true
		}
	}
	return nil, true
}

// emuAccess notes an access of the emulator that a watchpoint covers: the CPU
// traps on it when it runs the instruction, the emulator must say so itself.
func (p *Process) emuAccess(addr uint64, n int, write bool) {
	for _, s := range p.hw {
		if s == nil || s.kind == WatchExec || !write && s.kind != WatchReadWrite {
			continue
		}
		if addr < s.addr+uint64(s.size) && s.addr < addr+uint64(n) && s.armed() {
			p.emuWatch = s
		}
	}
}

// stepDR6 reads and clears DR6 after t's single-step: a watchpoint that the
// stepped instruction triggered sets its bit there (the trap is reported as
// the step's), to be reported when the step-over is done.
func (p *Process) stepDR6(t *Thread) {
	dr6 := p.takeDR6(t)
	for i, s := range p.hw {
		if dr6&(1<<i) != 0 && s != nil && s.kind != WatchExec && s.armed() {
			t.stop.watch = s
		}
	}
}

// takeDR6 returns the trap bits of t's DR6 (B0-B3) and clears them, or 0 in
// a process that never used a debug register.
func (p *Process) takeDR6(t *Thread) uint64 {
	if !p.hwUsed {
		return 0
	}
	dr6, err := peekUser(t.tid, offDebugReg+6*8)
	if err != nil || dr6&0xf == 0 {
		return 0
	}
	pokeUser(t.tid, offDebugReg+6*8, 0)
	return dr6 & 0xf
}

// steppedOntoWatch handles the watchpoint that t's step (over a breakpoint, or
// Thread.Step) triggered, if any: the CPU's trap did not come (emulated) or
// came as the step's (see emuAccess, stepDR6). hwTrap then resumes t or
// reports the hit, and it returns true.
func (p *Process) steppedOntoWatch(t *Thread) bool {
	w := t.stop.watch
	t.stop.watch = nil
	if w == nil || t.state != tsStopped || !p.hwLive(w) {
		return false
	}
	p.hwTrap(t, w, nil)
	return true
}

// hwLive says whether slot s is still installed and armed.
func (p *Process) hwLive(s *hwSlot) bool {
	for _, h := range p.hw {
		if h == s {
			return s.armed()
		}
	}
	return false
}

// armed says whether the slot's breakpoint is enabled and not cleared.
func (s *hwSlot) armed() bool { return s.bp.enabled && !s.bp.cleared }

// skipPlanted makes t step over the software breakpoint at at, when that is
// not seen (the one there when t hit a hardware breakpoint at at) and t still
// stands on at: this call was counted already. gdb too steps over a
// breakpoint at the pc it resumes from.
func (p *Process) skipPlanted(t *Thread, at uint64, seen *site) {
	now := p.bps.sites[at]
	if now == nil || now == seen || t.stop.over != nil || t.loadRegs() != nil || t.regs.Rip != at {
		return
	}
	t.stop.over = now
}

// hwTrap runs the callbacks of a hardware breakpoint or watchpoint hit. before
// is the software breakpoint at its address when the thread trapped, if any.
func (p *Process) hwTrap(t *Thread, s *hwSlot, before *site) {
	bp := s.bp
	ev := &Event{Kind: EventBreakpoint, Process: p, Thread: t, Breakpoint: bp}
	if s.kind != WatchExec {
		cur := make([]byte, s.size)
		if _, err := p.readMem(s.addr, cur); err != nil {
			// The access happened, but what it did cannot be told (nor
			// whether bp.Cond would count it).
			p.fail(t, fmt.Errorf("watchpoint %d: cannot read the watched value: %w", bp.ID, err))
			return
		}
		var o, n [8]byte
		copy(o[:], s.last)
		copy(n[:], cur)
		bp.watchOld, bp.watchNew = binary.LittleEndian.Uint64(o[:]), binary.LittleEndian.Uint64(n[:])
		copy(s.last, cur)
		ev.Kind, ev.Addr, ev.HasAddr = EventWatch, s.addr, true
		ev.Old, ev.New = bp.watchOld, bp.watchNew
	}
	p.inCallback = true
	defer p.endCallback()
	stop := false
	if bp.Cond == nil || bp.Cond(t, bp) {
		bp.hits++
		if !bp.Internal {
			p.observe(ev)
		}
		if bp.OnReturn != nil && s.kind == WatchExec {
			p.rets.traps++
			p.enterCall(t, bp)
		}
		stop = bp.OnHit == nil || bp.OnHit(t, bp)
		p.rets.entered = nil
	}
	p.inCallback = false
	if s.kind == WatchExec {
		p.skipPlanted(t, s.addr, before) // one the callback planted where t stands
		t.stop.hwAt, t.stop.hwSite = s.addr, p.bps.sites[s.addr]
	}
	if !stop {
		ev = nil
	}
	p.settle(t, ev)
}

func pokeUser(tid int, off uintptr, v uint64) error {
	if err := ptrace(unix.PTRACE_POKEUSR, tid, off, uintptr(v)); err != nil {
		return os.NewSyscallError("ptrace(PTRACE_POKEUSER)", err)
	}
	return nil
}

func peekUser(tid int, off uintptr) (uint64, error) {
	var v uint64
	if err := ptrace(unix.PTRACE_PEEKUSR, tid, off, uintptr(unsafe.Pointer(&v))); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_PEEKUSER)", err)
	}
	return v, nil
}
