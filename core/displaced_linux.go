package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"

	"stardbg/core/sym"
)

// Displaced stepping: an instruction the emulator cannot do is copied into a
// scratch page mapped in the target and single-stepped there, with its
// rip-relative operand fixed up. The breakpoint byte never leaves the text, so
// the other threads keep running and none of them can pass the address unseen.
// The scratch pages (one per region of ±2 GiB that needs one, 4 KiB of
// PROT_READ|PROT_EXEC anonymous memory each) are unmapped again at a detach.

const (
	slotSize = 16
	pageSize = 4096
)

type scratchPage struct {
	base uint64
	used uint64
}

// displace is the state a site keeps for displaced stepping.
type displace struct {
	slot uint64 // address of the copy, 0 until placed
	bad  bool   // cannot be displaced: use the all-stop single-step
}

var errNoDisplace = errors.New("instruction cannot be displaced")

// displaceable says whether the instruction at s may run out of line.
func displaceable(s *site) bool {
	in := s.insn.Inst()
	if s.insn.Len() == 0 {
		return false
	}
	switch in.Op {
	case x86asm.SYSCALL, x86asm.SYSENTER, x86asm.INT, x86asm.INTO, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ,
		x86asm.CALL, x86asm.JMP, x86asm.RET, x86asm.LCALL, x86asm.LJMP, x86asm.LRET,
		x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JCXZ, x86asm.JE, x86asm.JECXZ, x86asm.JG,
		x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO,
		x86asm.JP, x86asm.JRCXZ, x86asm.JS, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE,
		x86asm.XBEGIN, x86asm.UD2, x86asm.HLT:
		return false
	}
	if s.insn.RIPRelative() && in.PCRel != 4 {
		return false
	}
	return true
}

// slotFor places the copy of s's instruction in a scratch page, once.
func (p *Process) slotFor(t *Thread, s *site) (uint64, error) {
	if s.disp.slot != 0 {
		return s.disp.slot, nil
	}
	if s.disp.bad || !displaceable(s) {
		s.disp.bad = true
		return 0, errNoDisplace
	}
	code := s.insn.Bytes()
	var page *scratchPage
	for i := range p.scratch {
		sp := &p.scratch[i]
		if sp.used+slotSize <= pageSize && within2G(sp.base+sp.used, s.addr) {
			page = sp
			break
		}
	}
	if page == nil {
		base, err := p.mapScratch(t, s.addr)
		if err != nil {
			s.disp.bad = true
			return 0, err
		}
		p.scratch = append(p.scratch, scratchPage{base: base})
		page = &p.scratch[len(p.scratch)-1]
	}
	slot := page.base + page.used
	if s.insn.RIPRelative() {
		in := s.insn.Inst()
		off := in.PCRelOff
		disp := int64(int32(binary.LittleEndian.Uint32(code[off:])))
		target := int64(s.addr) + int64(len(code)) + disp
		nd := target - (int64(slot) + int64(len(code)))
		if nd != int64(int32(nd)) {
			s.disp.bad = true
			return 0, errNoDisplace
		}
		binary.LittleEndian.PutUint32(code[off:], uint32(int32(nd)))
	}
	if _, err := p.writeMem(slot, code); err != nil {
		s.disp.bad = true
		return 0, err
	}
	page.used += slotSize
	s.disp.slot = slot
	return slot, nil
}

func within2G(a, b uint64) bool {
	d := int64(a - b)
	return d > -(1<<31)+pageSize && d < (1<<31)-pageSize
}

// mapScratch maps a scratch page near addr by making t execute mmap(2): t's
// registers point at a syscall instruction found in the target's text.
func (p *Process) mapScratch(t *Thread, near uint64) (uint64, error) {
	maps, err := sym.ReadMaps(p.pid)
	if err != nil {
		return 0, err
	}
	gadget, err := p.syscallGadget(maps)
	if err != nil {
		return 0, err
	}
	for _, hint := range freeNear(maps, near) {
		addr, err := p.injectSyscall(t, gadget, unix.SYS_MMAP, hint, pageSize,
			unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uint64(0), 0)
		if err != nil {
			return 0, err
		}
		if int64(addr) < 0 && int64(addr) > -4096 {
			continue // EEXIST and friends: try the next hole
		}
		if within2G(addr, near) {
			return addr, nil
		}
		p.injectSyscall(t, gadget, unix.SYS_MUNMAP, addr, pageSize, 0, 0, 0, 0)
	}
	return 0, errors.New("no room for a scratch page near the code")
}

// freeNear lists page addresses in holes of the address space close to addr.
func freeNear(maps []sym.Map, addr uint64) []uint64 {
	var hints []uint64
	for i := 0; i+1 < len(maps) && len(hints) < 8; i++ {
		gapLo, gapHi := maps[i].End, maps[i+1].Start
		if gapHi-gapLo < 2*pageSize {
			continue
		}
		cand := gapLo + pageSize // leave a guard page
		if within2G(cand, addr) {
			hints = append(hints, cand)
		}
	}
	if len(maps) > 0 {
		below := maps[0].Start - 16*pageSize
		if maps[0].Start > 16*pageSize && within2G(below, addr) {
			hints = append(hints, below)
		}
	}
	return hints
}

