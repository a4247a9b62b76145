package dwarfvars

import (
	"errors"
	"fmt"
	"strings"

	"stardbg/core/sym"
)

// An Object is the result of an expression, or a name it uses: a value
// of Type and where it is. An lvalue in memory has a Loc of one InMemory
// piece (Addr reports it); a variable in registers has register pieces;
// a computed value (an rvalue: 1 + 2, a cast) has one Implicit piece.
// Bytes holds the object's bytes when they are not read from memory
// (registers, computed), and, after Eval, the bytes of its result.
// BitSize is set for a bitfield: the value is BitSize bits starting
// BitOffset bits into the bytes at Loc.
type Object struct {
	Type               Type
	Loc                Location
	Bytes              []byte
	BitSize, BitOffset int64
}

// Addr returns the address of an object that lies whole in memory.
func (o *Object) Addr() (uint64, bool) {
	if o.BitSize != 0 {
		return 0, false
	}
	return o.Loc.Addr()
}

// ExprEnv is what an expression's evaluation reads of the program.
type ExprEnv interface {
	// Ident returns the object a name designates: a variable in scope
	// (its Bytes filled when it is not in memory) or a function (Type a
	// *FuncType, Loc its address). An unknown name is an error that says
	// so, with suggestions (a *NotFoundError).
	Ident(name string) (*Object, error)
	// ReadMem fills b from the program's memory at addr.
	ReadMem(addr uint64, b []byte) error
	// LookupType returns the type with a C name, as Data.LookupType.
	LookupType(name string) (Type, error)
}

// A MemoryReadError is the error of reading memory an expression
// designates that the program has not mapped (a NULL dereference).
type MemoryReadError struct {
	Addr uint64
	Err  error
}

func (e *MemoryReadError) Error() string {
	return fmt.Sprintf("cannot read memory at address %#x", e.Addr)
}
func (e *MemoryReadError) Unwrap() error { return e.Err }

