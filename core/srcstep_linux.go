package core

import (
	"errors"
	"slices"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/core/goruntime"
	"stardbg/core/sym"
)

// Source-level stepping: Next, StepIn, Finish and Until, as gdb's next,
// step, finish and until/advance do them.
//
// A line is stepped one instruction at a time, with only the stepping
// thread running (Thread.Step), until the pc leaves the address range of
// the line-table entry it was in (sym.Table.StepLine, gdb's find_pc_line)
// and stands at the first address of an entry of another line that is a
// statement; in the middle of an entry, or at an entry of the same line,
// it goes on. A call is not single-stepped through: the whole process runs
// (every thread, as cont) to its return address, where an internal
// breakpoint stops only the frame that made the call (the thread, or on Go
// the goroutine, and the stack pointer the call returns with), so that
// recursion, other threads and other goroutines running the same code pass
// it. A system call instruction runs the same way, so that one that blocks
// until another thread acts cannot hang the step. What happens before the
// step ends (a breakpoint whose callback stops, a signal that stops, the
// exit) is the step's result; a breakpoint that a single step lands on
// counts as hit there, as in gdb.

// ErrNoCaller is the error of Finish and Until in the outermost frame.
var ErrNoCaller = errors.New("the outermost frame has no caller to return to")

// Next runs t to the next source line of its function, stepping over calls
// (breakpoints inside them still fire), and out to the caller when the
// function returns, as gdb's next. The event is EventStep on t when the
// step ended, else what happened first.
func (t *Thread) Next() (*Event, error) { return t.srcStep(t.lineStep, false) }

// StepIn is Next entering the calls it meets, as gdb's step: a function
// with line information is entered and the step ends past its frame setup
// (where gdb's step stops); one without (a library without debug
// information, a PLT stub that is not bound yet) is stepped over.
func (t *Thread) StepIn() (*Event, error) { return t.srcStep(t.lineStep, true) }

// Finish runs t until its current function returns to its caller, as gdb's
// finish: the event is EventStep with t at the return address, where the
// caller resumes. A return of a deeper (recursive) call of the same
// function, or of the same code on another thread or goroutine, does not
// end it.
func (t *Thread) Finish() (*Event, error) { return t.srcStep(t.finish, false) }

// Until runs the process until t (or on Go its goroutine) reaches one of
// addrs in its current frame or in a frame outside it, or until the
// current frame returns, as gdb's until and advance.
func (t *Thread) Until(addrs []uint64) (*Event, error) {
	return t.srcStep(func(bool) (*Event, error) { return t.until(addrs) }, false)
}

// srcStep runs one source-level step on the tracer thread. The step's own
// event (EventStep) is shown to the engine's observer once, when it ends.
func (t *Thread) srcStep(step func(into bool) (*Event, error), into bool) (*Event, error) {
	var ev *Event
	var err error
	p := t.p
	p.e.Do(func() {
		if err = t.canStep(); err != nil {
			return
		}
		if len(p.events) > 0 {
			ev, err = p.next()
			return
		}
		p.stepStop.Store(false)
		if ev, err = step(into); ev != nil && !ev.observed {
			p.observe(ev)
		}
	})
	return ev, err
}

// stepDone is the event of a completed source step of t.
func (t *Thread) stepDone() *Event {
	return &Event{Kind: EventStep, Process: t.p, Thread: t, Tid: t.tid}
}

// finished says whether ev ends the step: it is not a completed step.
func finished(ev *Event) bool { return ev.Kind != EventStep }

