package dwarfvars

import "fmt"

// The System V x86-64 calling convention, for reading a function's
// arguments at its first instruction: there DWARF describes them where the
// prologue will store them (at -O0, stack slots not written yet), while
// they are still where the caller put them.

// abiClass is the class of one eightbyte of an argument.
type abiClass uint8

const (
	classNone abiClass = iota
	classInteger
	classSSE
	classMemory
)

// DWARF numbers of the argument registers, in order.
var (
	abiIntRegs = []int{5, 4, 1, 2, 8, 9} // rdi, rsi, rdx, rcx, r8, r9
	abiSSERegs = []int{17, 18, 19, 20, 21, 22, 23, 24}
)

// EntryLocations returns where the parameters of frame f's function are at
// the function's first instruction, in the order of f.Params: in the
// registers and stack slots where the SysV x86-64 caller passed them.
// Stack slots are given relative to the CFA, which at the first
// instruction is rsp+8, and are evaluated with env's Context. A struct
// returned in memory takes rdi first. An inlined frame has no entry and
// is an error, as are argument types the classifier does not handle
// (complex numbers, __int128 and _Float128 in registers). A Go function's
// arguments are where Go's ABIInternal passes them (goabi_amd64.go), and
// its results, not made yet, are optimized out.
func EntryLocations(f *Frame, env Env) ([]Location, error) {
	if f.Inlined {
		return nil, fmt.Errorf("%s is inlined: its arguments were never passed", f.Function)
	}
	if f.IsGo() {
		return goEntryLocations(f, env)
	}
	cfa, err := env.Ctx.CFA()
	if err != nil {
		return nil, err
	}
	nextInt, nextSSE := 0, 0
	if f.Return != nil && f.Return.Size() > 0 {
		b, x87 := Underlying(f.Return).(*BaseType)
		x87 = x87 && b.K == Float && b.ByteSize > 8 // a long double comes back in st0
		if cls, err := classify(f.Return); err == nil && cls[0] == classMemory && !x87 {
			nextInt++ // the hidden pointer to the result
		}
	}
	stack := uint64(0)
	locs := make([]Location, len(f.Params))
	for i, p := range f.Params {
		cls, err := classify(p.Type)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", p.Name, err)
		}
		var nInt, nSSE int
		for _, c := range cls {
			switch c {
			case classInteger:
				nInt++
			case classSSE:
				nSSE++
			}
		}
		size := p.Type.Size()
		if cls[0] != classMemory && nextInt+nInt <= len(abiIntRegs) && nextSSE+nSSE <= len(abiSSERegs) {
			var pieces []Piece
			for j, c := range cls {
				piece := Piece{Kind: InRegister, Size: min(8, size-int64(8*j))}
				if c == classInteger {
					piece.Reg = abiIntRegs[nextInt]
					nextInt++
				} else {
					piece.Reg = abiSSERegs[nextSSE]
					nextSSE++
				}
				pieces = append(pieces, piece)
			}
			if len(pieces) == 1 {
				pieces[0].Size = 0
			}
			locs[i] = Location{Pieces: pieces}
			continue
		}
		if abiAlign(p.Type) == 16 {
			stack = (stack + 15) &^ 15
		}
		locs[i] = Location{Pieces: []Piece{{Kind: InMemory, Addr: cfa + stack}}}
		stack += (uint64(size) + 7) &^ 7
	}
	return locs, nil
}

// abiAlign returns 16 for the types the ABI aligns to 16 bytes on the
// stack (long double, __int128, and aggregates holding them), else 8.
func abiAlign(t Type) int {
	align := 8
	walkScalars(Underlying(t), 0, func(s Type, _ int64) {
		if s.Size() == 16 {
			align = 16
		}
	})
	return align
}

// classify returns the class of each eightbyte of a value of type t, or
// [classMemory] for a value passed in memory.
func classify(t Type) ([]abiClass, error) {
	size := t.Size()
	if size <= 0 {
		return nil, fmt.Errorf("type %s has no size", t)
	}
	if size > 16 {
		return []abiClass{classMemory}, nil
	}
	cls := make([]abiClass, (size+7)/8)
	var bad error
	walkScalars(Underlying(t), 0, func(s Type, off int64) {
		c := classInteger
		switch u := Underlying(s).(type) {
		case *BaseType:
			switch {
			case u.K == Float && u.ByteSize <= 8:
				c = classSSE
			case u.K == Float: // x87 long double: in memory
				c = classMemory
			case u.K == Complex || u.ByteSize > 8:
				bad = fmt.Errorf("type %s is not supported by the argument classifier", s)
			}
		}
		i := off / 8
		if i >= int64(len(cls)) {
			return
		}
		switch {
		case c == classMemory || cls[i] == classMemory:
			cls[i] = classMemory
		case c == classInteger || cls[i] == classInteger:
			cls[i] = classInteger
		default:
			cls[i] = classSSE
		}
	})
	if bad != nil {
		return nil, bad
	}
	for i, c := range cls {
		if c == classMemory {
			return []abiClass{classMemory}, nil
		}
		if c == classNone { // padding only: the ABI calls it SSE, it holds nothing
			cls[i] = classSSE
		}
	}
	return cls, nil
}

// walkScalars calls f for each scalar in a value of type t at offset off:
// each base type, pointer and enum, through structs, unions and arrays.
func walkScalars(t Type, off int64, f func(s Type, off int64)) {
	if words := headerWords(Underlying(t)); words != nil {
		for _, w := range words {
			f(uintptrType, off+w)
		}
		return
	}
	switch u := Underlying(t).(type) {
	case *StructType:
		for _, fl := range u.Fields {
			walkScalars(fl.Type, off+fl.Offset, f)
		}
	case *ArrayType:
		es := u.Elem.Size()
		for i := int64(0); i < u.Len && es > 0; i++ {
			walkScalars(u.Elem, off+i*es, f)
		}
	default:
		f(u, off)
	}
}
