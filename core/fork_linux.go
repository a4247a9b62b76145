package core

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Children of fork and vfork are not debugged: they are let go at once, without
// the breakpoints they inherited (a forked child would die of the first int3 it
// ran). A vfork child shares its parent's memory until it execs or exits, so for
// that while the breakpoints are out of memory altogether; threads of the parent
// that run meanwhile miss their hits.

// forked handles PTRACE_EVENT_FORK and PTRACE_EVENT_VFORK of t. An error
// says that a child may have kept our int3s, or a vfork parent lost them.
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
	if vfork {
		p.vforks++
		err = p.writeSites(false)
	} else {
		err = p.writeSitesChild(child)
	}
	if err != nil {
		err = fmt.Errorf("child %d keeps a breakpoint: %w", child, err)
	}
	if derr := ptrace(unix.PTRACE_DETACH, child, 0, 0); derr != nil && derr != unix.ESRCH && err == nil {
		err = fmt.Errorf("child %d cannot be let go: %w", child, os.NewSyscallError("ptrace(PTRACE_DETACH)", derr))
	}
	return err
}

// vforkDone runs when a vfork child has exec'd or exited: the breakpoints go
// back in.
func (p *Process) vforkDone() error {
	if p.vforks > 0 {
		p.vforks--
	}
	if p.vforks == 0 {
		if err := p.writeSites(true); err != nil {
			return fmt.Errorf("after a vfork child: %w", err)
		}
	}
	return nil
}

// writeSites writes every site's int3, or its original byte. It writes them
// all, and returns the first error.
func (p *Process) writeSites(int3 bool) error {
	var first error
	for addr, s := range p.bps.sites {
		b := s.orig
		if int3 {
			b = 0xCC
		}
		if _, err := p.writeMem(addr, []byte{b}); err != nil && first == nil {
			first = fmt.Errorf("breakpoint at %#x: %w", addr, err)
		}
	}
	return first
}

// writeSitesChild restores the original bytes in a stopped fork child, with
// PTRACE_POKEDATA on the child.
func (p *Process) writeSitesChild(child int) error {
	var first error
	for addr, s := range p.bps.sites {
		aligned := addr &^ 7
		var word uint64
		err := ptrace(unix.PTRACE_PEEKDATA, child, uintptr(aligned), uintptr(unsafe.Pointer(&word)))
		if err == nil {
			wb := (*[8]byte)(unsafe.Pointer(&word))
			wb[addr-aligned] = s.orig
			err = ptrace(unix.PTRACE_POKEDATA, child, uintptr(aligned), uintptr(word))
		}
		if err != nil && first == nil {
			first = fmt.Errorf("breakpoint at %#x: %w", addr, os.NewSyscallError("ptrace(PTRACE_POKEDATA)", err))
		}
	}
	return first
}
