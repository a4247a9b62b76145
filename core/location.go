package core

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"stardbg/core/sym"

	"golang.org/x/sys/unix"
)

// symMemory gives the symbol table the process's memory as a debugger sees it.
type symMemory struct{ p *Process }

func (m symMemory) ReadMem(addr uint64, b []byte) (int, error) { return m.p.ReadMemory(addr, b) }

// ReadMemBatch implements goruntime.BatchMemory.
func (m symMemory) ReadMemBatch(addrs []uint64, size int, out []byte) error {
	return m.p.ReadMemoryBatch(addrs, size, out)
}

// Symbols returns the process's symbol table, loaded on first use. The table
// is not safe for concurrent use: call it on the tracer thread (Engine.Do).
func (p *Process) Symbols() (*sym.Table, error) {
	var t *sym.Table
	var err error
	p.e.Do(func() { t, err = p.symbols() })
	return t, err
}

// The table is made once and kept current by the breakpoint on the dynamic
// linker's rendezvous function (watchLibraries), which refreshes it at every
// change to the list of libraries. A table made before the libraries are
// loaded (at the stop after launch) would otherwise never learn of them:
// addresses in libc would have no module, no symbol and no CFI. If that
// breakpoint cannot be planted, the table is not kept: each call reads the
// maps again.
func (p *Process) symbols() (*sym.Table, error) {
	if p.syms != nil {
		return p.syms, nil
	}
	if err := p.live(); err != nil {
		return nil, err
	}
	t, err := sym.NewTable(p.e.files, p.pid, p.exe, symMemory{p})
	if err != nil {
		return nil, err
	}
	if p.watchLibraries(t) == nil {
		p.syms = t
	}
	t.SetGoStackHi(p.goStackHi)
	return t, nil
}

// Backtrace unwinds the stack of a stopped thread, innermost frame first.
func (t *Thread) Backtrace(max int) ([]sym.Frame, error) {
	var frames []sym.Frame
	var err error
	t.p.e.Do(func() {
		var tab *sym.Table
		var regs unix.PtraceRegs
		if tab, regs, err = t.unwindStart(); err != nil {
			return
		}
		frames = tab.Backtrace(&regs, symMemory{t.p}, max)
	})
	return frames, err
}

// BreakAt plants a breakpoint at every place a location spec names: an address,
// a function, file:line or lib:function (see sym.ParseLocation). A location in
// a library that the program needs and that is not mapped yet (right after
// launch, before the dynamic linker has run) is checked in the library's file
// and stays pending until the library is loaded; a spec that names nothing in
// the loaded modules nor in those libraries fails with a *sym.NotFoundError,
// as it does once they are loaded. Pending locations are resolved again each
// time the dynamic linker reports a change, and a breakpoint in a library that
// is unloaded becomes pending again.
func (p *Process) BreakAt(spec string, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	return p.BreakAtWith(spec, BreakOptions{}, onHit)
}

// BreakAtPending is BreakAt for a location that may come from a library
// loaded later (dlopen): a spec that names nothing known yet stays pending
// instead of failing.
func (p *Process) BreakAtPending(spec string, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	return p.BreakAtWith(spec, BreakOptions{Pending: true}, onHit)
}

// BreakOptions are the choices of BreakAtWith.
type BreakOptions struct {
	// Pending: a spec that names nothing known yet stays pending (see
	// BreakAtPending).
	Pending bool
	// AfterPrologue: a function breaks past its prologue, where gdb's
	// "break FUNCTION" does (sym.Location.Body), not at its entry.
	AfterPrologue bool
}

// BreakAtWith is BreakAt with options.
func (p *Process) BreakAtWith(spec string, opts BreakOptions, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	return p.locate(spec, opts, func(bp *Breakpoint) error { bp.OnHit = onHit; return nil })
}

// locate makes a breakpoint at spec's locations (see BreakAt); init makes it
// what it is before it is planted.
func (p *Process) locate(spec string, opts BreakOptions, init func(*Breakpoint) error) (*Breakpoint, error) {
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
		if err = p.watchLibraries(tab); err != nil {
			return
		}
		locs, rerr := tab.ResolveSpec(s)
		if rerr != nil {
			if err = p.mayPend(tab, s, rerr, opts.Pending); err != nil {
				return
			}
		}
		p.bps.nextID++
		bp = &Breakpoint{ID: p.bps.nextID, p: p, enabled: true, spec: &s, body: opts.AfterPrologue}
		if err = init(bp); err != nil {
			bp = nil
			return
		}
		p.bps.list = append(p.bps.list, bp)
		if err = p.place(bp, locs); err != nil {
			p.removeAllOf(bp)
			p.bps.list = p.bps.list[:len(p.bps.list)-1]
			bp = nil
		}
	})
	return bp, err
}

// place plants bp at the locations it does not have yet. An indirect function
// whose GOT is not relocated yet is caught when its resolver returns.
func (p *Process) place(bp *Breakpoint, locs []sym.Location) error {
	for _, loc := range locs {
		if loc.Pending {
			if err := p.catchResolver(bp, loc.Addr); err != nil {
				return err
			}
			continue
		}
		if bp.body && loc.Body != loc.Addr {
			// Its file and line are the body's: describe finds them.
			loc.Addr, loc.File, loc.Line = loc.Body, "", 0
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

func (bp *Breakpoint) hasAddr(addr uint64) bool { return slices.Contains(bp.addrs, addr) }

// Location describes where the breakpoint is: "hot at hotloop.c:12", or the spec
// and "(pending)".
func (bp *Breakpoint) Location() string {
	var s string
	bp.p.e.Do(func() { s = bp.location() })
	return s
}

func (bp *Breakpoint) location() string {
	if bp.sys != nil {
		return bp.sys.location()
	}
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
			// A description: a line table that cannot be read leaves
			// the file out (lookups report it).
			file, line, fn, _ := tab.PCToLine(addr)
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
		return fmt.Sprintf("%s at %s:%d", loc.Function, path.Base(loc.File), loc.Line)
	case loc.Function != "" && loc.Module != "":
		return fmt.Sprintf("%s in %s", loc.Function, loc.Module)
	case loc.Function != "":
		return loc.Function
	}
	return fmt.Sprintf("%#x", addr)
}

// unwindStart is what an unwinder of stopped thread t starts from: the
// process's symbol table and a copy of t's registers. It runs on the tracer.
func (t *Thread) unwindStart() (*sym.Table, unix.PtraceRegs, error) {
	if err := t.stoppedErr(); err != nil {
		return nil, unix.PtraceRegs{}, err
	}
	tab, err := t.p.symbols()
	if err != nil {
		return nil, unix.PtraceRegs{}, err
	}
	if err := t.loadRegs(); err != nil {
		return nil, unix.PtraceRegs{}, err
	}
	return tab, t.regs, nil
}