// EvalExpr parses src, telling type names by env.LookupType, and
// evaluates it.
func EvalExpr(src string, env ExprEnv) (*Object, error) {
	e, err := ParseExpr(src, func(name string) bool {
		_, err := env.LookupType(name)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return e.Eval(env)
}

// Eval evaluates e with C's semantics: the usual arithmetic conversions
// and integer promotions on LP64 widths, pointer arithmetic scaled by the
// element size, arrays and functions decayed to pointers where C decays
// them, short-circuit && and ||. The result's bytes are read (Bytes is
// set), so that an unreadable result is an error here; an object of no
// size (a function, an incomplete struct) is not read.
func (e *Expr) Eval(env ExprEnv) (*Object, error) {
	ev := &exprEval{env: env}
	o, err := ev.eval(e.root)
	if err != nil {
		return nil, err
	}
	if o.Type.Size() >= 0 && Underlying(o.Type).Kind() != Void {
		b, err := ev.bytes(o)
		if err != nil {
			return nil, err
		}
		o.Bytes = b
	}
	return o, nil
}

type exprEval struct{ env ExprEnv }

func (ev *exprEval) eval(n exprNode) (*Object, error) {
	switch n := n.(type) {
	case *identNode:
		o, err := ev.env.Ident(n.name)
		if err != nil {
			return nil, err
		}
		return ev.throughRef(o)
	case *intNode:
		return rvalue(n.t, intBytes(n.v, n.t.ByteSize)), nil
	case *floatNode:
		return rvalue(n.t, floatBytes(n.v, n.t.ByteSize)), nil
	case *unaryNode:
		return ev.unary(n)
	case *binaryNode:
		return ev.binary(n)
	case *indexNode:
		return ev.index(n)
	case *fieldNode:
		return ev.field(n)
	case *castNode:
		t, err := ev.env.LookupType(n.typeName)
		if err != nil {
			return nil, err
		}
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		return ev.cast(x, t)
	case *sizeofNode:
		var t Type
		if n.x == nil {
			var err error
			if t, err = ev.env.LookupType(n.typeName); err != nil {
				return nil, err
			}
		} else {
			x, err := ev.eval(n.x)
			if err != nil {
				return nil, err
			}
			t = x.Type
		}
		size := t.Size()
		if size < 0 || Underlying(t).Kind() == Void {
			return nil, fmt.Errorf("sizeof of %s, a type of unknown size", t)
		}
		return rvalue(ulongType, intBytes(uint64(size), 8)), nil
	}
	return nil, fmt.Errorf("unknown expression node %T", n)
}

// rvalue makes a computed object of type t.
func rvalue(t Type, b []byte) *Object {
	return &Object{Type: t, Loc: Location{Pieces: []Piece{{Kind: Implicit, Bytes: b}}}, Bytes: b}
}

// lvalue makes the object of type t at addr in memory.
func lvalue(t Type, addr uint64) *Object {
	return &Object{Type: t, Loc: Location{Pieces: []Piece{{Kind: InMemory, Addr: addr}}}}
}

// throughRef replaces a C++ reference by the object it refers to.
func (ev *exprEval) throughRef(o *Object) (*Object, error) {
	if r, ok := Underlying(o.Type).(*PointerType); ok && r.Ref {
		b, err := ev.bytes(o)
		if err != nil {
			return nil, err
		}
		return lvalue(r.Elem, readUint(b)), nil
	}
	return o, nil
}

// bytes returns the bytes of o: its Bytes, or read from memory.
func (ev *exprEval) bytes(o *Object) ([]byte, error) {
	size := o.Type.Size()
	if size < 0 {
		return nil, fmt.Errorf("cannot read an object of type %s, which has no size", o.Type)
	}
	var b []byte
	if addr, ok := o.Loc.Addr(); ok && o.Bytes == nil {
		n := size
		if o.BitSize != 0 {
			n = (o.BitOffset + o.BitSize + 7) / 8
		}
		b = make([]byte, n)
		if err := ev.env.ReadMem(addr, b); err != nil {
			return nil, &MemoryReadError{Addr: addr, Err: err}
		}
	} else {
		if o.Bytes == nil {
			return nil, ErrOptimizedOut
		}
		b = o.Bytes
	}
	if o.BitSize != 0 {
		return extractBits(b, o.BitOffset, o.BitSize, size, isSigned(o.Type)), nil
	}
	if int64(len(b)) < size {
		return nil, fmt.Errorf("%d bytes of a %d-byte object are known", len(b), size)
	}
	return b[:size], nil
}

// extractBits returns the bitfield of size bits at bit off of b as an
// integer of n bytes, sign-extended if signed.
func extractBits(b []byte, off, size, n int64, signed bool) []byte {
	var raw [16]byte
	copy(raw[:], b)
	v := readUint(raw[off/8:]) >> (off % 8)
	v &= 1<<size - 1
	if signed && v&(1<<(size-1)) != 0 {
		v |= ^uint64(0) << size
	}
	return intBytes(v, n)
}

func (ev *exprEval) unary(n *unaryNode) (*Object, error) {
	x, err := ev.eval(n.x)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "&":
		if _, ok := Underlying(x.Type).(*FuncType); ok {
			addr, _ := x.Loc.Addr()
			return rvalue(&PointerType{Elem: x.Type, ByteSize: 8}, intBytes(addr, 8)), nil
		}
		if x.BitSize != 0 {
			return nil, fmt.Errorf("cannot take the address of bitfield %s", exprText(n.x))
		}
		addr, ok := x.Addr()
		if !ok {
			return nil, fmt.Errorf("cannot take the address of %s, which is not in memory", exprText(n.x))
		}
		return rvalue(&PointerType{Elem: x.Type, ByteSize: 8}, intBytes(addr, 8)), nil
	case "*":
		return ev.deref(x, n.x)
	}
	v, err := ev.scalar(x)
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", n.op, err)
	}
	switch n.op {
	case "!":
		return boolResult(!v.truth()), nil
	case "+", "-":
		if v.kind == 'p' {
			return nil, fmt.Errorf("operator %s on pointer %s", n.op, exprText(n.x))
		}
		v = promote(v)
		if n.op == "-" {
			v.u, v.f = -v.u, -v.f
		}
		return v.object(), nil
	case "~":
		if v.kind != 'i' {
			return nil, fmt.Errorf("operator ~ on %s, which is not an integer", v.t)
		}
		v = promote(v)
		v.u = ^v.u
		return v.object(), nil
	}
	return nil, fmt.Errorf("unknown operator %s", n.op)
}

