package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

// Call is one call of a function whose entry a breakpoint with on_return
// counted (Starlark type "call"): its arguments as they were at the entry,
// and, once it returned, what it returned. Both are read from copies of
// the registers of those two stops (core.Call's EntryRegs and ReturnRegs)
// when the script asks; what is in vector registers or memory is copied at
// the stop itself, which is where it could change.
type Call struct {
	bp     *Breakpoint
	c      *core.Call
	thread *Thread // the thread that made the call
	fn     *fnInfo // the function's

	args, ret       starlark.Value // nil until read
	argsErr, retErr error
}

// fnInfo is what the calls of one function share: its name and DWARF, and
// whether its arguments and results must be copied at their stop.
type fnInfo struct {
	name      string
	scope     *dwarfvars.Frame // nil without DWARF
	argsEager bool             // an argument is in a vector register or in memory
	retKnown  bool             // retEager was decided, at a first return
	retEager  bool             // a result is in a vector register or in memory
}

var _ starlark.HasAttrs = (*Call)(nil)

func (c *Call) String() string {
	s := fmt.Sprintf("<call %s depth=%d", c.fn.name, c.c.Depth)
	if !c.c.End.IsZero() {
		if ret, err := c.result(); err == nil {
			s += fmt.Sprintf(" ret=%s", ret)
		}
		s += fmt.Sprintf(" duration=%.6fs", c.c.Duration().Seconds())
	}
	return s + ">"
}
func (c *Call) Type() string          { return "call" }
func (c *Call) Freeze()               {}
func (c *Call) Truth() starlark.Bool  { return true }
func (c *Call) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: call") }
func (c *Call) Attr(name string) (starlark.Value, error) {
	return getAttr(c, callFields, nil, name)
}
func (c *Call) AttrNames() []string { return attrNames(callFields, nil) }

// arguments returns the call's arguments, read on first use from the
// registers of the entry.
func (c *Call) arguments() (starlark.Value, error) {
	if c.args == nil && c.argsErr == nil {
		vf, err := c.bp.p.p.HitFrame(&c.c.EntryRegs)
		if err != nil {
			return nil, err
		}
		c.args, c.argsErr = c.bp.p.entryArgs(vf, c.fn.scope, false)
	}
	return c.args, c.argsErr
}

// result returns what the call returned, read on first use from the
// registers of the return.
func (c *Call) result() (starlark.Value, error) {
	if c.ret == nil && c.retErr == nil {
		vf, err := c.bp.p.p.HitFrame(&c.c.ReturnRegs)
		if err != nil {
			return nil, err
		}
		c.ret, c.retErr = c.bp.p.resultsOf(vf, c.fn.scope, false)
	}
	return c.ret, c.retErr
}

var callFields = fields[*Call]{
	"ret": {func(c *Call) (starlark.Value, error) {
		ret, err := c.result()
		if err != nil {
			return nil, fmt.Errorf("call.ret: %w", err)
		}
		return ret, nil
	}, `ret: what the call returned: a value of the function's return type when DWARF
describes it (integers and pointers from rax and rdx, floating point from xmm0
and xmm1, a struct returned in registers put together, one returned in memory
read at the address the callee returns in rax; a copy made at the return), a
tuple of values for a Go function with several results, None for a void
function, and rax as an int when no type is known.`},
	"args": {func(c *Call) (starlark.Value, error) {
		args, err := c.arguments()
		if err != nil {
			return nil, fmt.Errorf("call.args: %w", err)
		}
		return args, nil
	}, `args: the arguments as they were at the entry (a copy: registers are reused
before the return), a list of values; without DWARF, the integer argument
registers as ints (rdi, rsi, rdx, rcx, r8, r9; in Go, rax, rbx, rcx, rdi, rsi,
r8-r11).`},
	"duration": {func(c *Call) (starlark.Value, error) { return starlark.Float(c.c.Duration().Seconds()), nil },
		"duration: seconds from the entry hit to the return, as the debugger measured them."},
	"depth": {func(c *Call) (starlark.Value, error) { return starlark.MakeInt(c.c.Depth), nil },
		`depth: how many calls of the breakpoint's function were pending on the thread
(in Go, on the goroutine) when this one started: 0 for the outermost.`},
	"thread": {func(c *Call) (starlark.Value, error) { return c.thread, nil },
		"thread: the thread that made the call (in Go the return may come on another)."},
}

// startCall makes the Starlark side of the call that ct's counted hit of
// bp started. The first call of a function finds its DWARF; the arguments
// are copied now only where registers do not keep them (vector registers,
// memory).
func (bp *Breakpoint) startCall(ct *core.Thread, cc *core.Call) {
	c := &Call{bp: bp, c: cc, thread: bp.p.thread(ct)}
	cc.Data = c
	pc := cc.EntryRegs.Rip
	c.fn = bp.fns[pc]
	var vf *core.VarFrame
	if c.fn == nil {
		c.fn = &fnInfo{name: "??"}
		if vfs, err := ct.VarFrames(1); err == nil && len(vfs) > 0 {
			vf = vfs[0]
			c.fn.init(vf)
		}
		if bp.fns == nil {
			bp.fns = map[uint64]*fnInfo{}
		}
		bp.fns[pc] = c.fn
	}
	if !c.fn.argsEager {
		return
	}
	if vf == nil {
		vfs, err := ct.VarFrames(1)
		if err != nil || len(vfs) == 0 {
			c.argsErr = fmt.Errorf("thread %d has no frame: %v", ct.Tid(), err)
			return
		}
		vf = vfs[0]
	}
	c.args, c.argsErr = bp.p.entryArgs(vf, c.fn.scope, true)
}

