package builtins

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

// Limits of value's plain conversion.
const (
	plainMaxDepth = 8    // aggregates nested deeper are None
	plainMaxElems = 1000 // an array converts to its first 1000 elements at most
)

var valueFields = fields[*Value]{
	"name": {func(v *Value) (starlark.Value, error) { return starlark.String(v.name), nil },
		"name: the variable or expression the value came from (\"o->where.x\")."},
	"type": {func(v *Value) (starlark.Value, error) { return &Type{t: v.typ, data: v.data}, nil },
		"type: the value's type."},
	"addr": {func(v *Value) (starlark.Value, error) {
		addr, ok := v.loc.Addr()
		return orNone(starlark.MakeUint64(addr), ok && v.bitSize == 0), nil
	}, "addr: the address of the object, or None for a value in registers, computed or optimized out."},
	"available": {func(v *Value) (starlark.Value, error) { return starlark.Bool(!v.loc.OptimizedOut()), nil },
		"available: False when the compiler optimized the variable away at this pc."},
	"value": {func(v *Value) (starlark.Value, error) { return v.plain("value") },
		"value: the plain Starlark value: an int for integers, characters, enums and pointers, a float, a bool, " +
			"a tuple (real, imag) of floats for a complex number (Go's complex64 and complex128, C's _Complex), " +
			"a list for an array and a dict of member name to plain value for a struct or union (anonymous members " +
			"and base classes flattened). A C++ reference is its referent's plain value; a reference member of a " +
			"struct converts to the address it refers to. Aggregates nested deeper than 8 levels are None and arrays convert to " +
			"their first 1000 elements at most. Go values: a string is a str, a slice a list, a map a dict (keys " +
			"that are not strings written as text: integers in decimal, as encoding/json does), an interface its " +
			"dynamic value's plain value (None for nil), a func the name of its function (None for nil), a pointer " +
			"or channel its address; a Go struct is a dict of its fields in order, embedded ones as nested dicts. " +
			"Slices and maps convert to their first 1000 elements, strings to their first 1 MiB. A part that cannot be read " +
			"(a bad pointer) is None; a Go value whose bytes were kept (a result given to on_return) but whose string, " +
			"slice or map data lives in a process that has exited, is running or is detached fails with that state."},
	"cap": {func(v *Value) (starlark.Value, error) { return v.goCap() },
		"cap: the capacity of a Go slice or channel (a buffered channel's buffer size); other values fail."},
	"dynamic": {func(v *Value) (starlark.Value, error) { return v.dynamic() },
		"dynamic: for a Go interface, the value it holds, with its dynamic type (named as Go names it: *main.T, " +
			"*errors.errorString, int), or None for a nil interface; other values fail."},
}

// goOnly are the fields and methods of value that apply to Go values of
// some kinds only; AttrNames lists them for those.
var goOnly = map[string]func(dwarfvars.Type) bool{
	"cap":     func(t dwarfvars.Type) bool { k := t.Kind(); return k == dwarfvars.Slice || k == dwarfvars.Chan },
	"dynamic": func(t dwarfvars.Type) bool { return t.Kind() == dwarfvars.Interface },
	"keys":    func(t dwarfvars.Type) bool { return t.Kind() == dwarfvars.Map },
	"items":   func(t dwarfvars.Type) bool { return t.Kind() == dwarfvars.Map },
}

var valueMethods = methods{
	"keys": {valueKeys, "keys() -> list\n\nThe keys of a Go map, in the runtime's table order: the plain value of keys " +
		"of string, integer, bool and pointer types, values for keys of other types. Iterating over the map gives the same."},
	"items": {valueItems, "items() -> list of (key, value)\n\nThe entries of a Go map, each key as keys() gives it " +
		"with its element as a value, in the runtime's table order."},
	"deref": {valueDeref, "deref() -> value\n\nWhat a pointer points to (C's *p). A null pointer fails."},
	"string": {valueString, "string(max=4096) -> str\n\nThe NUL-terminated text of a char * or a char array, " +
		"or the text of a Go string, at most max bytes."},
	"bytes": {valueBytes, "bytes() -> bytes\n\nThe raw bytes of the object."},
	"cast": {valueCast, "cast(type) -> value\n\nThe value converted to type (a type or its C name) as C casts: " +
		"integers, floats, enums and pointers convert between each other, truncating or extending; an object in " +
		"memory cast to another aggregate type is that memory seen with the new type."},
	"set": {valueSet, "set(x)\n\nStores x in the program: into memory, or into a register of frame 0 for a variable " +
		"held in one. x is an int, float, bool, a one-character string for a char, an enumerator's name, a tuple " +
		"(real, imag) or a number for a complex, or a value " +
		"of the same type; an int out of the type's range fails."},
}

