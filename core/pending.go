package core

import (
	"errors"
	"fmt"

	"stardbg/core/sym"
)

// libState follows the dynamic linker, for pending breakpoints.
type libState struct {
	watch    *Breakpoint // on the dynamic linker's rendezvous function
	static   bool        // no dynamic linker to watch
	resolver []*Breakpoint
}

// mayPend decides what becomes of a spec that names nothing in the loaded
// modules (rerr is why): nil, to make it pending, when it names something in
// a library the program needs that is not mapped yet, or when the caller
// accepts a location from a library loaded later (pending); otherwise the
// error to return, whose suggestions include the names of those libraries.
func (p *Process) mayPend(tab *sym.Table, s sym.Spec, rerr error, pending bool) error {
	var nf *sym.NotFoundError
	if s.Kind == sym.SpecAddr || !errors.As(rerr, &nf) {
		return rerr
	}
	_, err := tab.ResolveNeeded(s)
	if err == nil || pending {
		return nil
	}
	return err
}

// watchLibraries plants the engine's breakpoint on the dynamic linker's
// rendezvous function, once.
func (p *Process) watchLibraries(tab *sym.Table) error {
	if p.libs.watch != nil || p.libs.static {
		return nil
	}
	addr, ok := tab.RendezvousAddr()
	if !ok {
		p.libs.static = true // no libraries will come
		return nil
	}
	w := &Breakpoint{Internal: true, p: p, enabled: true}
	w.OnHit = func(t *Thread, _ *Breakpoint) bool { p.librariesChanged(t); return false }
	if err := p.plant(addr, w); err != nil {
		return fmt.Errorf("libraries loaded later cannot be followed: %w", err)
	}
	w.addrs = []uint64{addr}
	p.libs.watch = w
	p.bps.list = append(p.bps.list, w)
	return nil
}

// librariesChanged runs at every hit of the rendezvous breakpoint: once the
// list of libraries is consistent, breakpoints in unloaded libraries are dropped
// without touching their memory (it is gone), and every location is resolved
// again so that pending ones land in the new libraries. What cannot be done
// stops the process with the error (see fail): a breakpoint would be missing.
func (p *Process) librariesChanged(t *Thread) {
	tab := p.syms
	if tab == nil {
		return
	}
	if st, ok := tab.RDebugState(); ok && st != 0 {
		return // the dynamic linker is in the middle of a change
	}
	_, removed, err := tab.Refresh()
	if err != nil {
		p.fail(t, fmt.Errorf("the dynamic linker changed the libraries, but they cannot be read: %w", err))
		return
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
		if err := p.resolveAgain(tab, bp); err != nil {
			p.fail(t, err)
		}
	}
}

// resolveAgain plants bp where its location spec names places now; a spec
// that names nothing stays pending.
func (p *Process) resolveAgain(tab *sym.Table, bp *Breakpoint) error {
	locs, err := tab.ResolveSpec(*bp.spec)
	var nf *sym.NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err == nil {
		err = p.place(bp, locs)
	}
	if err != nil {
		return fmt.Errorf("breakpoint %d at %s: %w", bp.ID, bp.spec, err)
	}
	return nil
}

// Pending reports whether the breakpoint waits for a library: it has a
// location spec and no address yet.
func (bp *Breakpoint) Pending() bool {
	var pending bool
	bp.p.e.Do(func() { pending = bp.spec != nil && len(bp.addrs) == 0 && !bp.cleared })
	return pending
}