// lineStep is Next (into false) and StepIn (into true).
func (t *Thread) lineStep(into bool) (*Event, error) {
	p := t.p
	tab, err := p.symbols()
	if err != nil {
		return nil, err
	}
	if err := t.loadRegs(); err != nil {
		return nil, err
	}
	st := lineState{}
	cur, _ := tab.StepLine(t.regs.Rip)
	if cur.Line == 0 {
		if into {
			// gdb's step in code without lines is stepi.
			return t.stepInsn(false)
		}
		// gdb's next runs out of a function without lines ("single
		// stepping until exit"), and then to the next line start.
		ev, err := t.finish(false)
		if err != nil || finished(ev) {
			return ev, err
		}
		t, st.returned = ev.Thread, true
		if err := t.loadRegs(); err != nil {
			return nil, err
		}
		e, _ := tab.StepLine(t.regs.Rip)
		if e.Line == 0 {
			return ev, nil
		}
		cur = e
		cur.Line = 0 // any line start ends it, as after a return below
	}
	st.lo, st.hi, st.line, st.file = cur.Start, cur.End, cur.Line, cur.File
	st.fnLo, st.fnHi, _ = tab.FuncBounds(t.regs.Rip)
	for {
		if p.stepStop.Load() {
			p.stepStop.Store(false)
			return &Event{Kind: EventStopped, Process: p, Thread: t, Tid: t.tid}, nil
		}
		nt, ev, end, err := t.lineInsn(tab, &st, into)
		if err != nil || end {
			return ev, err
		}
		t = nt
		if err := t.loadRegs(); err != nil {
			return nil, err
		}
		pc := t.regs.Rip
		if pc >= st.lo && pc < st.hi {
			continue
		}
		e, _ := tab.StepLine(pc)
		if e.Line == 0 {
			return t.stepDone(), nil // out of the code with lines: gdb stops too
		}
		refresh := true
		if e.At(pc) && (e.Line != st.line || e.File != st.file) {
			switch {
			case e.Stmt:
				return t.stepDone(), nil
			case !st.returned:
				refresh = false // not a statement: on to a better place
			default:
				e.Line = 0 // a new frame: any line start after this one ends it
			}
		}
		st.lo, st.hi = e.Start, e.End
		if refresh {
			st.line, st.file, st.returned = e.Line, e.File, false
			st.fnLo, st.fnHi, _ = tab.FuncBounds(pc)
		}
	}
}

// lineState is what a line step steps through: gdb's step range, the line
// it started from, and the function.
type lineState struct {
	lo, hi     uint64 // the range of the line-table entry being stepped
	line       int    // its line (0 after a return into the middle of a line)
	file       string
	fnLo, fnHi uint64 // the function being stepped
	returned   bool   // the function returned: the frame is its caller's
}

// lineInsn executes the instruction at t's pc for a line step, and returns
// the thread to go on with (on Go, the goroutine may have moved to another
// thread) and EventStep when it ran. A call and a system call are run over;
// with into, a call to a function with lines is entered instead, and the
// step ends in it. end says that the step ends with ev: that, or something
// else happened first (a breakpoint the instruction lands on counts as hit).
func (t *Thread) lineInsn(tab *sym.Table, st *lineState, into bool) (nt *Thread, ev *Event, end bool, err error) {
	p := t.p
	pc, sp := t.regs.Rip, t.regs.Rsp
	var code [15]byte
	n, _ := p.readMemory(pc, code[:])
	in, derr := x86asm.Decode(code[:n], 64)
	over := derr == nil && syscallOp(in.Op) // run over, to the next instruction
	if derr == nil && in.Op == x86asm.CALL {
		if into {
			if ev, err := t.stepLanding(); err != nil || finished(ev) {
				return t, ev, true, err
			}
			if ev, err := t.enter(tab, t.regs.Rip); err != nil || ev != nil {
				return t, ev, true, err
			}
			// Not entered: run until it returns.
		}
		over = true
	}
	if over {
		ev, err := t.runTo([]uint64{pc + uint64(in.Len)}, p.sameFrame(t, sp))
		if err != nil || finished(ev) {
			return t, ev, true, err
		}
		return ev.Thread, ev, false, nil
	}
	if ev, err = t.stepLanding(); err != nil || finished(ev) {
		return t, ev, true, err
	}
	if derr == nil && in.Op == x86asm.RET {
		st.returned = true
		return t, ev, false, nil
	}
	if now := t.regs.Rip; st.fnHi != 0 && (now < st.fnLo || now >= st.fnHi) && !st.returned {
		// A jump out of the function: a tail call. Entered with into
		// when it has lines; else run until it returns, to our caller.
		if into {
			if ev, err := t.enter(tab, now); err != nil || ev != nil {
				return t, ev, true, err
			}
		}
		ev, err := t.finish(false)
		if err != nil || finished(ev) {
			return t, ev, true, err
		}
		st.returned = true
		return ev.Thread, ev, false, nil
	}
	return t, ev, false, nil
}

