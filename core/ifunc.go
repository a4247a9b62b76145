package core

import (
	"encoding/binary"
	"fmt"

	"stardbg/core/sym"
)

// catchResolver plants a one-shot breakpoint on an IFUNC resolver and another on
// its return address: the resolver's result (rax) is where the program will go.
// What cannot be done at a hit stops the process with the error (see fail):
// the breakpoint would be missing.
func (p *Process) catchResolver(bp *Breakpoint, resolver uint64) error {
	for _, r := range p.libs.resolver {
		if r.Data == bp && r.hasAddr(resolver) {
			return nil
		}
	}
	entry := &Breakpoint{Internal: true, Data: bp, p: p, enabled: true}
	entry.OnHit = func(t *Thread, _ *Breakpoint) bool {
		var ret [8]byte
		if _, err := p.readMem(t.regs.Rsp, ret[:]); err != nil {
			p.fail(t, fmt.Errorf("breakpoint %d: the return address of IFUNC resolver %#x cannot be read: %w", bp.ID, resolver, err))
			return false
		}
		retAddr := binary.LittleEndian.Uint64(ret[:])
		sp := t.regs.Rsp
		exit := &Breakpoint{Internal: true, p: p, enabled: true}
		exit.OnHit = func(t *Thread, _ *Breakpoint) bool {
			if t.regs.Rsp != sp+8 {
				return false // a recursive call's return: not ours
			}
			impl := t.regs.Rax
			p.dropInternal(exit)
			if !bp.cleared && !bp.hasAddr(impl) {
				loc := sym.Location{Addr: impl, IFunc: true}
				if tab, err := p.symbols(); err == nil {
					if s := tab.PCToFunc(impl); s != nil {
						loc.Function, loc.Module = s.Name, s.Module
					}
				}
				if err := p.place(bp, []sym.Location{loc}); err != nil {
					p.fail(t, fmt.Errorf("breakpoint %d: %w", bp.ID, err))
				}
			}
			return false
		}
		p.dropInternal(entry)
		if err := p.addInternal(exit, retAddr); err != nil {
			p.fail(t, fmt.Errorf("breakpoint %d: the return of IFUNC resolver %#x cannot be caught: %w", bp.ID, resolver, err))
		}
		return false
	}
	return p.addInternal(entry, resolver)
}

func (p *Process) addInternal(bp *Breakpoint, addr uint64) error {
	if err := p.plant(addr, bp); err != nil {
		return err
	}
	bp.addrs = []uint64{addr}
	p.libs.resolver = append(p.libs.resolver, bp)
	p.bps.list = append(p.bps.list, bp)
	return nil
}

func (p *Process) dropInternal(bp *Breakpoint) {
	for _, a := range bp.addrs {
		p.unplant(a, bp, true)
	}
	bp.addrs = nil
	bp.cleared = true
	p.bps.drop(bp)
	for i, r := range p.libs.resolver {
		if r == bp {
			p.libs.resolver = append(p.libs.resolver[:i], p.libs.resolver[i+1:]...)
			break
		}
	}
}