// plain converts v to plain Starlark.
func (v *Value) plain(op string) (starlark.Value, error) {
	if r, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.PointerType); ok && r.Ref {
		w, err := v.deref(op) // a C++ reference reads as its referent, as gdb's value does
		if err != nil {
			return nil, err
		}
		return w.plain(op)
	}
	b, err := v.read(op)
	if err != nil {
		return nil, err
	}
	c := v.conv()
	x := plainOf(c, v.typ, b, 0)
	if c != nil && c.gone != nil {
		return nil, fmt.Errorf("%s: reading %q: %w", op, v.name, c.gone)
	}
	return x, nil
}

// plainOf converts the object of type t held in b to plain Starlark; c
// reads what Go values refer to (nil converts C types only).
func plainOf(c *conv, t dwarfvars.Type, b []byte, depth int) starlark.Value {
	if x, ok := c.plainGo(t, b, depth); ok {
		return x
	}
	switch u := dwarfvars.Underlying(t).(type) {
	case *dwarfvars.BaseType:
		switch u.K {
		case dwarfvars.Bool:
			return starlark.Bool(readU(b) != 0)
		case dwarfvars.Float:
			return starlark.Float(readFloat(b))
		case dwarfvars.Complex: // the real part, then the imaginary part, each half of b
			h := len(b) / 2
			return starlark.Tuple{starlark.Float(readFloat(b[:h])), starlark.Float(readFloat(b[h:]))}
		}
		if u.Unsigned {
			return starlark.MakeUint64(readU(b))
		}
		return starlark.MakeInt64(readS(b))
	case *dwarfvars.EnumType:
		if u.Unsigned {
			return starlark.MakeUint64(readU(b))
		}
		return starlark.MakeInt64(readS(b))
	case *dwarfvars.PointerType:
		return starlark.MakeUint64(readU(b))
	case *dwarfvars.ArrayType:
		if depth >= plainMaxDepth {
			return starlark.None
		}
		es := u.Elem.Size()
		var out []starlark.Value
		for off := int64(0); es > 0 && off+es <= int64(len(b)) && len(out) < plainMaxElems; off += es {
			out = append(out, plainOf(c, u.Elem, b[off:off+es], depth+1))
		}
		return starlark.NewList(out)
	case *dwarfvars.StructType:
		if depth >= plainMaxDepth {
			return starlark.None
		}
		d := starlark.NewDict(len(u.Fields))
		for _, f := range allFields(u) {
			s := f.Type.Size()
			if f.BitSize != 0 {
				n := (f.BitOffset + f.BitSize + 7) / 8
				if f.Offset+n > int64(len(b)) {
					continue
				}
				var w [8]byte
				copy(w[:], b[f.Offset:f.Offset+n])
				x := binary.LittleEndian.Uint64(w[:]) >> uint(f.BitOffset) & (1<<uint(f.BitSize) - 1)
				if isSigned(f.Type) && x&(1<<uint(f.BitSize-1)) != 0 {
					d.SetKey(starlark.String(f.Name), starlark.MakeInt64(int64(x|^uint64(0)<<uint(f.BitSize))))
				} else {
					d.SetKey(starlark.String(f.Name), starlark.MakeUint64(x))
				}
				continue
			}
			if s < 0 || f.Offset+s > int64(len(b)) {
				continue
			}
			d.SetKey(starlark.String(f.Name), plainOf(c, f.Type, b[f.Offset:f.Offset+s], depth+1))
		}
		return d
	}
	return starlark.None
}

func readU(b []byte) uint64 {
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:])
}

func readS(b []byte) int64 {
	x := readU(b)
	if n := len(b); n > 0 && n < 8 {
		shift := uint(64 - 8*n)
		return int64(x<<shift) >> shift
	}
	return int64(x)
}

