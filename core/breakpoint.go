package core

import (
	"fmt"
	"slices"
	"sort"

	"stardbg/core/emu"
	"stardbg/core/sym"
)

// Breakpoint is a software breakpoint at one or more addresses of a process.
// Several breakpoints may share an address: the int3 byte is planted once and
// removed when the last of them goes.
type Breakpoint struct {
	ID       int
	Internal bool // the engine's own (not listed by Breakpoints)

	// OnHit runs on the tracer thread at every hit, with the hitting thread stopped
	// and its PC already equal to the breakpoint address. It returns whether the hit
	// stops the process (and is reported by Wait). A nil OnHit always stops.
	OnHit func(t *Thread, bp *Breakpoint) bool

	// Cond, if set, runs before OnHit at every hit, on the tracer thread too: a
	// hit it returns false for does not count (Hits), is not observed (see
	// Engine.SetObserver) and does not call OnHit; the thread goes on.
	Cond func(t *Thread, bp *Breakpoint) bool

	// OnReturn, if set, makes the breakpoint a return probe: each counted
	// hit (where Cond held) starts a Call, and OnReturn runs, on the tracer
	// thread, when that call returns, with t the thread it returns on (for
	// Go, the goroutine may have moved to another thread) stopped at the
	// return address. Its result stops the process, as OnHit's does; the
	// event is then this breakpoint's, with the Call. A call that never
	// returns normally is dropped without OnReturn (see retprobe.go).
	OnReturn func(t *Thread, bp *Breakpoint, c *Call) bool

	// Data is the owner's: the engine never looks at it.
	Data any

	p       *Process
	addrs   []uint64
	locs    []sym.Location // what each address is, for breakpoints set by location
	spec    *sym.Spec      // the location spec, resolved again when libraries change
	body    bool           // a function's location is past its prologue (BreakOptions.AfterPrologue)
	hits    uint64
	pending int // calls started at a counted hit that have not returned (OnReturn)
	enabled bool
	cleared bool
	// retProbe marks the engine's own breakpoints of return probes: at a
	// return address, or at a Go function's morestack block.
	retProbe bool

	hw                 *hwSlot     // a debug register instead of int3 sites
	sys                *sysCatch   // a system call catchpoint: see syscall_linux.go
	trace              *tracepoint // kernel uprobes instead of int3 sites (tracepoint_linux.go)
	watchOld, watchNew uint64      // a watchpoint's value around the last access
}

// site is one address with an int3 in it.
type site struct {
	addr   uint64
	orig   byte
	insn   emu.Insn // the original instruction, for emulated step-over
	emuOK  bool
	disp   displace // out-of-line copy, for what the emulator cannot do
	owners []*Breakpoint

	goChecked bool        // guardEntry looked at it
	guard     *Breakpoint // at its Go function's morestack block (gorestart.go)
}

type breakpoints struct {
	sites  map[uint64]*site
	sorted []uint64 // site addresses, ascending
	list   []*Breakpoint
	nextID int
	// removed holds the addresses whose int3 was taken out: a thread that ran
	// one just before may still report its trap (see Process.staleTrap).
	removed map[uint64]bool
}

func (bs *breakpoints) init() { bs.sites, bs.removed = map[uint64]*site{}, map[uint64]bool{} }

// Addrs are the addresses the breakpoint is planted at.
func (bp *Breakpoint) Addrs() []uint64 {
	var a []uint64
	bp.p.e.Do(func() { a = append(a, bp.addrs...) })
	return a
}

// Hits counts the traps at the breakpoint's addresses while it was enabled.
// A tracepoint's are counted by the kernel.
func (bp *Breakpoint) Hits() uint64 {
	var h uint64
	bp.p.e.Do(func() {
		h = bp.hits
		if bp.trace != nil {
			h = bp.traceHits()
		}
	})
	return h
}