// stepLanding single-steps t, quietly, and runs the callbacks of the
// breakpoints at the address the instruction lands on, as a hit there: the
// event is that hit's when one stops, else EventStep, with t's registers
// loaded.
func (t *Thread) stepLanding() (*Event, error) {
	p := t.p
	ev, err := t.stepInsn(true)
	if err != nil || finished(ev) {
		return ev, err
	}
	if err := t.loadRegs(); err != nil {
		return nil, err
	}
	if s := p.bps.sites[t.regs.Rip]; s != nil && t.stop.over == nil {
		if hit := p.runHit(t, s); hit != nil {
			return hit, nil
		}
		if len(p.events) > 0 {
			return p.next() // a callback failed
		}
	}
	return ev, nil
}

// enter is a step into the function t just entered at entry: when it has
// line information (through a PLT stub, the function the stub is for, even
// before the dynamic linker has bound it), the
// process runs to where gdb's step stops in it, and the event says how that
// ended; nil when the function is to be stepped over.
func (t *Thread) enter(tab *sym.Table, entry uint64) (*Event, error) {
	p := t.p
	target := entry
	if tab.InPLT(entry) {
		var ok bool
		if target, ok = tab.PLTTarget(entry); !ok {
			return nil, nil
		}
	}
	body, ok := tab.StepInto(target)
	if !ok {
		return nil, nil
	}
	if body == t.regs.Rip {
		return t.stepDone(), nil
	}
	return t.runTo([]uint64{body}, p.sameGoroutine(t))
}

// finish runs t until its current frame returns to its caller.
func (t *Thread) finish(bool) (*Event, error) {
	ret, cfa, err := t.callerOf()
	if err != nil {
		return nil, err
	}
	return t.runTo([]uint64{ret}, t.p.sameFrame(t, cfa))
}

// callerOf returns the return address of t's innermost frame and its CFA:
// the stack pointer the caller has once the frame has returned.
func (t *Thread) callerOf() (ret, cfa uint64, err error) {
	tab, regs, err := t.unwindStart()
	if err != nil {
		return 0, 0, err
	}
	frames := tab.Backtrace(&regs, symMemory{t.p}, 2)
	if len(frames) < 2 || frames[0].CFA == 0 || frames[1].PC == 0 {
		return 0, 0, &ThreadError{Pid: t.p.pid, Tid: t.tid, Err: ErrNoCaller}
	}
	return frames[1].PC, frames[0].CFA, nil
}

// until is Until on the tracer thread.
func (t *Thread) until(addrs []uint64) (*Event, error) {
	p := t.p
	ret, cfa, err := t.callerOf()
	if err != nil {
		return nil, err
	}
	returned := p.sameFrame(t, cfa)
	o := p.ownerOf(t)
	top, _ := o.depth(t, cfa)
	tab, _ := p.symbols()
	match := func(ht *Thread) bool {
		if ht.regs.Rip == ret && returned(ht) {
			return true
		}
		if !slices.Contains(addrs, ht.regs.Rip) {
			return false
		}
		// In the frame that was current or an outer one: its CFA is
		// no deeper than that frame's.
		f := tab.InnerFrame(&ht.regs, symMemory{p})
		d, ok := o.depth(ht, f.CFA)
		return ok && f.CFA != 0 && d <= top
	}
	return t.runTo(append([]uint64{ret}, addrs...), match)
}