// readFloat reads a float, double or x87 long double.
func readFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case 10, 16:
		mant := binary.LittleEndian.Uint64(b)
		se := binary.LittleEndian.Uint16(b[8:])
		exp := int(se & 0x7fff)
		if exp == 0x7fff {
			if mant<<1 == 0 {
				return math.Inf(1 - 2*int(se>>15))
			}
			return math.NaN()
		}
		f, _ := new(big.Float).SetMantExp(new(big.Float).SetUint64(mant), exp-16383-63).Float64()
		if se>>15 != 0 {
			f = -f
		}
		return f
	}
	return math.NaN()
}

func isSigned(t dwarfvars.Type) bool {
	switch u := dwarfvars.Underlying(t).(type) {
	case *dwarfvars.BaseType:
		return !u.Unsigned && u.K != dwarfvars.Bool
	case *dwarfvars.EnumType:
		return !u.Unsigned
	}
	return false
}

// encode returns the bytes of x as an object of type t.
// encodeComplex encodes a complex number given as (real, imag), or as a
// real number, each part as a float of half its size.
func encodeComplex(t *dwarfvars.BaseType, x starlark.Value, size int64, op string) ([]byte, error) {
	parts := []starlark.Value{x, starlark.Float(0)}
	if tu, ok := x.(starlark.Tuple); ok {
		if len(tu) != 2 {
			return nil, fmt.Errorf("%s: want (real, imag) for a %s, got a tuple of %d", op, t, len(tu))
		}
		parts = tu
	}
	half := &dwarfvars.BaseType{Name: "float", K: dwarfvars.Float, ByteSize: size / 2}
	var out []byte
	for _, p := range parts {
		switch p.(type) {
		case starlark.Float, starlark.Int:
		default:
			return nil, fmt.Errorf("%s: want (real, imag) or a number for a %s, got %s", op, t, x.Type())
		}
		b, err := encode(half, p, size/2, op)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func encode(t dwarfvars.Type, x starlark.Value, size int64, op string) ([]byte, error) {
	u := dwarfvars.Underlying(t)
	if w := valueOf(x); w != nil {
		b, err := w.read(op)
		if err != nil {
			return nil, err
		}
		if _, scalar := u.(*dwarfvars.StructType); !scalar && isScalar(w.typ) && isScalar(t) {
			return encode(t, plainOf(nil, w.typ, b, 0), size, op)
		}
		if int64(len(b)) != size {
			return nil, fmt.Errorf("%s: a %s does not fit a %s", op, w.typ, t)
		}
		return b, nil
	}
	switch u := u.(type) {
	case *dwarfvars.BaseType:
		if u.K == dwarfvars.Complex {
			return encodeComplex(u, x, size, op)
		}
		if u.K == dwarfvars.Float {
			var f float64
			switch x := x.(type) {
			case starlark.Float:
				f = float64(x)
			case starlark.Int:
				f = float64(x.Float())
			default:
				return nil, fmt.Errorf("%s: want a float for a %s, got %s", op, t, x.Type())
			}
			switch size {
			case 4:
				return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(f))), nil
			case 8:
				return binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)), nil
			}
			return nil, fmt.Errorf("%s: writing a %d-byte float is not supported", op, size)
		}
		if s, ok := x.(starlark.String); ok && u.K == dwarfvars.Char && len(s) == 1 {
			x = starlark.MakeInt(int(s[0]))
		}
		if bv, ok := x.(starlark.Bool); ok {
			x = starlark.MakeInt(map[bool]int{false: 0, true: 1}[bool(bv)])
		}
		return encodeInt(t, x, size, !u.Unsigned && u.K != dwarfvars.Bool, op)
	case *dwarfvars.EnumType:
		if s, ok := x.(starlark.String); ok {
			for _, e := range u.Enumerators {
				if e.Name == string(s) {
					return encodeInt(t, starlark.MakeInt64(e.Value), size, !u.Unsigned, op)
				}
			}
			return nil, fmt.Errorf("%s: %s has no enumerator %q", op, t, string(s))
		}
		return encodeInt(t, x, size, !u.Unsigned, op)
	case *dwarfvars.PointerType:
		return encodeInt(t, x, size, false, op)
	}
	return nil, fmt.Errorf("%s: cannot store a %s in a %s", op, x.Type(), t)
}

func isScalar(t dwarfvars.Type) bool {
	switch dwarfvars.Underlying(t).(type) {
	case *dwarfvars.BaseType, *dwarfvars.EnumType, *dwarfvars.PointerType:
		return true
	}
	return false
}

