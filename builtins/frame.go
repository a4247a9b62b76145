package builtins

import (
	"encoding/json"
	"fmt"
	"path"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"stardbg/core"
	"stardbg/core/dwarfvars"
	"stardbg/core/sym"
)

// Frame is one frame of a backtrace (Starlark type "frame"). Its fields are
// plain values (ints, strings, None); str() is the frame as gdb's backtrace
// prints it.
type Frame struct {
	n int // the frame's number, 0 for the innermost
	f sym.Frame
	// For frames of a stopped thread (t.frame, t.backtrace): the frame
	// with its registers and DWARF, the scope of its function (nil without
	// DWARF) and whether it is an inlined call.
	vf      *core.VarFrame
	sc      *dwarfvars.Frame
	inlined bool
	proc    *Process
	entry   []dwarfvars.Location // the arguments at the function's first instruction, once computed
}

var (
	_ starlark.HasAttrs   = (*Frame)(nil)
	_ starlark.Comparable = (*Frame)(nil)
)

// String is gdb's backtrace line, without the arguments (see FrameLine).
func (fr *Frame) String() string { return FrameLine(fr.n, fr.f) }

// FrameLine renders frame number n as a line of gdb's backtrace, without
// the arguments:
//
//	#0  0x000055d1c0c011c9 in hot at hotthreads.c:26
//	#1  0x00007f3b2a494ac3 in start_thread from libc.so.6
//	#2  0x00007f3b2a526850 in libc.so.6+0x126850
//	#3  0x0000000000001234 in ??
func FrameLine(n int, f sym.Frame) string {
	s := fmt.Sprintf("#%-2d %s in ", n, hexAddr(f.PC))
	switch {
	case f.Function != "" && f.File != "" && f.Line > 0:
		return s + fmt.Sprintf("%s at %s:%d", f.Function, path.Base(f.File), f.Line)
	case f.Function != "" && f.Module != "":
		return s + f.Function + " from " + f.Module
	case f.Function != "":
		return s + f.Function
	case f.Module != "":
		return s + fmt.Sprintf("%s+%#x", f.Module, f.ModuleAddr)
	}
	return s + "??"
}

func (fr *Frame) Type() string         { return "frame" }
func (fr *Frame) Freeze()              {}
func (fr *Frame) Truth() starlark.Bool { return true }
func (fr *Frame) Hash() (uint32, error) {
	return uint32(fr.f.PC) ^ uint32(fr.f.PC>>32) ^ uint32(fr.f.SP) ^ uint32(fr.f.SP>>32), nil
}
func (fr *Frame) Attr(name string) (starlark.Value, error) {
	return getAttr(fr, frameFields, frameMethods, name)
}
func (fr *Frame) AttrNames() []string { return attrNames(frameFields, frameMethods) }

// CompareSameType compares the fields: frames are equal when every field is.
func (fr *Frame) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	g := y.(*Frame)
	eq := fr.f.PC == g.f.PC && fr.f.SP == g.f.SP && fr.f.Function == g.f.Function &&
		fr.f.File == g.f.File && fr.f.Line == g.f.Line && fr.f.Module == g.f.Module &&
		fr.f.ModuleAddr == g.f.ModuleAddr && fr.f.CFA == g.f.CFA && fr.inlined == g.inlined
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("%s not implemented for frame", op)
}

var frameFields = fields[*Frame]{
	"pc": {func(fr *Frame) (starlark.Value, error) { return starlark.MakeUint64(fr.f.PC), nil },
		"pc: where the frame is: the thread's pc in frame 0, the return address in the others."},
	"sp": {func(fr *Frame) (starlark.Value, error) { return starlark.MakeUint64(fr.f.SP), nil },
		"sp: the stack pointer (rsp) in the frame."},
	"function": {func(fr *Frame) (starlark.Value, error) { return noneIfEmpty(fr.f.Function), nil },
		"function: the name of the function, or None without a symbol."},
	"file": {func(fr *Frame) (starlark.Value, error) { return noneIfEmpty(fr.f.File), nil },
		"file: the source file's path (from DWARF or Go's line table), or None."},
	"line": {func(fr *Frame) (starlark.Value, error) {
		return orNone(starlark.MakeInt(fr.f.Line), fr.f.Line > 0), nil
	},
		"line: the source line, or None. For a caller it is the line of the call."},
	"module": {func(fr *Frame) (starlark.Value, error) { return noneIfEmpty(fr.f.Module), nil },
		"module: the base name of the executable or library the pc is in (\"libc.so.6\"), or None outside any."},
	"module_addr": {func(fr *Frame) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(fr.f.ModuleAddr), fr.f.Module != ""), nil
	}, "module_addr: the pc as an address of the module's file (what objdump shows and addr2line -e takes), or None."},
	"cfa": {func(fr *Frame) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(fr.f.CFA), fr.f.CFA != 0), nil
	}, "cfa: the canonical frame address (rsp in the caller just before the call), or None when the unwinder could not compute it."},
	"inlined": {func(fr *Frame) (starlark.Value, error) { return starlark.Bool(fr.inlined), nil },
		"inlined: True for the frame of a call the compiler inlined (it shares pc, sp and cfa with the frame of the function that holds its code, listed after it)."},
}

// MarshalJSON encodes the frame's fields (not its methods) for
// json.encode: an object as for a struct.
func (fr *Frame) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for name, f := range frameFields {
		v, err := f.get(fr)
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case starlark.Int:
			if u, ok := v.Uint64(); ok {
				m[name] = u
			} else {
				m[name], _ = v.Int64()
			}
		case starlark.String:
			m[name] = string(v)
		case starlark.Bool:
			m[name] = bool(v)
		default:
			m[name] = nil
		}
	}
	return json.Marshal(m)
}