// runTo resumes every thread of the stopped process, t stepping first over
// a breakpoint it stands on, until a thread for which match holds reaches
// one of addrs, and returns EventStep on that thread; or else the event
// that came first. match runs at each arrival, as a breakpoint callback,
// with the thread's registers loaded.
func (t *Thread) runTo(addrs []uint64, match func(*Thread) bool) (*Event, error) {
	p := t.p
	var at *Thread
	bp := &Breakpoint{Internal: true, p: p, enabled: true}
	bp.OnHit = func(ht *Thread, _ *Breakpoint) bool {
		if at != nil || ht.loadRegs() != nil || !match(ht) {
			return false
		}
		at = ht
		return true
	}
	p.bps.list = append(p.bps.list, bp)
	defer func() {
		for _, a := range bp.addrs {
			if err := p.unplant(a, bp, p.live() == nil); err != nil {
				p.fail(t, err)
			}
		}
		bp.addrs, bp.cleared = nil, true
		p.bps.drop(bp)
	}()
	for _, a := range addrs {
		if bp.hasAddr(a) {
			continue
		}
		if err := p.plant(a, bp); err != nil {
			return nil, err
		}
		bp.addrs = append(bp.addrs, a)
	}
	if t.stop.over == nil && t.loadRegs() == nil {
		t.stop.over = p.bps.sites[t.regs.Rip]
	}
	p.state = Running
	p.running.Store(true)
	p.resumeAll()
	ev, err := p.wait(0)
	if err != nil {
		return nil, err
	}
	p.stepStop.Store(false) // a Stop meanwhile is the event, or came after it
	if ev.Kind == EventBreakpoint && ev.Breakpoint == bp {
		return at.stepDone(), nil
	}
	return ev, nil
}

// A stepOwner is what a step follows: on Go the goroutine it started on,
// which may move to another thread and whose stack may move; else the
// thread.
type stepOwner struct {
	p    *Process
	t    *Thread
	goid int64 // 0: follow t
}

// ownerOf returns the owner of a step of t: the goroutine t runs, when it
// runs one (not on a system stack), else t.
func (p *Process) ownerOf(t *Thread) stepOwner {
	o := stepOwner{p: p, t: t}
	if id, _, ok := p.goFrame(t); ok {
		o.goid = id
	}
	return o
}

// goFrame returns the id of the goroutine stopped thread t runs and the
// top of its stack; ok is false outside a Go program's goroutines.
func (p *Process) goFrame(t *Thread) (id int64, hi uint64, ok bool) {
	gr, _, err := p.goRuntimeOf()
	if err != nil || t.loadRegs() != nil {
		return 0, 0, false
	}
	g, err := gr.rt.Current(symMemory{p}, goruntime.Regs{SP: t.regs.Rsp, R14: t.regs.R14, FSBase: t.regs.Fs_base})
	if err != nil || g == nil || g.System() {
		return 0, 0, false
	}
	return g.ID, g.StackHi, true
}

// depth says whether stopped thread ht runs the owner, and how deep stack
// address addr of ht is: the distance from the goroutine's stack top,
// which a moved stack keeps, or on a thread a number that grows as addr
// goes down.
func (o stepOwner) depth(ht *Thread, addr uint64) (uint64, bool) {
	if o.goid != 0 {
		id, hi, ok := o.p.goFrame(ht)
		return hi - addr, ok && id == o.goid
	}
	return ^addr, ht == o.t
}

// sameFrame returns a match for runTo that holds for t's frame (on Go, its
// goroutine's, wherever it runs) whose stack pointer is sp, as it is when
// the call made from there returns.
func (p *Process) sameFrame(t *Thread, sp uint64) func(*Thread) bool {
	o := p.ownerOf(t)
	want, _ := o.depth(t, sp)
	return func(ht *Thread) bool {
		d, ok := o.depth(ht, ht.regs.Rsp)
		return ok && d == want
	}
}

// sameGoroutine returns a match for runTo that holds for t, or on Go for
// its goroutine.
func (p *Process) sameGoroutine(t *Thread) func(*Thread) bool {
	o := p.ownerOf(t)
	return func(ht *Thread) bool {
		_, ok := o.depth(ht, 0)
		return ok
	}
}
