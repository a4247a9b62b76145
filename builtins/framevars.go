package builtins

import (
	"errors"
	"fmt"
	"path"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
	"stardbg/core/sym"
)

var frameMethods = methods{
	"var": {frameVar, `var(name) -> value

The variable called name as C scoping sees it from the frame's pc: a local of
the innermost lexical block first, then the outer blocks, the function's
arguments, the statics of its file, and globals. In an outer frame, variables
in registers read what the unwinder recovered (callee-saved registers); one in
a register the callee clobbered is optimized out. At a function's first
instruction (a breakpoint on "func"), arguments are read where the SysV
caller passed them (rdi, rsi, ..., xmm0-7, the stack), at every optimization
level. An unknown name fails with the closest names in scope; a variable the
compiler optimized away at this pc fails with "optimized out" and the place.
A value reads memory when it is used, but the frame's registers as they were
when the frame was made: after the thread runs, take t.frame() again.

In a Go function: package globals are found by their qualified name
("main.config"), a variable that escaped to the heap by its own name; at the
entry, arguments (the receiver first, by its name) are where Go's register
ABI passed them (rax, rbx, rcx, rdi, rsi, r8-r11, x0-x14, then the stack); in
an outer frame of Go code no register survives the call (Go saves none), so
variables held in one there are optimized out.`},
	"args": {frameArgs, `args() -> list of value

The function's arguments, in declaration order. One that is optimized out at
this pc is a value whose available is False.`},
	"eval": {frameEval, frameEvalDoc},
	"locals": {frameLocals, `locals() -> list of value

The local variables in scope at the frame's pc, in declaration order: the
function's own first, then those of each nested block that contains the pc.
A shadowed name appears once per declaration.`},
}

const frameDoc = `frame(i=0) -> frame

Frame i of a stopped thread, counting inlined calls as frames as backtrace()
does: frame 0 is where the thread is.`

// where is the frame's place for messages: "typed.c:131", or its pc.
func (fr *Frame) where() string {
	if fr.f.File != "" && fr.f.Line > 0 {
		return fmt.Sprintf("%s:%d", path.Base(fr.f.File), fr.f.Line)
	}
	return fmt.Sprintf("%#x", fr.f.PC)
}

// scope returns the frame's function scope, or an error for a frame
// without DWARF.
func (fr *Frame) scope(b *starlark.Builtin) (*dwarfvars.Frame, error) {
	if fr.sc != nil {
		return fr.sc, nil
	}
	if fr.vf != nil && fr.vf.VarsErr != nil {
		return nil, wrapErr(b, fr.vf.VarsErr)
	}
	name := fr.f.Function
	if name == "" {
		name = "??"
	}
	if fr.vf != nil && fr.vf.Module != nil && fr.vf.Module.Go && fr.vf.Vars == nil {
		// Functions and lines come from .gopclntab; variables need DWARF.
		return nil, errorf(b, "no DWARF in %s (built with -ldflags=-w or stripped?): variables by name need it, at %s in %s",
			fr.vf.Module.Name, fr.where(), name)
	}
	return nil, errorf(b, "no debug information for %s at %s", name, fr.where())
}

// atEntry reports whether the frame is its function's concrete frame at
// the function's first instruction.
func (fr *Frame) atEntry() bool {
	return fr.vf != nil && fr.vf.Index == 0 && !fr.inlined && fr.f.Entry != 0 && fr.f.PC == fr.f.Entry
}

// varValue makes the value of variable v in the frame.
func (fr *Frame) varValue(v *dwarfvars.Variable) (*Value, error) {
	sc := fr.sc
	var loc dwarfvars.Location
	var err error
	if v.Kind == dwarfvars.Param && fr.atEntry() {
		if fr.entry == nil {
			if fr.entry, err = dwarfvars.EntryLocations(sc, fr.vf.Ctx.Env()); err != nil {
				fr.entry = nil
			}
		}
		for i, p := range sc.Params {
			if p == v && fr.entry != nil {
				return newValue(v.Name, v.Type, fr.entry[i], fr.vf.Ctx, fr.vf.Vars, fr.proc, fr.where()), nil
			}
		}
	}
	var f *dwarfvars.Frame
	if v.Kind == dwarfvars.Local || v.Kind == dwarfvars.Param {
		f = sc
	}
	if loc, err = fr.vf.Vars.Location(v, f, fr.vf.LinkPC(), fr.vf.Ctx.Env()); err != nil {
		return nil, err
	}
	return newValue(v.Name, v.Type, loc, fr.vf.Ctx, fr.vf.Vars, fr.proc, fr.where()), nil
}

func frameVar(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	fr := recv[*Frame](b)
	sc, err := fr.scope(b)
	if err != nil {
		return nil, err
	}
	v, err := fr.vf.Vars.LookupVar(sc, name)
	var nf *dwarfvars.NotFoundError
	if errors.As(err, &nf) {
		return nil, errorf(b, "%s", notFoundMsg(name, fr.where(), nf))
	}
	if err != nil {
		return nil, wrapErr(b, err)
	}
	val, err := fr.varValue(v)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	if val.loc.OptimizedOut() {
		return nil, errorf(b, "%q is optimized out at %s", name, fr.where())
	}
	return val.starlark(), nil
}