// Enabled reports whether the breakpoint is planted.
func (bp *Breakpoint) Enabled() bool {
	var en bool
	bp.p.e.Do(func() { en = bp.enabled && !bp.cleared })
	return en
}

// Process is the process the breakpoint belongs to.
func (bp *Breakpoint) Process() *Process { return bp.p }

// NewBreakpoint creates an enabled breakpoint with no address yet; Add plants it.
func (p *Process) NewBreakpoint(onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	var bp *Breakpoint
	var err error
	p.e.Do(func() {
		if err = p.live(); err != nil {
			return
		}
		p.bps.nextID++
		bp = &Breakpoint{ID: p.bps.nextID, OnHit: onHit, p: p, enabled: true}
		p.bps.list = append(p.bps.list, bp)
	})
	return bp, err
}

// SetBreakpoint plants a breakpoint at addr.
func (p *Process) SetBreakpoint(addr uint64, onHit func(*Thread, *Breakpoint) bool) (*Breakpoint, error) {
	bp, err := p.NewBreakpoint(onHit)
	if err != nil {
		return nil, err
	}
	if err := bp.Add(addr); err != nil {
		bp.Clear()
		return nil, err
	}
	return bp, nil
}

// Breakpoints lists the user's breakpoints, by id.
func (p *Process) Breakpoints() []*Breakpoint {
	var l []*Breakpoint
	p.e.Do(func() {
		for _, bp := range p.bps.list {
			if !bp.Internal {
				l = append(l, bp)
			}
		}
	})
	return l
}

// Add plants the breakpoint at one more address.
func (bp *Breakpoint) Add(addr uint64) error {
	var err error
	bp.p.e.Do(func() {
		if err = bp.p.live(); err != nil {
			return
		}
		if bp.cleared {
			err = fmt.Errorf("breakpoint %d: %w", bp.ID, ErrNoBreakpoint)
			return
		}
		for _, a := range bp.addrs {
			if a == addr {
				return
			}
		}
		if bp.enabled {
			if err = bp.p.plant(addr, bp); err != nil {
				return
			}
		}
		bp.addrs = append(bp.addrs, addr)
	})
	return err
}

// Remove takes the breakpoint out of addr, restoring the original byte.
func (bp *Breakpoint) Remove(addr uint64) error { return bp.removeAddr(addr, true) }

// Forget drops addr from the breakpoint without touching memory: for code that is
// no longer mapped (a library that was unloaded).
func (bp *Breakpoint) Forget(addr uint64) error { return bp.removeAddr(addr, false) }

func (bp *Breakpoint) removeAddr(addr uint64, write bool) error {
	var err error
	bp.p.e.Do(func() {
		for i, a := range bp.addrs {
			if a == addr {
				bp.addrs = append(bp.addrs[:i], bp.addrs[i+1:]...)
				if i < len(bp.locs) {
					bp.locs = append(bp.locs[:i], bp.locs[i+1:]...)
				}
				if bp.enabled {
					err = bp.p.unplant(addr, bp, write)
				}
				return
			}
		}
	})
	return err
}

// Enable plants the breakpoint at all its addresses; Disable takes it out.
func (bp *Breakpoint) Enable() error { return bp.setEnabled(true) }

// Disable takes the breakpoint out of memory, keeping its addresses.
func (bp *Breakpoint) Disable() error { return bp.setEnabled(false) }

func (bp *Breakpoint) setEnabled(on bool) error {
	var err error
	bp.p.e.Do(func() {
		if bp.enabled == on || bp.cleared {
			return
		}
		if bp.p.state == Exited || bp.p.state == Killed || bp.p.state == Detached {
			bp.enabled = on
			return
		}
		if bp.sys != nil {
			d := -1
			if on {
				d = 1
			}
			if err = bp.p.sysUpdate(bp, d); err == nil {
				bp.enabled = on
			}
			return
		}
		if bp.hw != nil {
			if err = bp.p.hwSettable(); err != nil {
				err = fmt.Errorf("hardware breakpoint %d: %w", bp.ID, err)
				return
			}
			bp.enabled = on
			err = bp.p.applyHW()
			return
		}
		for _, a := range bp.addrs {
			var e error
			if on {
				e = bp.p.plant(a, bp)
			} else {
				e = bp.p.unplant(a, bp, true)
			}
			if e != nil && err == nil {
				err = e
			}
		}
		bp.enabled = on
	})
	return err
}

