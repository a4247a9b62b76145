package core

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"stardbg/core/goruntime"

	"golang.org/x/sys/unix"
)

// Return probes: a breakpoint with OnReturn catches the return of each call
// whose entry it counted, without touching the program's stack or return
// addresses (Go moves stacks, and its unwinder reads the return
// addresses). At a counted entry hit the engine reads the return address
// at [rsp] and plants an internal breakpoint there, one per address,
// shared by the pending calls that return to it (retSite). A hit of it
// pairs the thread with its calls by frame identity: a C call by its
// thread and the stack pointer at its entry (rsp after the return is that
// plus 8), a Go call by its goroutine and its distance from the top of the
// goroutine's stack (StackHi - sp), which a stack move keeps.
//
// A call is dropped without OnReturn when its frame is gone (longjmp, an
// exception, a Go panic unwound through it): a later entry or return on
// its thread or goroutine at or above its frame, or a look at a stopped
// thread (PendingReturns), shows it. It is dropped too when its thread
// exits (C), its goroutine is dead, its breakpoint is cleared, or the
// process ends, execs or is detached.

// A Call is one call of a function whose entry a breakpoint with OnReturn
// counted.
type Call struct {
	Breakpoint *Breakpoint
	Thread     *Thread // the thread that made the call
	// Start is when the entry was hit, End when the return was (zero
	// while the call runs).
	Start, End time.Time
	SP         uint64 // rsp at the entry: where the return address is
	RetAddr    uint64
	// Depth is how many calls of the same breakpoint were pending on the
	// thread (or goroutine) when this one started.
	Depth int
	GoID  int64 // the goroutine that made the call, 0 outside Go code
	// EntryRegs are the thread's registers at the entry hit, ReturnRegs
	// at the return (see Process.HitFrame).
	EntryRegs, ReturnRegs unix.PtraceRegs
	// Data is the owner's, set at the entry (the arguments), for the
	// return: the engine never looks at it.
	Data any

	key  callKey
	pos  uint64 // the frame's height: greater for outer frames (see frameOf)
	g    uint64 // Go: the runtime.g at the entry
	trap uint64 // the trap that started it (retProbes.traps)
}

// Duration is the time from the entry to the return.
func (c *Call) Duration() time.Duration { return c.End.Sub(c.Start) }

// callKey names the stack a call runs on: a thread's, or a goroutine's.
type callKey struct {
	tid  int
	goid int64
}

// retProbes are a process's pending calls.
type retProbes struct {
	stacks map[callKey][]*Call // outermost first
	sites  map[uint64]*retSite // by return address
	idle   []uint64            // the sites without a pending call, oldest first
	// stop is the call whose OnReturn asked to stop at the current hit.
	stop *Call
	// entered is the call the current entry hit made.
	entered *Call
	// traps counts the entry traps that started calls: the calls that
	// several breakpoints at one address start at one trap share a frame.
	traps uint64

	goChecked bool
	rt        *goruntime.Runtime // nil: not a Go program

	// restarts are the Go function entries that goroutines will run
	// again after runtime.morestack (see gorestart.go).
	restarts map[callKey]uint64
}

// retSite is the internal breakpoint at one return address, with the
// number of pending calls that return there.
type retSite struct {
	bp *Breakpoint
	n  int
}

// EntryCall returns, during the OnHit of a breakpoint with OnReturn (on
// the tracer thread), the call the hit started, so that OnHit can set its
// Data; nil elsewhere.
func (bp *Breakpoint) EntryCall() *Call {
	if c := bp.p.rets.entered; c != nil && c.Breakpoint == bp {
		return c
	}
	return nil
}

// goRT returns the Go runtime of the program, or nil when it is not Go
// (or its runtime cannot be read: its calls are then told apart by thread).
func (p *Process) goRT() *goruntime.Runtime {
	if !p.rets.goChecked {
		p.rets.goChecked = true
		if gr, _, err := p.goRuntimeOf(); err == nil {
			p.rets.rt = gr.rt
		}
	}
	return p.rets.rt
}

// frameOf returns the stack t runs on and the height of its current
// frame: for a goroutine, MaxUint64 minus the distance of rsp from the top
// of its stack; else rsp. A call's frame is live while the thread's height
// is at most the call's.
func (p *Process) frameOf(t *Thread) (callKey, uint64, *goruntime.G) {
	sp := t.regs.Rsp
	if rt := p.goRT(); rt != nil {
		g, err := rt.Current(symMemory{p}, goruntime.Regs{SP: sp, R14: t.regs.R14, FSBase: t.regs.Fs_base})
		if err == nil && g != nil && !g.System() && g.StackLo <= sp && sp < g.StackHi {
			return callKey{goid: g.ID}, math.MaxUint64 - (g.StackHi - sp), g
		}
	}
	return callKey{tid: t.tid}, sp, nil
}