func frameArgs(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	fr := recv[*Frame](b)
	sc, err := fr.scope(b)
	if err != nil {
		return nil, err
	}
	return fr.values(b, sc.Params)
}

func frameLocals(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	fr := recv[*Frame](b)
	sc, err := fr.scope(b)
	if err != nil {
		return nil, err
	}
	var vs []*dwarfvars.Variable
	for i := len(sc.Blocks) - 1; i >= 0; i-- {
		vs = append(vs, sc.Blocks[i]...)
	}
	return fr.values(b, vs)
}

func (fr *Frame) values(b *starlark.Builtin, vs []*dwarfvars.Variable) (starlark.Value, error) {
	out := make([]starlark.Value, 0, len(vs))
	for _, v := range vs {
		val, err := fr.varValue(v)
		if err != nil {
			return nil, wrapErr(b, err)
		}
		out = append(out, val.starlark())
	}
	return starlark.NewList(out), nil
}

// threadFrames returns the frames of a stopped thread, inlined calls
// expanded, at most max of them.
func (t *Thread) frames(b *starlark.Builtin, max int) ([]*Frame, error) {
	vfs, err := t.t.VarFrames(max)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return t.proc.expandFrames(vfs, max), nil
}

// expandFrames makes the frames of an unwound stack, inlined calls
// expanded, at most max of them.
func (p *Process) expandFrames(vfs []*core.VarFrame, max int) []*Frame {
	var out []*Frame
	for _, vf := range vfs {
		var scopes []*dwarfvars.Frame
		if vf.Vars != nil {
			// A pc without DWARF (a function of a file built without -g)
			// is a frame without variables, not an error.
			scopes, _ = vf.Vars.FramesAt(vf.LinkPC())
		}
		if len(scopes) > 0 && scopes[len(scopes)-1].IsGo() {
			vf.Ctx = vf.Ctx.GoCaller() // a caller of Go code keeps no register but rsp and rbp
		}
		if len(scopes) == 0 {
			out = p.appendGoInlined(out, vf)
		}
		for j, sc := range scopes {
			f := vf.Frame
			if sc.Inlined {
				f.Function = sc.Function
			}
			if j > 0 {
				f.Line = scopes[j-1].CallLine
				if cf := scopes[j-1].CallFile; cf != "" {
					f.File = cf
				}
			}
			out = append(out, &Frame{n: len(out), f: f, vf: vf, sc: sc, inlined: sc.Inlined, proc: p})
		}
		if len(out) >= max {
			return out[:max]
		}
	}
	return out
}

// appendGoInlined appends the frames of vf, a frame without DWARF: the calls
// the Go compiler inlined there (from .gopclntab's inline trees), then vf's
// function, as for DWARF's inlined subroutines.
func (p *Process) appendGoInlined(out []*Frame, vf *core.VarFrame) []*Frame {
	var calls []sym.InlinedCall
	if vf.Module != nil && vf.Module.Go {
		if tab, err := p.p.Symbols(); err == nil {
			calls = tab.GoInlined(vf.LinkPC() + vf.Module.Bias)
			for i, c := range calls {
				f := vf.Frame
				f.Function = c.Function
				if i > 0 {
					f.File, f.Line, _, _ = tab.PCToLine(calls[i-1].CallPC)
				}
				out = append(out, &Frame{n: len(out), f: f, vf: vf, inlined: true, proc: p})
			}
			if len(calls) > 0 {
				f := vf.Frame
				f.File, f.Line, _, _ = tab.PCToLine(calls[len(calls)-1].CallPC)
				return append(out, &Frame{n: len(out), f: f, vf: vf, proc: p})
			}
		}
	}
	return append(out, &Frame{n: len(out), f: vf.Frame, vf: vf, proc: p})
}

func threadFrame(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t := recv[*Thread](b)
	return frameMethod(b, args, kwargs, fmt.Sprintf("thread %d", t.t.Tid()), func(max int) ([]*Frame, error) { return t.frames(b, max) })
}

func threadBacktrace(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t := recv[*Thread](b)
	return backtraceMethod(b, args, kwargs, func(max int) ([]*Frame, error) { return t.frames(b, max) })
}

// frameMethod is frame(i=0) of a thread or a goroutine (owner), whose
// frames gives at most max frames.
func frameMethod(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, owner string, frames func(max int) ([]*Frame, error)) (starlark.Value, error) {
	i := 0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i?", &i); err != nil {
		return nil, err
	}
	if i < 0 || i >= 100000 {
		return nil, errorf(b, "frame number %d is out of range [0, 100000)", i)
	}
	fs, err := frames(i + 1)
	if err != nil {
		return nil, err
	}
	if i >= len(fs) {
		return nil, errorf(b, "%s has %d frames, no frame %d", owner, len(fs), i)
	}
	return fs[i], nil
}

// backtraceMethod is backtrace(max=64) of a thread or a goroutine.
func backtraceMethod(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, frames func(max int) ([]*Frame, error)) (starlark.Value, error) {
	max := 64
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "max?", &max); err != nil {
		return nil, err
	}
	if max < 1 || max > 100000 {
		return nil, errorf(b, "max %d is out of range [1, 100000]", max)
	}
	fs, err := frames(max)
	if err != nil {
		return nil, err
	}
	vs := make([]starlark.Value, len(fs))
	for i, f := range fs {
		vs[i] = f
	}
	return starlark.NewList(vs), nil
}