// deref returns the object pointer x points to.
func (ev *exprEval) deref(x *Object, src exprNode) (*Object, error) {
	var elem Type
	switch u := Underlying(x.Type).(type) {
	case *PointerType:
		elem = u.Elem
	case *ArrayType:
		elem = u.Elem
	case *FuncType:
		return x, nil // *f is f
	default:
		return nil, fmt.Errorf("cannot dereference %s, of type %s, which is not a pointer", exprText(src), x.Type)
	}
	if Underlying(elem).Kind() == Void {
		return nil, fmt.Errorf("cannot dereference %s, a pointer to void", exprText(src))
	}
	v, err := ev.scalar(x)
	if err != nil {
		return nil, err
	}
	// Nothing is read yet: &p->f and sizeof *p need only the address and
	// the type (offsetof's &((struct s *)0)->f works). Whatever reads the
	// object (an operator, or Eval for its result) fails on a NULL or
	// wild pointer.
	return ev.throughRef(lvalue(elem, v.u))
}

func (ev *exprEval) index(n *indexNode) (*Object, error) {
	x, err := ev.eval(n.x)
	if err != nil {
		return nil, err
	}
	i, err := ev.eval(n.i)
	if err != nil {
		return nil, err
	}
	if k := Underlying(x.Type).Kind(); k != Pointer && k != Array {
		x, i = i, x // C's a[i] is *(a+i), and i[a] too
	}
	if a, ok := Underlying(x.Type).(*ArrayType); ok {
		if _, inMem := x.Addr(); !inMem {
			// An array in registers or computed: take the element's bytes.
			iv, err := ev.scalar(i)
			if err != nil || iv.kind != 'i' {
				return nil, fmt.Errorf("index of %s is not an integer", exprText(n.x))
			}
			es, idx := a.Elem.Size(), iv.signedValue()
			if idx < 0 || a.Len >= 0 && idx >= a.Len {
				return nil, fmt.Errorf("index %d out of range of %s, of type %s", idx, exprText(n.x), x.Type)
			}
			return subObject(x, a.Elem, idx*es)
		}
	}
	p, err := ev.add(x, i, "+")
	if err != nil {
		return nil, fmt.Errorf("[]: %w", err)
	}
	return ev.deref(p, n)
}

func (ev *exprEval) field(n *fieldNode) (*Object, error) {
	x, err := ev.eval(n.x)
	if err != nil {
		return nil, err
	}
	if p, ok := Underlying(x.Type).(*PointerType); ok {
		if _, ok := Underlying(p.Elem).(*StructType); ok {
			// gdb reads p.f as p->f: so does stardbg.
			if x, err = ev.deref(x, n.x); err != nil {
				return nil, err
			}
		}
	} else if n.arrow {
		return nil, fmt.Errorf("operator -> on %s, of type %s, which is not a pointer", exprText(n.x), x.Type)
	}
	s, ok := Underlying(x.Type).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s, of type %s, has no fields (looking for %q)", exprText(n.x), x.Type, n.name)
	}
	if s.Incomplete {
		return nil, fmt.Errorf("%s is an incomplete type: no field %q is known", x.Type, n.name)
	}
	f, off, ok := findField(s, n.name)
	if !ok {
		msg := fmt.Sprintf("no field %q in %s", n.name, x.Type)
		if sug := fieldSuggestions(s, n.name); len(sug) > 0 {
			msg += " (did you mean " + strings.Join(sug, " or ") + "?)"
		}
		return nil, errors.New(msg)
	}
	o, err := subObject(x, f.Type, off)
	if err != nil {
		return nil, err
	}
	if f.BitSize != 0 {
		o.BitSize, o.BitOffset = f.BitSize, f.BitOffset
		if o.Bytes != nil {
			n := (f.BitOffset + f.BitSize + 7) / 8
			o.Bytes = x.Bytes[off : off+min(n, int64(len(x.Bytes))-off)]
		}
	}
	return ev.throughRef(o)
}