// init finds the function of frame vf (at its first instruction) and
// whether its arguments must be copied at the entry.
func (f *fnInfo) init(vf *core.VarFrame) {
	if vf.Function != "" {
		f.name = vf.Function
	}
	if vf.Vars == nil {
		return
	}
	scopes, _ := vf.Vars.FramesAt(vf.LinkPC())
	if len(scopes) == 0 || scopes[len(scopes)-1].Inlined {
		return
	}
	f.scope = scopes[len(scopes)-1]
	locs, err := dwarfvars.EntryLocations(f.scope, vf.Ctx.Env())
	f.argsEager = err == nil && !inRegisters(locs...)
}

// inRegisters reports whether the locations are all in general registers
// (or implicit), which a copy of the registers keeps.
func inRegisters(locs ...dwarfvars.Location) bool {
	for _, l := range locs {
		for _, p := range l.Pieces {
			if p.Kind == dwarfvars.InMemory || p.Kind == dwarfvars.InRegister && p.Reg >= 17 {
				return false
			}
		}
	}
	return true
}

// endCall records the return of call c on thread ct: the result is copied
// now where the registers do not keep it.
func (c *Call) endCall(ct *core.Thread) {
	if c.fn.retKnown && !c.fn.retEager {
		return
	}
	vfs, err := ct.VarFrames(1)
	if err != nil || len(vfs) == 0 {
		c.retErr = fmt.Errorf("thread %d has no frame: %v", ct.Tid(), err)
		return
	}
	if !c.fn.retKnown && c.fn.scope != nil {
		res, err := dwarfvars.Results(c.fn.scope, vfs[0].Ctx.Env())
		c.fn.retEager = err != nil
		for _, r := range res {
			c.fn.retEager = c.fn.retEager || !inRegisters(r.Loc)
		}
	}
	c.fn.retKnown = true
	if c.fn.retEager {
		c.ret, c.retErr = c.bp.p.resultsOf(vfs[0], c.fn.scope, true)
	}
}

// entryArgs reads the arguments of the function whose first instruction
// frame vf stands on, as values in its registers (a copy of them) and
// memory, or with copy as copies of their bytes now: where sc (its DWARF)
// says what they are, else the integer argument registers as ints.
func (p *Process) entryArgs(vf *core.VarFrame, sc *dwarfvars.Frame, copy bool) (starlark.Value, error) {
	if sc == nil {
		regs := []int{5, 4, 1, 2, 8, 9} // rdi, rsi, rdx, rcx, r8, r9
		if vf.Module != nil && vf.Module.Go {
			regs = []int{0, 3, 2, 5, 4, 8, 9, 10, 11} // rax, rbx, rcx, rdi, rsi, r8-r11
		}
		var out []starlark.Value
		for _, r := range regs {
			v, err := vf.Ctx.Reg(r)
			if err != nil {
				return nil, err
			}
			out = append(out, starlark.MakeUint64(v))
		}
		return starlark.NewList(out), nil
	}
	locs, err := dwarfvars.EntryLocations(sc, vf.Ctx.Env())
	if err != nil {
		return nil, err
	}
	var out []starlark.Value
	for i, v := range sc.Params {
		if v.Result {
			continue
		}
		val, err := p.callValue(v.Name, v.Type, locs[i], vf, sc, copy)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", v.Name, err)
		}
		out = append(out, val)
	}
	return starlark.NewList(out), nil
}

// callValue makes the value of an argument or result of type t at loc,
// seen from frame vf of function sc: with copy, a copy of its bytes now.
func (p *Process) callValue(name string, t dwarfvars.Type, loc dwarfvars.Location, vf *core.VarFrame, sc *dwarfvars.Frame, copy bool) (starlark.Value, error) {
	if copy {
		b, err := dwarfvars.ReadBytes(loc, t.Size(), vf.Ctx)
		if err != nil {
			return nil, err
		}
		loc = dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: b}}}
	}
	return newValue(name, t, loc, vf.Ctx, vf.Vars, p, sc.Function).starlark(), nil
}

// resultsOf returns the results of the function fn (its DWARF, or nil:
// rax as an int) as frame vf, at its return address, has them (with copy,
// copies of their bytes now): None, a value, or a tuple of values for
// several. call.ret and t.finish()'s ret are made by it.
func (p *Process) resultsOf(vf *core.VarFrame, fn *dwarfvars.Frame, copy bool) (starlark.Value, error) {
	if fn == nil {
		rax, err := vf.Ctx.Reg(0)
		if err != nil {
			return nil, err
		}
		return starlark.MakeUint64(rax), nil
	}
	res, err := dwarfvars.Results(fn, vf.Ctx.Env())
	if err != nil {
		return nil, err
	}
	vals := make(starlark.Tuple, len(res))
	for i, r := range res {
		name := r.Name
		if name == "" {
			name = fn.Function + "()"
		}
		if vals[i], err = p.callValue(name, r.Type, r.Loc, vf, fn, copy); err != nil {
			return nil, fmt.Errorf("result %s: %w", name, err)
		}
	}
	switch len(vals) {
	case 0:
		return starlark.None, nil
	case 1:
		return vals[0], nil
	}
	return vals, nil
}