// syscallGadget finds a "syscall" instruction (0f 05) in an executable mapping,
// the vDSO first.
func (p *Process) syscallGadget(maps []sym.Map) (uint64, error) {
	if p.gadget != 0 {
		return p.gadget, nil
	}
	try := func(m sym.Map) bool {
		if !m.Executable() || m.End-m.Start > 64<<20 {
			return false
		}
		buf := make([]byte, m.End-m.Start)
		n, _ := p.readMem(m.Start, buf)
		p.bps.unpatch(m.Start, buf[:n])
		if i := bytes.Index(buf[:n], []byte{0x0f, 0x05}); i >= 0 {
			p.gadget = m.Start + uint64(i)
			return true
		}
		return false
	}
	for _, m := range maps {
		if m.Path == "[vdso]" && try(m) {
			return p.gadget, nil
		}
	}
	for _, m := range maps {
		if m.Path != "[vdso]" && m.Path != "[vsyscall]" && try(m) {
			return p.gadget, nil
		}
	}
	return 0, errors.New("no syscall instruction in the target")
}

// othersStopped says whether every thread of p but t is stopped or gone.
func (p *Process) othersStopped(t *Thread) bool {
	for _, o := range p.threads {
		if o != t && o.state == tsRunning {
			return false
		}
	}
	return true
}

// unmapScratch unmaps the scratch pages through a stopped thread, when the
// process is about to be detached (every thread stopped, none in a page).
func (p *Process) unmapScratch() error {
	var t *Thread
	for _, th := range p.threadList() {
		// Not a thread in vfork: it would run into the kernel's wait for
		// its child.
		if th.state == tsStopped && th.vforkChild == nil {
			t = th
			break
		}
	}
	var first error
	for _, sp := range p.scratch {
		if t == nil {
			return fmt.Errorf("scratch page %#x left mapped: no stopped thread to unmap it", sp.base)
		}
		res, err := p.injectSyscall(t, p.gadget, unix.SYS_MUNMAP, sp.base, pageSize, 0, 0, 0, 0)
		if err == nil && res != 0 {
			err = unix.Errno(-int64(res))
		}
		if err != nil && first == nil {
			first = fmt.Errorf("unmapping scratch page %#x: %w", sp.base, err)
		}
	}
	p.scratch = nil
	return first
}

// injectSyscall makes stopped thread t run one system call, then puts its
// registers back. Signals stay blocked meanwhile (see blockSignals), or when
// t stopped inside a system call of its own, the ones that arrive are held.
func (p *Process) injectSyscall(t *Thread, gadget uint64, nr int, a1, a2, a3, a4, a5, a6 uint64) (uint64, error) {
	if err := t.loadRegs(); err != nil {
		return 0, err
	}
	saved, savedStop := t.regs, t.stop
	block := saved.Orig_rax == ^uint64(0) // see blockSignals: not inside a system call of its own
	r := saved
	r.Rip, r.Rax, r.Orig_rax = gadget, uint64(nr), ^uint64(0)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = a1, a2, a3, a4, a5, a6
	t.regs, t.regsDirty = r, true
	if err := t.flushRegs(); err != nil {
		t.regs = saved
		return 0, err
	}
	ok := p.stepHolding(t, gadget, nil, block)
	var res uint64
	var err error
	if ok {
		t.regsValid = false
		if err = t.loadRegs(); err == nil {
			res = t.regs.Rax
		}
	}
	// The stop it was in is still what it is stopped for; the signals that
	// came meanwhile are kept for signalsArrived.
	arrived := t.stop.arrived
	t.stop, t.stop.arrived = savedStop, arrived
	t.regs, t.regsDirty, t.regsValid = saved, true, true
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, os.ErrDeadlineExceeded
	}
	return res, nil
}

// canDisplace says whether t can step over s out of line, placing the copy of
// the instruction if it is not placed yet.
func (p *Process) canDisplace(t *Thread, s *site) bool {
	if p.noDisplace || t.loadRegs() != nil || t.regs.Rip != s.addr {
		return false
	}
	_, err := p.slotFor(t, s)
	return err == nil
}

