package core

import (
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// A Go function checks its stack bound in its prologue (CMP against the
// g's stackguard0, at R14+16), and when the stack must grow, or the
// scheduler asked the goroutine to yield (stackguard0 = stackPreempt),
// branches to a block at its end that calls runtime.morestack and then
// jumps back to the entry: the function runs again from its first
// instruction, with the same arguments, on the stack that may have moved.
// So an int3 at a Go function's entry would trap twice for one call.
//
// At the first hit of a site in a Go program the engine looks for that
// prologue; when it finds it, an internal breakpoint at the morestack
// block (the guard) records, for the goroutine that reaches it, that its
// next trap at the entry is the same call again: that trap does not count
// (no Cond, no OnHit, no hit, no new Call). The guard is taken out with
// the site.

// guardEntry plants the guard of the Go function entry at s, if s is one.
// It runs once per site, at its first hit, and reads only the code there
// unless it finds the prologue (the symbols then say whether the block
// calls runtime.morestack).
func (p *Process) guardEntry(s *site) {
	s.goChecked = true
	user := false
	for _, o := range s.owners {
		user = user || !o.Internal
	}
	if !user {
		return
	}
	block := p.morestackBlock(s.addr)
	if block == 0 {
		return
	}
	entry := s.addr
	g := &Breakpoint{Internal: true, retProbe: true, p: p, enabled: true}
	g.OnHit = func(t *Thread, _ *Breakpoint) bool {
		key, _, _ := p.frameOf(t)
		if p.rets.restarts == nil {
			p.rets.restarts = map[callKey]uint64{}
		}
		p.rets.restarts[key] = entry
		return false
	}
	if p.plant(block, g) != nil {
		return // then a restart counts twice, as it did before
	}
	g.addrs = []uint64{block}
	p.bps.list = append(p.bps.list, g)
	s.guard = g
}

// morestackBlock returns the address of the block that calls
// runtime.morestack in the Go function whose entry is addr, found from its
// prologue's stack check (at most four instructions: CMP SP or a copy of
// it lowered by the frame size, against [R14+disp], then JBE to the
// block), or 0 when addr is not such an entry.
func (p *Process) morestackBlock(addr uint64) uint64 {
	code := make([]byte, 64)
	n, _ := p.readMem(addr, code)
	code = code[:n]
	p.bps.unpatch(addr, code)
	var target uint64
	cmp := false
	for off, i := 0, 0; i < 4 && off < len(code); i++ {
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			return 0
		}
		pc := addr + uint64(off)
		off += in.Len
		switch in.Op {
		case x86asm.CMP:
			m, ok := in.Args[1].(x86asm.Mem)
			cmp = ok && m.Base == x86asm.R14
		case x86asm.JBE:
			if rel, ok := in.Args[0].(x86asm.Rel); ok && cmp {
				target = pc + uint64(in.Len) + uint64(int64(rel))
			}
		}
		if target != 0 || in.Op == x86asm.JBE {
			break
		}
	}
	if target == 0 || !p.callsMorestack(target) {
		return 0
	}
	return target
}

// callsMorestack reports whether the block at addr calls
// runtime.morestack (or a variant) within its first 16 instructions,
// before any jump or return.
func (p *Process) callsMorestack(addr uint64) bool {
	tab, err := p.symbols()
	if err != nil {
		return false
	}
	code := make([]byte, 128)
	n, _ := p.readMem(addr, code)
	code = code[:n]
	p.bps.unpatch(addr, code)
	for off, i := 0, 0; i < 16 && off < len(code); i++ {
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			return false
		}
		pc := addr + uint64(off)
		off += in.Len
		switch in.Op {
		case x86asm.CALL:
			rel, ok := in.Args[0].(x86asm.Rel)
			if !ok {
				return false
			}
			f := tab.PCToFunc(pc + uint64(in.Len) + uint64(int64(rel)))
			return f != nil && strings.HasPrefix(f.Name, "runtime.morestack")
		case x86asm.JMP, x86asm.RET:
			return false
		}
	}
	return false
}

// restarted reports whether t's trap at the Go function entry s is the
// same call again, after runtime.morestack, and forgets the mark.
func (p *Process) restarted(t *Thread, s *site) bool {
	key, _, _ := p.frameOf(t)
	if p.rets.restarts[key] != s.addr {
		return false
	}
	delete(p.rets.restarts, key)
	return true
}
