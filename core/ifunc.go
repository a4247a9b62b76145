package core

import "stardbg/core/sym"

// catchResolver plants a one-shot breakpoint on an IFUNC resolver and another on
// its return address: the resolver's result (rax) is where the program will go.
func (p *Process) catchResolver(bp *Breakpoint, resolver uint64) {
	for _, r := range p.libs.resolver {
		if r.Data == bp && r.hasAddr(resolver) {
			return
		}
	}
	entry := &Breakpoint{Internal: true, Data: bp, p: p, enabled: true}
	entry.OnHit = func(t *Thread, _ *Breakpoint) bool {
		var ret [8]byte
		if _, err := p.readMem(t.regs.Rsp, ret[:]); err != nil {
			return false
		}
		retAddr := uint64(ret[0]) | uint64(ret[1])<<8 | uint64(ret[2])<<16 | uint64(ret[3])<<24 |
			uint64(ret[4])<<32 | uint64(ret[5])<<40 | uint64(ret[6])<<48 | uint64(ret[7])<<56
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
				p.place(bp, []sym.Location{loc})
			}
			return false
		}
		p.dropInternal(entry)
		p.addInternal(exit, retAddr)
		return false
	}
	p.addInternal(entry, resolver)
}

func (p *Process) addInternal(bp *Breakpoint, addr uint64) {
	if p.plant(addr, bp) == nil {
		bp.addrs = []uint64{addr}
		p.libs.resolver = append(p.libs.resolver, bp)
		p.bps.list = append(p.bps.list, bp)
	}
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
