package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

// Call is one call of a function whose entry a breakpoint with on_return
// counted (Starlark type "call"): its arguments as they were at the entry,
// and, once it returned, what it returned.
type Call struct {
	bp     *Breakpoint
	c      *core.Call
	thread *Thread // the thread that made the call

	fn      string           // the function's name, for str()
	scope   *dwarfvars.Frame // the function's DWARF, nil without
	vars    *dwarfvars.Data
	args    starlark.Value
	argsErr error
	ret     starlark.Value
	retErr  error
}

var _ starlark.HasAttrs = (*Call)(nil)

func (c *Call) String() string {
	s := fmt.Sprintf("<call %s depth=%d", c.fn, c.c.Depth)
	if c.ret != nil {
		s += fmt.Sprintf(" ret=%s duration=%.6fs", c.ret, c.c.Duration().Seconds())
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

var callFields = fields[*Call]{
	"ret": {func(c *Call) (starlark.Value, error) {
		if c.retErr != nil {
			return nil, fmt.Errorf("call.ret: %w", c.retErr)
		}
		return c.ret, nil
	}, `ret: what the call returned: a value of the function's return type when DWARF
describes it (integers and pointers from rax and rdx, floating point from xmm0
and xmm1, a struct returned in registers put together, one returned in memory
read at the address the callee returns in rax; a copy made at the return), a
tuple of values for a Go function with several results, None for a void
function, and rax as an int when no type is known.`},
	"args": {func(c *Call) (starlark.Value, error) {
		if c.argsErr != nil {
			return nil, fmt.Errorf("call.args: %w", c.argsErr)
		}
		return c.args, nil
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
// bp started, with its arguments read now.
func (bp *Breakpoint) startCall(ct *core.Thread, cc *core.Call) {
	c := &Call{bp: bp, c: cc, thread: bp.p.thread(ct), fn: "??"}
	cc.Data = c
	vfs, err := ct.VarFrames(1)
	if err != nil || len(vfs) == 0 {
		c.args, c.argsErr = nil, err
		return
	}
	vf := vfs[0]
	if vf.Function != "" {
		c.fn = vf.Function
	}
	if vf.Vars != nil {
		if scopes, _ := vf.Vars.FramesAt(vf.LinkPC()); len(scopes) > 0 && !scopes[len(scopes)-1].Inlined {
			c.scope, c.vars = scopes[len(scopes)-1], vf.Vars
		}
	}
	c.args, c.argsErr = bp.p.entryArgs(ct, vf, c.scope)
}

// entryArgs reads the arguments of the function whose first instruction
// frame vf of thread ct stands on: copies of their values where sc (its DWARF) says
// what they are, else the integer argument registers.
func (p *Process) entryArgs(ct *core.Thread, vf *core.VarFrame, sc *dwarfvars.Frame) (starlark.Value, error) {
	if sc == nil {
		abi := "c"
		if vf.Module != nil && vf.Module.Go {
			abi = "go"
		}
		var out []starlark.Value
		for _, r := range argRegs[abi] {
			v, err := ct.Reg(r)
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
		val, err := p.snapshot(v.Name, v.Type, locs[i], vf, sc)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", v.Name, err)
		}
		out = append(out, val)
	}
	return starlark.NewList(out), nil
}

// snapshot reads the object of type t at loc now and returns it as a
// value that keeps these bytes.
func (p *Process) snapshot(name string, t dwarfvars.Type, loc dwarfvars.Location, vf *core.VarFrame, sc *dwarfvars.Frame) (starlark.Value, error) {
	b, err := dwarfvars.ReadBytes(loc, t.Size(), vf.Ctx)
	if err != nil {
		return nil, err
	}
	copied := dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: b}}}
	return newValue(name, t, copied, vf.Ctx, vf.Vars, p, sc.Function).starlark(), nil
}

// returnValue reads what a call of the function fn (its DWARF, or nil)
// returned, with thread ct stopped at the return address: as call.ret
// describes it. t.finish() gives its event's ret the same way.
func (p *Process) returnValue(ct *core.Thread, fn *dwarfvars.Frame) (starlark.Value, error) {
	vfs, err := ct.VarFrames(1)
	if err != nil {
		return nil, err
	}
	if len(vfs) == 0 {
		return nil, fmt.Errorf("thread %d has no frame", ct.Tid())
	}
	vf := vfs[0]
	if fn == nil {
		rax, err := ct.Reg(core.RAX)
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
		if vals[i], err = p.snapshot(name, r.Type, r.Loc, vf, fn); err != nil {
			return nil, fmt.Errorf("%s: %w", strings.TrimSuffix(name, "()"), err)
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
