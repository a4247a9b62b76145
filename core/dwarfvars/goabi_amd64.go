package dwarfvars

import "fmt"

// Go's internal register ABI (ABIInternal) on amd64, as the Go internal
// ABI specification (cmd/compile/abi-internal.md) gives it: where a Go
// function's arguments are at its first instruction and its results at
// its return address. Each value is assigned whole or not at all: its
// scalar fields, in order, take the next integer register (RAX, RBX, RCX,
// RDI, RSI, R8, R9, R10, R11) or floating-point register (X0-X14) each;
// an array of more than one element, or a value that does not fit in the
// registers left, goes on the stack instead. Arguments are assigned
// first (the receiver is the first), then the registers start again at
// RAX and X0 for the results. The stack holds the stack-assigned
// arguments from the caller's stack pointer up, each aligned to its
// type, then, at the next pointer-aligned offset, the stack-assigned
// results.

// goIntRegs are the DWARF numbers of Go's integer argument registers.
var goIntRegs = []int{0, 3, 2, 5, 4, 8, 9, 10, 11} // RAX RBX RCX RDI RSI R8 R9 R10 R11

// goFloatRegs is how many of X0-X14 carry arguments and results.
const goFloatRegs = 15

// goAssigner assigns registers to the values of one sequence (the
// arguments, or the results), keeping count of those in use.
type goAssigner struct {
	ints, floats int
	pieces       []Piece // of the value being assigned
	cur          int64   // bytes of it that pieces cover
}

// value assigns registers to a value of type t and returns its pieces,
// or false (and no register used) when t goes on the stack.
func (a *goAssigner) value(t Type) ([]Piece, bool) {
	ints, floats := a.ints, a.floats
	a.pieces, a.cur = nil, 0
	if t.Size() < 0 || !a.assign(t, 0) {
		a.ints, a.floats = ints, floats
		return nil, false
	}
	a.pad(t.Size())
	return a.pieces, true
}

// assign assigns the scalars of a value of type t at offset off of the
// value being assigned.
func (a *goAssigner) assign(t Type, off int64) bool {
	if words := headerWords(Underlying(t)); words != nil {
		// A string, slice or interface: a struct of pointer-sized words.
		for _, w := range words {
			if !a.reg(true, off+w, 8) {
				return false
			}
		}
		return true
	}
	switch u := Underlying(t).(type) {
	case *StructType:
		for _, f := range u.Fields {
			if !a.assign(f.Type, off+f.Offset) {
				return false
			}
		}
		return true
	case *ArrayType:
		switch u.Len {
		case 0:
			return true
		case 1:
			return a.assign(u.Elem, off)
		}
		return false
	case *BaseType:
		switch {
		case u.K == Float:
			return a.reg(false, off, u.ByteSize)
		case u.K == Complex:
			h := u.ByteSize / 2
			return a.reg(false, off, h) && a.reg(false, off+h, h)
		case u.ByteSize > 8:
			return false
		}
		return a.reg(true, off, u.ByteSize)
	}
	// Pointers, and Go's maps, channels and funcs, which are pointers.
	switch size := t.Size(); {
	case size == 0:
		return true
	case size > 0 && size <= 8:
		return a.reg(true, off, size)
	}
	return false
}

// reg assigns the next integer or floating-point register to size bytes
// at offset off.
func (a *goAssigner) reg(integer bool, off, size int64) bool {
	var r int
	if integer {
		if a.ints == len(goIntRegs) {
			return false
		}
		r = goIntRegs[a.ints]
		a.ints++
	} else {
		if a.floats == goFloatRegs {
			return false
		}
		r = dwXMM0 + a.floats
		a.floats++
	}
	a.pad(off)
	a.pieces = append(a.pieces, Piece{Kind: InRegister, Reg: r, Size: size})
	a.cur = off + size
	return true
}