// enterCall records the call that t's counted hit of bp starts. It runs on
// the tracer thread, in the hit.
func (p *Process) enterCall(t *Thread, bp *Breakpoint) {
	if err := t.loadRegs(); err != nil {
		p.fail(t, fmt.Errorf("breakpoint %d: %w", bp.ID, err))
		return
	}
	var b [8]byte
	if _, err := p.readMem(t.regs.Rsp, b[:]); err != nil {
		p.fail(t, fmt.Errorf("breakpoint %d: the return address at %#x cannot be read: %w", bp.ID, t.regs.Rsp, err))
		return
	}
	ret := binary.LittleEndian.Uint64(b[:])
	key, pos, g := p.frameOf(t)
	// A frame at or below this one is gone (it returned, or was unwound),
	// unless another breakpoint's call of this trap made it.
	p.unwind(key, func(c *Call) bool { return c.pos <= pos && c.trap != p.rets.traps }, 0)
	c := &Call{Breakpoint: bp, Thread: t, Start: time.Now(), SP: t.regs.Rsp, RetAddr: ret, key: key, pos: pos, trap: p.rets.traps,
		EntryRegs: t.regs}
	if g != nil {
		c.GoID, c.g = g.ID, g.Addr
	}
	for _, o := range p.rets.stacks[key] {
		if o.Breakpoint == bp {
			c.Depth++
		}
	}
	s := p.rets.sites[ret]
	if s != nil && s.n == 0 {
		p.rets.idle = slices.DeleteFunc(p.rets.idle, func(a uint64) bool { return a == ret })
	}
	if s == nil {
		ib := &Breakpoint{Internal: true, retProbe: true, p: p, enabled: true}
		ib.OnHit = p.returned
		if err := p.plant(ret, ib); err != nil {
			p.fail(t, fmt.Errorf("breakpoint %d: the return to %#x cannot be caught: %w", bp.ID, ret, err))
			return
		}
		ib.addrs = []uint64{ret}
		p.bps.list = append(p.bps.list, ib)
		s = &retSite{bp: ib}
		if p.rets.sites == nil {
			p.rets.sites, p.rets.stacks = map[uint64]*retSite{}, map[callKey][]*Call{}
		}
		p.rets.sites[ret] = s
	}
	s.n++
	bp.pending++
	p.rets.stacks[key] = append(p.rets.stacks[key], c)
	p.rets.entered = c
}

// unwind pops the calls of stack key from its innermost while gone says
// so, and releases them; it returns those with height end (the ones that
// return at a return hit at height end+8 are there), innermost last.
func (p *Process) unwind(key callKey, gone func(*Call) bool, end uint64) []*Call {
	st := p.rets.stacks[key]
	var at []*Call
	for len(st) > 0 {
		c := st[len(st)-1]
		if !gone(c) {
			break
		}
		st = st[:len(st)-1]
		p.releaseCall(c)
		if end != 0 && c.pos == end {
			at = append(at, c)
		}
	}
	if len(st) == 0 {
		delete(p.rets.stacks, key)
	} else {
		p.rets.stacks[key] = st
	}
	return at
}

// releaseCall forgets a call that returned or is gone: the internal
// breakpoint at its return address goes with the last call there.
func (p *Process) releaseCall(c *Call) {
	c.Breakpoint.pending--
	s := p.rets.sites[c.RetAddr]
	if s == nil {
		return
	}
	if s.n--; s.n == 0 {
		// Kept planted for the next call that returns there (a loop
		// calls from the same place): planting costs three system calls.
		p.rets.idle = append(p.rets.idle, c.RetAddr)
		if len(p.rets.idle) > maxIdleSites {
			p.dropIdleSites(len(p.rets.idle) - maxIdleSites/2)
		}
	}
}

// maxIdleSites bounds the return sites kept planted without a pending
// call. Each costs a trap when the program passes there without one.
const maxIdleSites = 64

// dropIdleSites takes out the first n return sites of the idle list that
// still have no pending call (the oldest).
func (p *Process) dropIdleSites(n int) {
	keep := p.rets.idle[:0]
	for _, a := range p.rets.idle {
		s := p.rets.sites[a]
		switch {
		case s == nil || s.n > 0: // planted again since, or gone
		case n > 0:
			n--
			delete(p.rets.sites, a)
			p.unplant(a, s.bp, true)
			s.bp.cleared = true
			p.bps.drop(s.bp)
		default:
			keep = append(keep, a)
		}
	}
	p.rets.idle = keep
}

// returned is the OnHit of the internal breakpoints at return addresses:
// it pairs t's return with the calls it ends and runs their OnReturn.
func (p *Process) returned(t *Thread, _ *Breakpoint) bool {
	key, pos, _ := p.frameOf(t)
	if pos < 8 {
		return false
	}
	// The frames below the returning one are gone; the returning one is
	// at pos-8.
	at := p.unwind(key, func(c *Call) bool { return c.pos <= pos-8 }, pos-8)
	if len(at) > 0 && !p.poppedRet(t) {
		// Not a return: a catch block or a longjmp joined the caller's
		// code at the return address. The calls are gone all the same.
		return false
	}
	now := time.Now()
	stop := false
	for i := len(at) - 1; i >= 0; i-- {
		c := at[i]
		bp := c.Breakpoint
		if c.RetAddr != t.regs.Rip || bp.cleared || bp.OnReturn == nil {
			continue
		}
		c.End, c.ReturnRegs = now, t.regs
		if bp.OnReturn(t, bp, c) && p.rets.stop == nil {
			p.rets.stop, stop = c, true
		}
	}
	return stop
}