// encodeInt checks that x fits the type's range and encodes it.
func encodeInt(t dwarfvars.Type, x starlark.Value, size int64, signed bool, op string) ([]byte, error) {
	i, ok := x.(starlark.Int)
	if !ok {
		return nil, fmt.Errorf("%s: want an int for a %s, got %s", op, t, x.Type())
	}
	if size < 1 || size > 8 {
		return nil, fmt.Errorf("%s: writing a %d-byte %s is not supported", op, size, t)
	}
	bits := uint(8 * size)
	lo, hi := new(big.Int), new(big.Int).Lsh(big.NewInt(1), bits)
	if signed {
		lo.Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
		hi.Lsh(big.NewInt(1), bits-1)
	}
	bi := i.BigInt()
	if bi.Cmp(lo) < 0 || bi.Cmp(hi) >= 0 {
		return nil, fmt.Errorf("%s: %v is out of range for %s [%v, %v]", op, bi, t, lo, new(big.Int).Sub(hi, big.NewInt(1)))
	}
	var u uint64
	if bi.Sign() < 0 {
		u = uint64(bi.Int64())
	} else {
		u = bi.Uint64()
	}
	return binary.LittleEndian.AppendUint64(nil, u)[:size], nil
}

// valueOf returns the *Value behind x (a value, or the wrapper of an
// array or of a Go string, slice, map or channel), or nil.
func valueOf(x starlark.Value) *Value {
	if b, ok := x.(interface{ base() *Value }); ok {
		return b.base()
	}
	return nil
}

// base is the *Value itself; the wrappers that embed it inherit it.
func (v *Value) base() *Value { return v }

// set stores x in the object.
func (v *Value) set(x starlark.Value, op string) error {
	if v.loc.OptimizedOut() {
		return fmt.Errorf("%s: %q is optimized out%s", op, v.name, v.at())
	}
	size := v.typ.Size()
	if v.bitSize != 0 {
		return v.setBits(x, op)
	}
	b, err := encode(v.typ, x, size, op)
	if err != nil {
		return err
	}
	return v.store(b, op)
}

// store writes the object's bytes where it is.
func (v *Value) store(b []byte, op string) error {
	if addr, ok := v.loc.Addr(); ok {
		if err := v.ctx.WriteMem(addr, b); err != nil {
			return fmt.Errorf("%s: writing %q: %w", op, v.name, err)
		}
		return nil
	}
	if len(v.loc.Pieces) == 1 && v.loc.Pieces[0].Kind == dwarfvars.InRegister && len(b) <= 8 {
		r := v.loc.Pieces[0].Reg
		old, err := v.ctx.Reg(r)
		if err != nil {
			return fmt.Errorf("%s: %q is in a register that is not known in this frame", op, v.name)
		}
		w := binary.LittleEndian.AppendUint64(nil, old)
		copy(w, b)
		if err := v.ctx.SetReg(r, binary.LittleEndian.Uint64(w)); err != nil {
			if errors.Is(err, core.ErrOuterRegister) {
				return fmt.Errorf("%s: %q is in a register of an outer frame, which cannot be written", op, v.name)
			}
			return fmt.Errorf("%s: writing %q: %w", op, v.name, err)
		}
		return nil
	}
	return fmt.Errorf("%s: %q is not in memory or in a register: it cannot be written", op, v.name)
}

func (v *Value) setBits(x starlark.Value, op string) error {
	i, ok := x.(starlark.Int)
	if !ok {
		return fmt.Errorf("%s: want an int for a bitfield, got %s", op, x.Type())
	}
	n, okn := i.Int64()
	lo, hi := int64(0), int64(1)<<uint(v.bitSize)-1
	if isSigned(v.typ) {
		lo, hi = -(int64(1) << uint(v.bitSize-1)), int64(1)<<uint(v.bitSize-1)-1
	}
	if !okn || n < lo || n > hi {
		return fmt.Errorf("%s: %v is out of range for a %d-bit field [%d, %d]", op, x, v.bitSize, lo, hi)
	}
	nb := (v.bitOffset + v.bitSize + 7) / 8
	b, err := dwarfvars.ReadBytes(v.loc, nb, v.ctx)
	if err != nil {
		return fmt.Errorf("%s: reading %q: %w", op, v.name, err)
	}
	w := readU(b)
	mask := (uint64(1)<<uint(v.bitSize) - 1) << uint(v.bitOffset)
	w = w&^mask | uint64(n)<<uint(v.bitOffset)&mask
	return v.store(binary.LittleEndian.AppendUint64(nil, w)[:nb], op)
}