// pad covers the bytes of the value up to off that no register holds
// (padding between fields) with zeros.
func (a *goAssigner) pad(off int64) {
	if off > a.cur {
		a.pieces = append(a.pieces, Piece{Kind: Implicit, Bytes: make([]byte, off-a.cur), Size: off - a.cur})
		a.cur = off
	}
}

// goAlign is the alignment of a Go type: that of its largest scalar.
func goAlign(t Type) int64 {
	align := int64(1)
	walkScalars(Underlying(t), 0, func(s Type, _ int64) {
		sz := s.Size()
		if b, ok := Underlying(s).(*BaseType); ok && b.K == Complex {
			sz /= 2
		}
		align = max(align, min(sz, 8))
	})
	return align
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// goSplit returns the arguments and the results of a Go function.
func goSplit(f *Frame) (args, results []*Variable) {
	for _, p := range f.Params {
		if p.Result {
			results = append(results, p)
		} else {
			args = append(args, p)
		}
	}
	return args, results
}

// goLayout assigns the arguments of f's function, then its results. It
// returns where each is, a register piece list or a stack offset (from
// the caller's stack pointer, which at the entry is rsp+8 and at the
// return address rsp), in the order of f.Params.
func goLayout(f *Frame) ([]goPlace, error) {
	places := make([]goPlace, len(f.Params))
	var a goAssigner
	var stack int64
	args, results := goSplit(f)
	for pass, vs := range [][]*Variable{args, results} {
		if pass == 1 {
			stack = alignUp(stack, 8)
			a = goAssigner{}
		}
		for _, v := range vs {
			if v.Type.Size() < 0 {
				return nil, fmt.Errorf("%s has type %s, of unknown size", v.Name, v.Type)
			}
			i := paramIndex(f, v)
			if pieces, ok := a.value(v.Type); ok {
				places[i] = goPlace{pieces: pieces}
				continue
			}
			stack = alignUp(stack, goAlign(v.Type))
			places[i] = goPlace{onStack: true, off: stack}
			stack += v.Type.Size()
		}
	}
	return places, nil
}

// A goPlace is where the ABI puts one argument or result.
type goPlace struct {
	pieces  []Piece
	onStack bool
	off     int64
}

func paramIndex(f *Frame, v *Variable) int {
	for i, p := range f.Params {
		if p == v {
			return i
		}
	}
	return -1
}

// goResults is Results for a Go function.
func goResults(f *Frame, env Env) ([]Result, error) {
	places, err := goLayout(f)
	if err != nil {
		return nil, fmt.Errorf("results of %s: %w", f.Function, err)
	}
	var out []Result
	for i, p := range f.Params {
		if !p.Result {
			continue
		}
		loc, err := places[i].location(env.Ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("result %s of %s: %w", p.Name, f.Function, err)
		}
		out = append(out, Result{Name: p.Name, Type: p.Type, Loc: loc})
	}
	return out, nil
}

// location is the place as a Location, a stack offset counted from
// rsp+skip.
func (g goPlace) location(ctx Context, skip uint64) (Location, error) {
	if !g.onStack {
		return Location{Pieces: g.pieces}, nil
	}
	sp, err := ctx.Reg(dwRSP)
	if err != nil {
		return Location{}, fmt.Errorf("the stack pointer: %w", err)
	}
	return Location{Pieces: []Piece{{Kind: InMemory, Addr: sp + skip + uint64(g.off)}}}, nil
}

// goEntryLocations is EntryLocations for a Go function: its arguments
// where ABIInternal passes them, its results (not made yet) optimized
// out.
func goEntryLocations(f *Frame, env Env) ([]Location, error) {
	places, err := goLayout(f)
	if err != nil {
		return nil, fmt.Errorf("arguments of %s: %w", f.Function, err)
	}
	locs := make([]Location, len(f.Params))
	for i, p := range f.Params {
		if p.Result {
			continue
		}
		if locs[i], err = places[i].location(env.Ctx, 8); err != nil {
			return nil, fmt.Errorf("argument %s of %s: %w", p.Name, f.Function, err)
		}
	}
	return locs, nil
}