// Clear removes the breakpoint for good.
func (bp *Breakpoint) Clear() error {
	var err error
	bp.p.e.Do(func() {
		if bp.cleared {
			return
		}
		p := bp.p
		if bp.sys != nil {
			if bp.enabled {
				p.sysUpdate(bp, -1)
			}
		} else if bp.hw != nil {
			p.dropHW(bp)
		} else if bp.enabled && (p.live() == nil || bp.trace != nil) {
			for _, a := range bp.addrs {
				if e := p.unplant(a, bp, true); e != nil && err == nil {
					err = e
				}
			}
		}
		if bp.trace != nil {
			p.dropTrace(bp)
		}
		bp.cleared = true
		p.bps.drop(bp)
		if p.live() == nil && bp.OnReturn != nil {
			p.dropCalls(func(c *Call) bool { return c.Breakpoint == bp })
			if !slices.ContainsFunc(p.bps.list, func(o *Breakpoint) bool { return o.OnReturn != nil }) {
				p.dropIdleSites(len(p.rets.idle))
			}
		}
	})
	return err
}

// removeAllOf takes bp out of every address, for a breakpoint that could
// not be placed everywhere and is dropped.
func (p *Process) removeAllOf(bp *Breakpoint) {
	if bp.enabled {
		for _, a := range bp.addrs {
			p.unplant(a, bp, true)
		}
	}
	if bp.trace != nil {
		p.dropTrace(bp)
	}
}

// drop removes a breakpoint from the list.
func (bs *breakpoints) drop(bp *Breakpoint) {
	for i, b := range bs.list {
		if b == bp {
			bs.list = append(bs.list[:i], bs.list[i+1:]...)
			return
		}
	}
}

// Cleared reports whether Clear was called.
func (bp *Breakpoint) Cleared() bool {
	var c bool
	bp.p.e.Do(func() { c = bp.cleared })
	return c
}

// plant adds bp as an owner of the site at addr, writing the int3 if it is new.
func (p *Process) plant(addr uint64, bp *Breakpoint) error {
	if bp.trace != nil {
		return p.plantTrace(addr, bp)
	}
	if p.traceAddrs[addr] > 0 {
		return fmt.Errorf("cannot set breakpoint at %#x: %w", addr, ErrTraceCollision)
	}
	bs := &p.bps
	if s := bs.sites[addr]; s != nil {
		s.owners = append(s.owners, bp)
		return nil
	}
	if p.is32 {
		return fmt.Errorf("cannot set breakpoint at %#x: process %d execed a 32-bit program: %w", addr, p.pid, Err32Bit)
	}
	var orig [1]byte
	if _, err := p.readMem(addr, orig[:]); err != nil {
		return fmt.Errorf("cannot set breakpoint at %#x: %w", addr, err)
	}
	if orig[0] == 0xCC {
		return fmt.Errorf("cannot set breakpoint at %#x: %w", addr, p.foreignInt3(addr))
	}
	s := &site{addr: addr, orig: orig[0], owners: []*Breakpoint{bp}}
	if _, err := p.writeMem(addr, []byte{0xCC}); err != nil {
		return fmt.Errorf("cannot set breakpoint at %#x: %w", addr, err)
	}
	bs.sites[addr] = s
	i := sort.Search(len(bs.sorted), func(i int) bool { return bs.sorted[i] >= addr })
	bs.sorted = append(bs.sorted, 0)
	copy(bs.sorted[i+1:], bs.sorted[i:])
	bs.sorted[i] = addr
	p.decodeSite(s)
	return nil
}