// findField finds the member of s named name, in s or, through anonymous
// members and base classes, inside it; off is its offset in s.
func findField(s *StructType, name string) (Field, int64, bool) {
	for _, f := range s.Fields {
		if f.Name == name && !f.Base {
			return f, f.Offset, true
		}
	}
	for _, f := range s.Fields {
		if inner, ok := Underlying(f.Type).(*StructType); ok && (f.Name == "" || f.Base) {
			if g, off, ok := findField(inner, name); ok {
				return g, f.Offset + off, true
			}
		}
	}
	return Field{}, 0, false
}

// fieldSuggestions returns the members of s closest to name, quoted.
func fieldSuggestions(s *StructType, name string) []string {
	limit := min(max(len(name)/3, 1), 3)
	best, out := limit+1, []string(nil)
	var walk func(s *StructType)
	walk = func(s *StructType) {
		for _, f := range s.Fields {
			if inner, ok := Underlying(f.Type).(*StructType); ok && (f.Name == "" || f.Base) {
				walk(inner)
				continue
			}
			switch d := sym.EditDistance(name, f.Name, limit); {
			case d > limit:
			case d < best:
				best, out = d, []string{fmt.Sprintf("%q", f.Name)}
			case d == best:
				out = append(out, fmt.Sprintf("%q", f.Name))
			}
		}
	}
	walk(s)
	return out
}

// subObject returns the part of x of type t at byte offset off.
func subObject(x *Object, t Type, off int64) (*Object, error) {
	if addr, ok := x.Addr(); ok {
		return lvalue(t, addr+uint64(off)), nil
	}
	o := &Object{Type: t, Loc: sliceLocation(x.Loc, x.Type.Size(), off, max(t.Size(), 0))}
	if x.Bytes != nil {
		end := off + max(t.Size(), 0)
		if end > int64(len(x.Bytes)) {
			return nil, fmt.Errorf("%s at offset %d is past the end of a %d-byte object", t, off, len(x.Bytes))
		}
		o.Bytes = x.Bytes[off:end]
	}
	return o, nil
}

// sliceLocation returns where the n bytes at offset off of an object of
// size total at loc are.
func sliceLocation(loc Location, total, off, n int64) Location {
	var out Location
	pos := int64(0)
	for _, p := range loc.Pieces {
		size := p.Size
		if size == 0 {
			size = total - pos
		}
		lo, hi := max(off, pos), min(off+n, pos+size)
		if lo < hi {
			q := p
			skip := lo - pos
			q.Size = hi - lo
			switch p.Kind {
			case InMemory:
				q.Addr += uint64(skip + p.BitOffset/8)
				q.BitOffset, q.BitSize = 0, 0
			case InRegister:
				q.BitOffset, q.BitSize = p.BitOffset+8*skip, 8*q.Size
			case Implicit:
				if skip < int64(len(p.Bytes)) {
					q.Bytes = p.Bytes[skip:min(int64(len(p.Bytes)), skip+q.Size)]
				} else {
					q.Bytes = nil
				}
			}
			if len(loc.Pieces) == 1 && lo == off && hi == off+n {
				q.Size = 0 // one piece for the whole object
			}
			out.Pieces = append(out.Pieces, q)
		}
		pos += size
	}
	return out
}

// exprText renders a node back as C, for error messages.
func exprText(n exprNode) string {
	switch n := n.(type) {
	case *identNode:
		return n.name
	case *intNode:
		if n.charText != "" {
			return n.charText
		}
		return fmt.Sprint(n.v)
	case *floatNode:
		return fmt.Sprint(n.v)
	case *unaryNode:
		return n.op + exprText(n.x)
	case *binaryNode:
		return exprText(n.x) + " " + n.op + " " + exprText(n.y)
	case *indexNode:
		return exprText(n.x) + "[" + exprText(n.i) + "]"
	case *fieldNode:
		if n.arrow {
			return exprText(n.x) + "->" + n.name
		}
		return exprText(n.x) + "." + n.name
	case *castNode:
		return "(" + n.typeName + ")" + exprText(n.x)
	case *sizeofNode:
		if n.x == nil {
			return "sizeof(" + n.typeName + ")"
		}
		return "sizeof " + exprText(n.x)
	}
	return "?"
}
