package dwarfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Location returns where variable v is when the program is at link-time
// address pc (the runtime pc minus the module's load bias), in frame f:
// the frame FramesAt returned, whose function's DW_AT_frame_base serves
// DW_OP_fbreg, or nil for a variable at file scope. A variable that has
// no location at pc is an optimized-out Location, not an error; a
// constant (DW_AT_const_value) is an Implicit piece.
func (d *Data) Location(v *Variable, f *Frame, pc uint64, env Env) (Location, error) {
	if v.loc.Attr == 0 {
		if v.constValue != nil {
			return constLocation(v), nil
		}
		return Location{Pieces: []Piece{{Kind: Unavailable}}}, nil
	}
	expr, ok, err := d.exprAt(v.u, v.loc, pc)
	if err != nil {
		return Location{}, fmt.Errorf("location of %s: %w", v.Name, err)
	}
	if !ok {
		return Location{Pieces: []Piece{{Kind: Unavailable}}}, nil
	}
	if env.FrameBase == nil && f != nil && f.frameBase.Attr != 0 {
		env.FrameBase = func() (uint64, error) { return d.frameBase(f, pc, env) }
	}
	loc, err := Eval(expr, env)
	if err != nil {
		return Location{}, fmt.Errorf("location of %s: %w", v.Name, err)
	}
	if v.escaped {
		return escapedLocation(loc, env)
	}
	return loc, nil
}

// escapedLocation reads the pointer at loc to a Go variable that escaped
// to the heap, and returns where the variable is.
func escapedLocation(loc Location, env Env) (Location, error) {
	b, err := ReadBytes(loc, 8, env.Ctx)
	if errors.Is(err, ErrOptimizedOut) {
		return Location{Pieces: []Piece{{Kind: Unavailable}}}, nil
	}
	if err != nil {
		return Location{}, err
	}
	addr := binary.LittleEndian.Uint64(b)
	if addr == 0 {
		return Location{Pieces: []Piece{{Kind: Unavailable}}}, nil
	}
	return Location{Pieces: []Piece{{Kind: InMemory, Addr: addr}}}, nil
}

// frameBase evaluates the DW_AT_frame_base of f's function at pc. A
// register location means the register's value (DW_OP_reg6: the frame
// base is rbp).
func (d *Data) frameBase(f *Frame, pc uint64, env Env) (uint64, error) {
	expr, ok, err := d.exprAt(f.u, f.frameBase, pc)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ErrUnavailable
	}
	env.FrameBase = nil
	loc, err := Eval(expr, env)
	if err != nil {
		return 0, err
	}
	if len(loc.Pieces) != 1 {
		return 0, fmt.Errorf("frame base of %s is in %d pieces", f.Function, len(loc.Pieces))
	}
	switch p := loc.Pieces[0]; p.Kind {
	case InMemory:
		return p.Addr, nil
	case InRegister:
		return env.Ctx.Reg(p.Reg)
	case Implicit:
		var b [8]byte
		copy(b[:], p.Bytes)
		return binary.LittleEndian.Uint64(b[:]), nil
	}
	return 0, ErrUnavailable
}

// constLocation returns the value of a DW_AT_const_value as an implicit
// piece of the variable's size.
func constLocation(v *Variable) Location {
	var b []byte
	switch c := v.constValue.(type) {
	case []byte:
		b = append([]byte{}, c...)
	case int64:
		b = binary.LittleEndian.AppendUint64(nil, uint64(c))
	case uint64:
		b = binary.LittleEndian.AppendUint64(nil, c)
	}
	if n := v.Type.Size(); n >= 0 && n < int64(len(b)) {
		b = b[:n]
	}
	return Location{Pieces: []Piece{{Kind: Implicit, Bytes: b}}}
}
