package core

import (
	"errors"
	"fmt"
	"strings"

	"stardbg/core/sym"
)

// symMemory gives the symbol table the process's memory as a debugger sees it.
type symMemory struct{ p *Process }

func (m symMemory) ReadMem(addr uint64, b []byte) (int, error) { return m.p.ReadMemory(addr, b) }

// Symbols returns the process's symbol table, loaded on first use. The table
// is not safe for concurrent use: call it on the tracer thread (Engine.Do).
func (p *Process) Symbols() (*sym.Table, error) {
	var t *sym.Table
	var err error
	p.e.Do(func() { t, err = p.symbols() })
	return t, err
}

func (p *Process) symbols() (*sym.Table, error) {
	if p.syms != nil {
		return p.syms, nil
	}
	if err := p.live(); err != nil {
		return nil, err
	}
	t, err := sym.NewTable(p.pid, p.exe, symMemory{p})
	if err != nil {
		return nil, err
	}
	p.syms = t
	return t, nil
}

// Backtrace unwinds the stack of a stopped thread, innermost frame first.
func (t *Thread) Backtrace(max int) ([]sym.Frame, error) {
	var frames []sym.Frame
	var err error
	t.p.e.Do(func() {
		if err = t.stoppedErr(); err != nil {
			return
		}
		var tab *sym.Table
		if tab, err = t.p.symbols(); err != nil {
			return
		}
		if err = t.loadRegs(); err != nil {
			return
		}
		regs := t.regs
		frames = tab.Backtrace(&regs, symMemory{t.p}, max)
	})
	return frames, err
}

// libState follows the dynamic linker, for pending breakpoints.
type libState struct {
	watch    *Breakpoint // on the dynamic linker's rendezvous function
	settled  bool        // the libraries of start-up are loaded (or there are none)
	resolver []*Breakpoint
}

// BreakAt plants a breakpoint at every place a location spec names: an address,
// a function, file:line or lib:function (see sym.ParseLocation). A location
// that names nothing yet stays pending when it may name something in a library
// still to be loaded: a lib:function whose library is not loaded, or any name
// before the start-up libraries are loaded. Pending locations are resolved
// again each time the dynamic linker reports a change, and a breakpoint in a
// library that is unloaded becomes pending again.
func (p *Process) BreakAt(spec string, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	var bp *Breakpoint
	var err error
	p.e.Do(func() {
		if err = p.live(); err != nil {
			return
		}
		var s sym.Spec
		if s, err = sym.ParseLocation(spec); err != nil {
			return
		}
		var tab *sym.Table
		if tab, err = p.symbols(); err != nil {
			return
		}
		p.watchLibraries(tab)
		locs, rerr := tab.ResolveSpec(s)
		var nf *sym.NotFoundError
		if rerr != nil && !(errors.As(rerr, &nf) && p.mayPend(tab, s)) {
			err = rerr
			return
		}
		p.bps.nextID++
		bp = &Breakpoint{ID: p.bps.nextID, OnHit: onHit, p: p, enabled: true, spec: &s}
		p.bps.list = append(p.bps.list, bp)
		if err = p.place(bp, locs); err != nil {
			p.bps.list = p.bps.list[:len(p.bps.list)-1]
			bp = nil
		}
	})
	return bp, err
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

// place plants bp at the locations it does not have yet. An indirect function
// whose GOT is not relocated yet is caught when its resolver returns.
func (p *Process) place(bp *Breakpoint, locs []sym.Location) error {
	for _, loc := range locs {
		if loc.Pending {
			p.catchResolver(bp, loc.Addr)
			continue
		}
		if bp.hasAddr(loc.Addr) {
			continue
		}
		if bp.enabled {
			if err := p.plant(loc.Addr, bp); err != nil {
				return err
			}
		}
		bp.addrs = append(bp.addrs, loc.Addr)
		bp.locs = append(bp.locs, loc)
	}
	return nil
}

func (bp *Breakpoint) hasAddr(addr uint64) bool {
	for _, a := range bp.addrs {
		if a == addr {
			return true
		}
	}
	return false
}

// catchResolver plants a one-shot breakpoint on an IFUNC resolver and another on
// its return address: the resolver's result (rax) is where the program will go.
func (p *Process) catchResolver(bp *Breakpoint, resolver uint64) {
	for _, r := range p.libs.resolver {
		if r.Data == bp && r.hasAddr(resolver) {
			return
		}
	}
	var entry *Breakpoint
	entry = &Breakpoint{Internal: true, Data: bp, p: p, enabled: true}
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

// Location describes where the breakpoint is: "hot at hotloop.c:12", or the spec
// and "(pending)".
func (bp *Breakpoint) Location() string {
	var s string
	bp.p.e.Do(func() { s = bp.location() })
	return s
}

func (bp *Breakpoint) location() string {
	if len(bp.addrs) == 0 && bp.spec != nil {
		return bp.spec.String() + " (pending)"
	}
	var parts []string
	for i, a := range bp.addrs {
		var loc sym.Location
		if i < len(bp.locs) {
			loc = bp.locs[i]
		}
		parts = append(parts, bp.p.describe(a, loc))
	}
	return strings.Join(parts, ", ")
}

// describe names an address for people: "hot at hotloop.c:12" or
// "malloc in libc.so.6" or "0x401000".
func (p *Process) describe(addr uint64, loc sym.Location) string {
	if loc.Function == "" || loc.File == "" {
		if tab, err := p.symbols(); err == nil {
			file, line, fn := tab.PCToLine(addr)
			if loc.Function == "" {
				loc.Function = fn
				if s := tab.PCToFunc(addr); s != nil && s.Offset != 0 {
					loc.Function = fmt.Sprintf("%s+%d", s.Name, s.Offset)
				}
			}
			if loc.File == "" {
				loc.File, loc.Line = file, line
			}
			if loc.Module == "" {
				if m := tab.ModuleAt(addr); m != nil {
					loc.Module = m.Name
				}
			}
		}
	}
	switch {
	case loc.Function != "" && loc.File != "":
		return fmt.Sprintf("%s at %s:%d", loc.Function, baseName(loc.File), loc.Line)
	case loc.Function != "" && loc.Module != "":
		return fmt.Sprintf("%s in %s", loc.Function, loc.Module)
	case loc.Function != "":
		return loc.Function
	}
	return fmt.Sprintf("%#x", addr)
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
