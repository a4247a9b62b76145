package dwarfvars

import (
	"errors"
	"fmt"
)

// Reading what a function returned, at its return address: where a
// finish or a return probe stops, the instruction after the call, before
// it runs. The registers are then the callee's, as it left them.

// A Result is one result of a function and where it is at the return
// address.
type Result struct {
	// Name is "" for a C function; a Go function's result name, "~r0"
	// and so on for unnamed ones.
	Name string
	Type Type
	Loc  Location
}

// DWARF numbers of the registers results come back in.
const (
	dwRAX  = 0
	dwRDX  = 1
	dwRSP  = 7
	dwXMM0 = 17
)

// ErrResultType is the error of a result of a type whose return the
// reader does not handle: x87 long double (in st0), complex numbers and
// __int128 of C.
var ErrResultType = errors.New("result type not supported")

// IsGo reports whether the frame's function is Go's (DW_LANG_Go).
func (f *Frame) IsGo() bool { return f.u != nil && f.u.lang == langGo }

// Results returns the results of frame f's function (f as FramesAt gives
// it for any address of the function, not inlined) and where they are at
// its return address, whose registers env's Context reads: nil for a
// function that returns nothing. A C function has one result, returned as
// the System V x86-64 ABI says: integer and pointer eightbytes in rax then
// rdx, floating-point ones in xmm0 then xmm1, a struct of more than 16
// bytes (or with a long double) in memory, at the address the callee
// returns in rax. A Go function's results come back as its ABIInternal
// assigns them: in RAX, RBX, RCX, RDI, RSI, R8-R11 and X0-X14, one
// register per scalar field, or on the stack above the return address
// (see goResults).
func Results(f *Frame, env Env) ([]Result, error) {
	if f.Inlined {
		return nil, fmt.Errorf("%s is inlined: it never returned", f.Function)
	}
	if f.IsGo() {
		return goResults(f, env)
	}
	if f.Return == nil || Underlying(f.Return).Kind() == Void {
		return nil, nil
	}
	loc, err := cReturnLocation(f.Return, env.Ctx)
	if err != nil {
		return nil, fmt.Errorf("result of %s: %w", f.Function, err)
	}
	return []Result{{Type: f.Return, Loc: loc}}, nil
}

// cReturnLocation is where a C function's result of type t is, by the
// SysV classification of its eightbytes.
func cReturnLocation(t Type, ctx Context) (Location, error) {
	var bad error
	walkScalars(Underlying(t), 0, func(s Type, _ int64) {
		if b, ok := Underlying(s).(*BaseType); ok && (b.K == Float && b.ByteSize > 8 || b.K == Complex || b.ByteSize > 8) {
			bad = fmt.Errorf("%w: %s", ErrResultType, s)
		}
	})
	if bad != nil {
		return Location{}, bad
	}
	cls, err := classify(t)
	if err != nil {
		return Location{}, err
	}
	if cls[0] == classMemory {
		addr, err := ctx.Reg(dwRAX)
		if err != nil {
			return Location{}, fmt.Errorf("the address of the result (rax): %w", err)
		}
		return Location{Pieces: []Piece{{Kind: InMemory, Addr: addr}}}, nil
	}
	size := t.Size()
	ints, sses := []int{dwRAX, dwRDX}, []int{dwXMM0, dwXMM0 + 1}
	var pieces []Piece
	for j, c := range cls {
		p := Piece{Kind: InRegister, Size: min(8, size-int64(8*j))}
		if c == classInteger {
			p.Reg, ints = ints[0], ints[1:]
		} else {
			p.Reg, sses = sses[0], sses[1:]
		}
		pieces = append(pieces, p)
	}
	return Location{Pieces: pieces}, nil
}
