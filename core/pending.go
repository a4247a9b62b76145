package core

import (
	"strings"

	"stardbg/core/sym"
)

// libState follows the dynamic linker, for pending breakpoints.
type libState struct {
	watch    *Breakpoint // on the dynamic linker's rendezvous function
	settled  bool        // the libraries of start-up are loaded (or there are none)
	resolver []*Breakpoint
}

// mayPend says whether an unresolved spec could still come to name something.
func (p *Process) mayPend(tab *sym.Table, s sym.Spec) bool {
	if s.Kind == sym.SpecAddr {
		return false
	}
	if !p.libs.settled {
		return true
	}
	if s.Kind == sym.SpecScoped {
		for _, m := range tab.Modules() {
			if strings.HasPrefix(m.Name, s.Scope) || strings.HasSuffix(m.Path, "/"+s.Scope) || m.Path == s.Scope {
				return false
			}
		}
		return true
	}
	return false
}

// watchLibraries plants the engine's breakpoint on the dynamic linker's
// rendezvous function, once.
func (p *Process) watchLibraries(tab *sym.Table) {
	if p.libs.watch != nil || p.libs.settled {
		return
	}
	addr, ok := tab.RendezvousAddr()
	if !ok {
		p.libs.settled = true // static: no libraries will come
		return
	}
	if !p.launched {
		p.libs.settled = true // attached: start-up is over
	}
	w := &Breakpoint{Internal: true, p: p, enabled: true}
	w.OnHit = func(*Thread, *Breakpoint) bool { p.librariesChanged(); return false }
	if p.plant(addr, w) == nil {
		w.addrs = []uint64{addr}
		p.libs.watch = w
		p.bps.list = append(p.bps.list, w)
	}
}

// librariesChanged runs at every hit of the rendezvous breakpoint: once the
// list of libraries is consistent, breakpoints in unloaded libraries are dropped
// without touching their memory (it is gone), and every location is resolved
// again so that pending ones land in the new libraries.
func (p *Process) librariesChanged() {
	tab := p.syms
	if tab == nil {
		return
	}
	if st, ok := tab.RDebugState(); ok && st != 0 {
		return // the dynamic linker is in the middle of a change
	}
	_, removed, err := tab.Refresh()
	if err != nil {
		return
	}
	if p.libs.watch != nil && len(tab.Modules()) > 2 {
		p.libs.settled = true
	}
	for _, bp := range append([]*Breakpoint(nil), p.bps.list...) {
		if bp.spec == nil || bp.cleared {
			continue
		}
		for _, m := range removed {
			for i := 0; i < len(bp.addrs); i++ {
				if a := bp.addrs[i]; a >= m.Start && a < m.End {
					if bp.enabled {
						p.unplant(a, bp, false)
					}
					bp.addrs = append(bp.addrs[:i], bp.addrs[i+1:]...)
					bp.locs = append(bp.locs[:i], bp.locs[i+1:]...)
					i--
				}
			}
		}
		if locs, err := tab.ResolveSpec(*bp.spec); err == nil {
			p.place(bp, locs)
		}
	}
}

// Pending reports whether the breakpoint waits for a library: it has a
// location spec and no address yet.
func (bp *Breakpoint) Pending() bool {
	var pending bool
	bp.p.e.Do(func() { pending = bp.spec != nil && len(bp.addrs) == 0 && !bp.cleared })
	return pending
}