// displacedStep runs s's instruction for t out of line (canDisplace said it
// can). It returns true when the instruction completed and t stands after it,
// stopped; false when the step ended otherwise (a fault, handed to the signal
// policy; an exit), which is then already handled.
func (p *Process) displacedStep(t *Thread, s *site) bool {
	defer p.signalsArrived(t)
	slot := s.disp.slot
	n := uint64(s.insn.Len())
	t.regs.Rip = slot
	t.regsDirty = true
	if !p.stepHolding(t, slot, s, true) {
		return false
	}
	t.regsValid = false
	if err := t.loadRegs(); err != nil {
		// It cannot be moved back from the scratch page.
		if errors.Is(err, unix.ESRCH) {
			t.state = tsRunning // SIGKILLed: only its exit is to come
		} else {
			p.fail(t, fmt.Errorf("after a displaced step over the breakpoint at %#x: %w", s.addr, err))
		}
		return false
	}
	if rip := t.regs.Rip; rip >= slot && rip < slot+slotSize {
		t.regs.Rip = s.addr + (rip - slot)
		t.regsDirty = true
	} else if rip == slot+n {
		t.regs.Rip = s.addr + n
		t.regsDirty = true
	}
	t.stop.over = nil
	return true
}

// stepHolding single-steps t, which stands at pc (a displaced copy of s's
// instruction, or s is nil), until the instruction there has run: signals
// that arrive first are held for signalsArrived, with their siginfo, our
// SIGSTOPs consumed. With block, the asynchronous signals are blocked for the
// step (blockSignals) and stay queued in the kernel instead. A signal t was to
// deliver waits until the step is done. A fault of the instruction itself (for
// a displaced copy: rip is put back on the original address) is handed to the
// signal policy and ends the step with false.
func (p *Process) stepHolding(t *Thread, pc uint64, s *site, block bool) bool {
	t.keepSiginfo()
	held, heldInfo := t.pendingSig, t.sigInfo
	t.pendingSig = 0
	var mask uint64
	if block {
		mask, block = t.blockSignals()
	}
	defer func() {
		if block {
			if err := t.restoreMask(mask); err != nil && t.state == tsStopped {
				p.fail(t, err)
			}
		}
		if held == 0 || t.state != tsStopped {
			return
		}
		if t.pendingSig == 0 {
			t.pendingSig, t.sigInfo, t.sigFresh = held, heldInfo, false
		} else {
			t.sigQueue = append([]queuedSig{{held, heldInfo}}, t.sigQueue...)
		}
	}()
	// With every other thread stopped (an in-place step, Thread.Step), take
	// statuses from any thread: a stepped execve waits in the kernel until the
	// others, which it kills, are reaped, and then reports under the main
	// thread's tid. Others that run (a displaced step) must not be handled in
	// the middle of this one.
	who := t.tid
	if s == nil && p.othersStopped(t) {
		who = -1
	}
	for {
		if err := t.resume(true); err != nil {
			p.fail(t, err)
			return false
		}
		if t.state != tsRunning {
			return false
		}
		wpid, ws, err := wait4(who, false)
		for err == nil && wpid != t.tid {
			p.e.dispatch(wpid, ws)
			if t.state != tsRunning {
				return false // gone with the exec, or killed
			}
			wpid, ws, err = wait4(who, false)
		}
		if err != nil {
			p.threadGone(t, 0, false)
			return false
		}
		if ws.Exited() || ws.Signaled() {
			p.e.dispatch(wpid, ws)
			return false
		}
		t.state, t.regsValid, t.stop.stepping = tsStopped, false, false
		sig := ws.StopSignal()
		switch {
		case sig == unix.SIGTRAP && ws.TrapCause() == 0:
			t.stop.kind = stopStep
			p.stepDR6(t)
			return true
		case sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP:
			// A stepped system call a filter traces (one injected by the
			// engine, or a step over a breakpoint on a syscall
			// instruction): it runs uncaught.
			continue
		case sig == unix.SIGTRAP:
			// A ptrace event (a clone from a stepped syscall): handle it
			// and step on if the thread is still ours to step.
			p.ptraceEvent(t, ws.TrapCause())
			if t.state != tsStopped {
				return false
			}
			if t.vforkChild != nil {
				// A stepped vfork: the system call ends when the
				// child is done with the memory, and the thread stays
				// stopped until then (see fork_linux.go). Its rip is
				// past the instruction already.
				t.stop.kind = stopStep
				return true
			}
			continue
		case sig == unix.SIGSTOP:
			if ours, req := p.consumeSigstop(t); ours {
				if req != 0 {
					p.queue(&Event{Kind: req, Process: p, Thread: t, Tid: t.tid})
				}
				continue
			}
		case sig == unix.SIGSEGV, sig == unix.SIGBUS, sig == unix.SIGILL, sig == unix.SIGFPE:
			// The instruction faulted: the handler (or the default action)
			// sees it at its real address, and a re-execution hits again.
			if s != nil && t.loadRegs() == nil && t.regs.Rip == pc {
				t.regs.Rip, t.regsDirty = s.addr, true
			}
			t.stop.over = nil
			if block {
				// Its handler's frame saves the program's mask, not ours.
				block = false
				if err := t.restoreMask(mask); err != nil {
					p.fail(t, err)
					return false
				}
			}
			p.signal(t, sig, nil)
			return false
		}
		if sig != unix.SIGTRAP {
			si, _ := getSiginfo(t.tid)
			t.stop.arrived = append(t.stop.arrived, queuedSig{sig, si})
		}
	}
}