// unplant removes bp from the site at addr; the last owner restores the byte.
func (p *Process) unplant(addr uint64, bp *Breakpoint, write bool) error {
	if bp.trace != nil {
		return p.unplantTrace(addr, bp)
	}
	bs := &p.bps
	s := bs.sites[addr]
	if s == nil {
		return nil
	}
	for i, o := range s.owners {
		if o == bp {
			s.owners = append(s.owners[:i], s.owners[i+1:]...)
			break
		}
	}
	if len(s.owners) > 0 {
		return nil
	}
	delete(bs.sites, addr)
	if g := s.guard; g != nil {
		s.guard = nil
		for _, a := range g.addrs {
			p.unplant(a, g, write)
		}
		g.cleared = true
		bs.drop(g)
	}
	i := sort.Search(len(bs.sorted), func(i int) bool { return bs.sorted[i] >= addr })
	if i < len(bs.sorted) && bs.sorted[i] == addr {
		bs.sorted = append(bs.sorted[:i], bs.sorted[i+1:]...)
	}
	for _, t := range p.threads {
		if t.stop.over == s {
			t.stop.over = nil
		}
	}
	if write {
		bs.removed[addr] = true
		if _, err := p.writeMem(addr, []byte{s.orig}); err != nil {
			return fmt.Errorf("cannot remove breakpoint at %#x: %w", addr, err)
		}
	}
	return nil
}

// decodeSite decodes the original instruction under a site, once, so that a hit
// can emulate it instead of single-stepping.
func (p *Process) decodeSite(s *site) {
	var code [15]byte
	n, _ := p.readMem(s.addr, code[:])
	p.bps.unpatch(s.addr, code[:n])
	insn, err := emu.Decode(code[:n], s.addr)
	s.insn, s.emuOK = insn, err == nil && insn.Emulable() && !p.noEmulate
}

// inRange returns the sites in [addr, addr+n).
func (bs *breakpoints) inRange(addr uint64, n int) []uint64 {
	if len(bs.sorted) == 0 || n == 0 {
		return nil
	}
	end := addr + uint64(n)
	i := sort.Search(len(bs.sorted), func(i int) bool { return bs.sorted[i] >= addr })
	j := i
	for j < len(bs.sorted) && bs.sorted[j] < end {
		j++
	}
	return bs.sorted[i:j]
}

// unpatch replaces int3 bytes in b (read from addr) with the original bytes.
func (bs *breakpoints) unpatch(addr uint64, b []byte) {
	for _, a := range bs.inRange(addr, len(b)) {
		b[a-addr] = bs.sites[a].orig
	}
}

// writeWithBreakpoints writes b at addr; bytes under sites become their new
// original bytes and the int3 stays, and instructions decoded from the range are
// decoded again.
func (p *Process) writeWithBreakpoints(addr uint64, b []byte) (int, error) {
	under := p.bps.inRange(addr, len(b))
	if len(under) > 0 {
		buf := append([]byte(nil), b...)
		for _, a := range under {
			p.bps.sites[a].orig = buf[a-addr]
			buf[a-addr] = 0xCC
		}
		b = buf
	}
	n, err := p.writeMem(addr, b)
	lo := addr - 15
	if lo > addr {
		lo = 0
	}
	for _, a := range p.bps.inRange(lo, int(addr+uint64(len(b))-lo)) {
		p.decodeSite(p.bps.sites[a])
	}
	return n, err
}

// removeAllSites restores every original byte (detach, kill, end of session).
func (p *Process) removeAllSites(write bool) error {
	var first error
	for _, bp := range append([]*Breakpoint(nil), p.bps.list...) {
		if !bp.enabled || bp.hw != nil {
			continue
		}
		for _, a := range bp.addrs {
			if err := p.unplant(a, bp, write); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
