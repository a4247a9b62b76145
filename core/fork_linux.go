package core

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Children of fork and vfork are not debugged: they are let go at once, without
// the breakpoints they inherited (a forked child would die of the first int3 it
// ran). A vfork child shares its parent's memory until it execs or exits, so for
// that while the breakpoints are out of memory altogether; threads of the parent
// that run meanwhile miss their hits.

// forked handles PTRACE_EVENT_FORK and PTRACE_EVENT_VFORK of t.
func (p *Process) forked(t *Thread, vfork bool) {
	msg, err := unix.PtraceGetEventMsg(t.tid)
	if err != nil {
		return
	}
	child := int(msg)
	ws, seen := p.e.early[child]
	delete(p.e.early, child)
	for !seen || !(ws.Stopped() || ws.Exited() || ws.Signaled()) {
		if _, ws, err = wait4(child, false); err != nil {
			return
		}
		seen = true
	}
	if !ws.Stopped() {
		return // it is already gone
	}
	if vfork {
		p.vforks++
		p.writeSites(false)
	} else {
		p.writeSitesChild(child)
	}
	ptrace(unix.PTRACE_DETACH, child, 0, 0)
}

// vforkDone runs when a vfork child has exec'd or exited: the breakpoints go
// back in.
func (p *Process) vforkDone() {
	if p.vforks > 0 {
		p.vforks--
	}
	if p.vforks == 0 {
		p.writeSites(true)
	}
}

// writeSites writes every site's int3, or its original byte.
func (p *Process) writeSites(int3 bool) {
	for addr, s := range p.bps.sites {
		b := s.orig
		if int3 {
			b = 0xCC
		}
		p.writeMem(addr, []byte{b})
	}
}

// writeSitesChild restores the original bytes in a stopped fork child, with
// PTRACE_POKEDATA on the child.
func (p *Process) writeSitesChild(child int) {
	for addr, s := range p.bps.sites {
		aligned := addr &^ 7
		var word uint64
		if ptrace(unix.PTRACE_PEEKDATA, child, uintptr(aligned), uintptr(unsafe.Pointer(&word))) != nil {
			continue
		}
		wb := (*[8]byte)(unsafe.Pointer(&word))
		wb[addr-aligned] = s.orig
		ptrace(unix.PTRACE_POKEDATA, child, uintptr(aligned), uintptr(word))
	}
}