// poppedRet says whether t, stopped at a return address with the height
// of a call's caller, came there by a ret: the slot the ret popped still
// holds the address. Code that reaches the address another way (the catch
// block of a C++ exception, which joins the normal path there at -O2, or
// a longjmp) has called something since the call, and that call's return
// address took the slot. A signal handler's frame leaves the slot alone
// (it skips the red zone).
func (p *Process) poppedRet(t *Thread) bool {
	var b [8]byte
	if n, _ := p.readMem(t.regs.Rsp-8, b[:]); n != 8 {
		return true // as before: pair by height alone
	}
	return binary.LittleEndian.Uint64(b[:]) == t.regs.Rip
}

// dropCalls forgets the pending calls for which drop says so.
func (p *Process) dropCalls(drop func(*Call) bool) {
	for key, st := range p.rets.stacks {
		keep := st[:0]
		for _, c := range st {
			if drop(c) {
				p.releaseCall(c)
			} else {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			delete(p.rets.stacks, key)
		} else {
			p.rets.stacks[key] = keep
		}
	}
}

// forgetCalls drops every pending call without touching memory (the
// process ended, exec'd, or its int3s were all taken out).
func (p *Process) forgetCalls() {
	for _, st := range p.rets.stacks {
		for _, c := range st {
			c.Breakpoint.pending--
		}
	}
	for _, s := range p.rets.sites {
		s.bp.cleared = true
		p.bps.drop(s.bp)
	}
	p.rets = retProbes{}
}

// PendingReturns counts the calls counted at bp's entry that have neither
// returned nor been dropped. With the process stopped, a call whose frame
// is gone (longjmp, an exception, a Go panic, a dead goroutine) is dropped
// first.
func (bp *Breakpoint) PendingReturns() int {
	n := 0
	bp.p.e.Do(func() {
		bp.p.sweepCalls()
		n = bp.pending
	})
	return n
}

// sweepCalls drops the calls whose frames are gone, as far as the stopped
// threads show.
func (p *Process) sweepCalls() {
	if len(p.rets.stacks) == 0 || p.live() != nil {
		return
	}
	for key, st := range p.rets.stacks {
		pos, pc, hi, ok := p.heightOf(key, st[0])
		switch {
		case !ok:
		case pos == 0: // its thread or goroutine is gone
			p.unwind(key, func(*Call) bool { return true }, 0)
		default:
			p.unwind(key, func(c *Call) bool {
				// Gone if its return address was overwritten (the slot
				// serves another call now), or if the thread runs above
				// the frame, unless it stands at the return address,
				// about to trap there.
				slot := c.pos
				if hi != 0 {
					slot = hi - (math.MaxUint64 - c.pos)
				}
				var b [8]byte
				if n, _ := p.readMem(slot, b[:]); n == 8 && binary.LittleEndian.Uint64(b[:]) != c.RetAddr {
					return true
				}
				return pos > c.pos && !(pos == c.pos+8 && pc == c.RetAddr)
			}, 0)
		}
	}
}

// heightOf returns the current height (see frameOf) and pc of stack key
// (c is one of its calls), and for a goroutine the top of its stack: pos 0
// when its thread or goroutine is gone; false when it cannot be told (its
// thread runs, or its goroutine runs on one).
func (p *Process) heightOf(key callKey, c *Call) (pos, pc, hi uint64, ok bool) {
	if key.goid == 0 {
		t := p.threads[key.tid]
		if t == nil || t.state == tsGone || t.state == tsExiting {
			return 0, 0, 0, true // past its exit event, it never runs a ret again
		}
		if t.state != tsStopped || t.loadRegs() != nil {
			return 0, 0, 0, false
		}
		return t.regs.Rsp, t.regs.Rip, 0, true
	}
	rt := p.goRT()
	g, err := rt.ReadG(symMemory{p}, c.g)
	if err != nil {
		return 0, 0, 0, false
	}
	if g.ID != key.goid || g.Status == goruntime.StatusDead {
		return 0, 0, 0, true
	}
	sp, pc := g.SP, g.PC
	if g.Status == goruntime.StatusRunning {
		sp = 0
		for _, t := range p.threads {
			if t.state != tsStopped || t.loadRegs() != nil {
				continue
			}
			if k, _, _ := p.frameOf(t); k == key {
				sp, pc = t.regs.Rsp, t.regs.Rip
				break
			}
		}
	}
	if sp == 0 || sp < g.StackLo || sp >= g.StackHi {
		return 0, 0, 0, false
	}
	return math.MaxUint64 - (g.StackHi - sp), pc, g.StackHi, true
}