func valueDeref(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	w, err := recv[*Value](b).deref(b.Name())
	if err != nil {
		return nil, err
	}
	return w.starlark(), nil
}

func valueString(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	limit := 4096
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "max?", &limit); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, errorf(b, "max %d is negative", limit)
	}
	v := recv[*Value](b)
	var text []byte
	var start uint64 // where to read a NUL-terminated text
	switch t := dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.StringType:
		data, err := v.read(b.Name())
		if err != nil {
			return nil, err
		}
		s, _, err := v.goReader().String(t, data, int64(limit))
		if err != nil {
			return nil, errorf(b, "reading %q: %v", v.name, err)
		}
		return starlark.String(s), nil
	case *dwarfvars.ArrayType:
		if !isCharType(t.Elem) {
			return nil, errorf(b, "%q is not a char array or pointer (type %s)", v.name, v.typ)
		}
		if addr, ok := v.loc.Addr(); ok && t.Len < 0 {
			start = addr // a flexible array: its text goes up to the NUL
			break
		}
		data, err := v.read(b.Name())
		if err != nil {
			return nil, err
		}
		text = data
	case *dwarfvars.PointerType:
		if !isCharType(t.Elem) {
			return nil, errorf(b, "%q is not a char array or pointer (type %s)", v.name, v.typ)
		}
		p, _, err := v.pointer(b.Name())
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return nil, errorf(b, "%q is a null pointer", v.name)
		}
		start = p
	default:
		return nil, errorf(b, "%q is not a char array or pointer (type %s)", v.name, v.typ)
	}
	if start != 0 {
		var one [1]byte
		for len(text) < limit {
			if err := v.ctx.ReadMem(start+uint64(len(text)), one[:]); err != nil {
				if len(text) == 0 {
					return nil, wrapErr(b, err)
				}
				break
			}
			if one[0] == 0 {
				break
			}
			text = append(text, one[0])
		}
	}
	for i, c := range text {
		if c == 0 {
			text = text[:i]
			break
		}
	}
	if len(text) > limit {
		text = text[:limit]
	}
	return starlark.String(text), nil
}

func isCharType(t dwarfvars.Type) bool {
	bt, ok := dwarfvars.Underlying(t).(*dwarfvars.BaseType)
	return ok && bt.K == dwarfvars.Char && bt.ByteSize == 1
}

func valueBytes(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	data, err := recv[*Value](b).read(b.Name())
	if err != nil {
		return nil, err
	}
	return starlark.Bytes(data), nil
}

func valueSet(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x); err != nil {
		return nil, err
	}
	return starlark.None, recv[*Value](b).set(x, b.Name())
}

func valueCast(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var tv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "type", &tv); err != nil {
		return nil, err
	}
	v := recv[*Value](b)
	t, err := resolveType(b, tv, []*dwarfvars.Data{v.data})
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("(%s)%s", t, v.name)
	if isScalar(t) && isScalar(v.typ) {
		data, err := v.read(b.Name())
		if err != nil {
			return nil, err
		}
		x := plainOf(nil, v.typ, data, 0)
		size := t.Size()
		var out []byte
		if f, ok := x.(starlark.Float); ok && !isFloat(t) {
			x = starlark.MakeInt64(int64(f))
		}
		if i, ok := x.(starlark.Int); ok && !isFloat(t) {
			// C conversions to an integer type wrap modulo 2^bits.
			u := new(big.Int).And(i.BigInt(), new(big.Int).SetUint64(math.MaxUint64)).Uint64()
			out = binary.LittleEndian.AppendUint64(nil, u)[:max(size, 0)]
		} else if out, err = encode(t, x, size, b.Name()); err != nil {
			return nil, err
		}
		w := &Value{name: name, typ: t, ctx: v.ctx, data: v.data, proc: v.proc, where: v.where,
			loc: dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: out}}}}
		return w.starlark(), nil
	}
	addr, ok := v.loc.Addr()
	if !ok {
		return nil, errorf(b, "cannot cast %q of type %s to %s", v.name, v.typ, t)
	}
	return v.inMemory(name, t, addr).starlark(), nil
}

func isFloat(t dwarfvars.Type) bool {
	bt, ok := dwarfvars.Underlying(t).(*dwarfvars.BaseType)
	return ok && bt.K == dwarfvars.Float
}
