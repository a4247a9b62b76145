package dwarfvars

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// The types of literals and of the results of arithmetic, as C on LP64
// (x86-64 Linux) spells them.
var (
	charType       = &BaseType{Name: "char", K: Char, ByteSize: 1}
	intType        = &BaseType{Name: "int", K: Int, ByteSize: 4}
	uintType       = &BaseType{Name: "unsigned int", K: Uint, ByteSize: 4, Unsigned: true}
	longType       = &BaseType{Name: "long", K: Int, ByteSize: 8}
	ulongType      = &BaseType{Name: "unsigned long", K: Uint, ByteSize: 8, Unsigned: true}
	longLongType   = &BaseType{Name: "long long", K: Int, ByteSize: 8}
	ulongLongType  = &BaseType{Name: "unsigned long long", K: Uint, ByteSize: 8, Unsigned: true}
	floatType      = &BaseType{Name: "float", K: Float, ByteSize: 4}
	doubleType     = &BaseType{Name: "double", K: Float, ByteSize: 8}
	longDoubleType = &BaseType{Name: "long double", K: Float, ByteSize: 16}
)

// A scalar is a value an operator works on: an integer (kind 'i', its
// bits in u, sign-extended to 64 when signed), a floating-point number
// ('f', in f) or a pointer ('p', in u).
type scalar struct {
	t      Type
	kind   byte
	u      uint64
	f      float64
	size   int64
	signed bool
	rank   int // of an integer type: 1 bool, 2 char, 3 short, 4 int, 5 long, 6 long long
}

func (v scalar) signedValue() int64 { return int64(v.u) }

func (v scalar) truth() bool {
	if v.kind == 'f' {
		return v.f != 0
	}
	return v.u != 0
}

// object returns v as a computed object of its type.
func (v scalar) object() *Object {
	if v.kind == 'f' {
		return rvalue(v.t, floatBytes(v.f, v.size))
	}
	return rvalue(v.t, intBytes(v.u, v.size))
}

func isSigned(t Type) bool {
	switch u := Underlying(t).(type) {
	case *BaseType:
		return !u.Unsigned && u.K != Bool
	case *EnumType:
		return !u.Unsigned
	}
	return false
}

// scalar reads o as an operand: an array or a function decays to a
// pointer to its first element or to itself.
func (ev *exprEval) scalar(o *Object) (scalar, error) {
	switch u := Underlying(o.Type).(type) {
	case *ArrayType:
		addr, ok := o.Addr()
		if !ok {
			return scalar{}, fmt.Errorf("array of type %s is not in memory: it has no address to decay to", o.Type)
		}
		return scalar{t: &PointerType{Elem: u.Elem, ByteSize: 8}, kind: 'p', u: addr, size: 8}, nil
	case *FuncType:
		addr, _ := o.Loc.Addr()
		return scalar{t: &PointerType{Elem: o.Type, ByteSize: 8}, kind: 'p', u: addr, size: 8}, nil
	case *StructType, *VoidType, *UnspecifiedType:
		return scalar{}, fmt.Errorf("a value of type %s is not a number or a pointer", o.Type)
	}
	b, err := ev.bytes(o)
	if err != nil {
		return scalar{}, err
	}
	v := scalar{t: o.Type, size: int64(len(b))}
	switch u := Underlying(o.Type).(type) {
	case *PointerType:
		v.kind, v.u = 'p', readUint(b)
	case *EnumType:
		v.kind, v.signed, v.rank = 'i', !u.Unsigned, intRank(u.ByteSize, "")
		v.u = uint64(readInt(b, v.signed))
	case *BaseType:
		switch u.K {
		case Float:
			if !floatSize(len(b)) {
				return scalar{}, fmt.Errorf("arithmetic on %d-byte floating-point numbers (%s) is not supported", len(b), o.Type)
			}
			v.kind, v.f = 'f', decodeFloat(b)
		case Int, Uint, Char, Bool:
			if len(b) > 8 {
				return scalar{}, fmt.Errorf("arithmetic on %d-byte integers (%s) is not supported", len(b), o.Type)
			}
			v.kind, v.signed, v.rank = 'i', isSigned(u), intRank(u.ByteSize, u.Name)
			if u.K == Bool {
				v.rank = 1
			}
			v.u = uint64(readInt(b, v.signed))
			if o.BitSize != 0 && o.BitSize < 32 {
				v.rank = 3 // a bitfield narrower than int promotes to int (C11 6.3.1.1)
			}
		default:
			return scalar{}, fmt.Errorf("a value of type %s is not a number", o.Type)
		}
	default:
		return scalar{}, fmt.Errorf("a value of type %s is not a number or a pointer", o.Type)
	}
	return v, nil
}

func intRank(size int64, name string) int {
	switch {
	case size == 1:
		return 2
	case size == 2:
		return 3
	case size == 4:
		return 4
	case strings.Contains(name, "long long"):
		return 6
	}
	return 5
}

// builtinInt returns the C integer type of a rank and signedness.
func builtinInt(rank int, signed bool) *BaseType {
	ts := map[int][2]*BaseType{4: {uintType, intType}, 5: {ulongType, longType}, 6: {ulongLongType, longLongType}}
	if signed {
		return ts[rank][1]
	}
	return ts[rank][0]
}

// promote applies C's integer promotions: a type narrower than int
// becomes int; an int-sized type becomes int or unsigned int.
func promote(v scalar) scalar {
	if v.kind != 'i' {
		return v
	}
	if v.rank < 4 {
		v.rank, v.signed = 4, true
	}
	return v.convertInt(builtinInt(v.rank, v.signed))
}

// convertInt converts v (an integer or a pointer) to integer type t,
// truncating or extending it.
func (v scalar) convertInt(t *BaseType) scalar {
	if v.kind == 'f' {
		if t.Unsigned && v.f >= 0 {
			v.u = uint64(v.f)
		} else {
			v.u = uint64(int64(v.f))
		}
	}
	w := scalar{t: t, kind: 'i', size: t.ByteSize, signed: isSigned(t), rank: intRank(t.ByteSize, t.Name)}
	w.u = fitInt(v.u, t.ByteSize, w.signed)
	if t.K == Bool {
		w.rank = 1
	}
	return w
}

// fitInt truncates u to n bytes and extends it back to 64 bits.
func fitInt(u uint64, n int64, signed bool) uint64 {
	if n >= 8 {
		return u
	}
	u &= 1<<(8*n) - 1
	if signed {
		u = signExtend(u, int(n))
	}
	return u
}

// usualConversions returns the common type of two arithmetic operands
// (C11 6.3.1.8) and the operands converted to it.
func usualConversions(a, b scalar) (scalar, scalar) {
	if a.kind == 'f' || b.kind == 'f' {
		t := doubleType
		switch {
		case a.kind == 'f' && a.size > 8 || b.kind == 'f' && b.size > 8:
			t = longDoubleType
		case (a.kind != 'f' || a.size == 4) && (b.kind != 'f' || b.size == 4):
			t = floatType
		}
		return toFloat(a, t), toFloat(b, t)
	}
	a, b = promote(a), promote(b)
	var t *BaseType
	switch {
	case a.signed == b.signed:
		t = builtinInt(max(a.rank, b.rank), a.signed)
	default:
		s, u := a, b
		if u.signed {
			s, u = b, a
		}
		switch {
		case u.rank >= s.rank:
			t = builtinInt(u.rank, false)
		case s.size > u.size:
			t = builtinInt(s.rank, true)
		default:
			t = builtinInt(s.rank, false)
		}
	}
	return a.convertInt(t), b.convertInt(t)
}

func toFloat(v scalar, t *BaseType) scalar {
	f := v.f
	if v.kind == 'i' {
		if v.signed {
			f = float64(int64(v.u))
		} else {
			f = float64(v.u)
		}
	}
	if t.ByteSize == 4 {
		f = float64(float32(f))
	}
	return scalar{t: t, kind: 'f', f: f, size: t.ByteSize}
}

func boolResult(b bool) *Object {
	if b {
		return rvalue(intType, intBytes(1, 4))
	}
	return rvalue(intType, intBytes(0, 4))
}

// elemSize is the size pointer arithmetic scales by: 1 for void and
// functions, as gcc and gdb do.
func elemSize(p Type) (int64, error) {
	elem := Underlying(p).(*PointerType).Elem
	switch Underlying(elem).(type) {
	case *VoidType, *FuncType:
		return 1, nil
	}
	if n := elem.Size(); n > 0 {
		return n, nil
	}
	return 0, fmt.Errorf("arithmetic on a pointer to %s, a type of unknown size", elem)
}

func (ev *exprEval) binary(n *binaryNode) (*Object, error) {
	x, err := ev.eval(n.x)
	if err != nil {
		return nil, err
	}
	if n.op == "&&" || n.op == "||" {
		a, err := ev.scalar(x)
		if err != nil {
			return nil, fmt.Errorf("operator %s: %w", n.op, err)
		}
		if a.truth() == (n.op == "||") {
			return boolResult(a.truth()), nil // short circuit: y is not evaluated
		}
		y, err := ev.eval(n.y)
		if err != nil {
			return nil, err
		}
		b, err := ev.scalar(y)
		if err != nil {
			return nil, fmt.Errorf("operator %s: %w", n.op, err)
		}
		return boolResult(b.truth()), nil
	}
	y, err := ev.eval(n.y)
	if err != nil {
		return nil, err
	}
	if n.op == "+" || n.op == "-" {
		return ev.add(x, y, n.op)
	}
	a, err := ev.scalar(x)
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", n.op, err)
	}
	b, err := ev.scalar(y)
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", n.op, err)
	}
	switch n.op {
	case "==", "!=", "<", ">", "<=", ">=":
		return compare(n.op, a, b)
	}
	if a.kind == 'p' || b.kind == 'p' {
		return nil, fmt.Errorf("operator %s on a pointer (%s %s %s)", n.op, a.t, n.op, b.t)
	}
	switch n.op {
	case "<<", ">>":
		if a.kind != 'i' || b.kind != 'i' {
			return nil, fmt.Errorf("operator %s on %s and %s: integers only", n.op, a.t, b.t)
		}
		a, b = promote(a), promote(b)
		if b.signed && b.signedValue() < 0 {
			return nil, fmt.Errorf("shift by a negative count %d", b.signedValue())
		}
		switch {
		case n.op == "<<":
			a.u <<= min(b.u, 64)
		case a.signed:
			a.u = uint64(a.signedValue() >> min(b.u, 63))
		default:
			a.u = fitInt(a.u, a.size, false) >> min(b.u, 64)
		}
		a.u = fitInt(a.u, a.size, a.signed)
		return a.object(), nil
	}
	a, b = usualConversions(a, b)
	if a.kind == 'f' {
		switch n.op {
		case "*":
			a.f *= b.f
		case "/":
			a.f /= b.f
		case "+":
			a.f += b.f
		default:
			return nil, fmt.Errorf("operator %s on %s: integers only", n.op, a.t)
		}
		return a.object(), nil
	}
	switch n.op {
	case "*":
		a.u *= b.u
	case "/", "%":
		if b.u == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		switch {
		case n.op == "/" && a.signed:
			a.u = uint64(a.signedValue() / b.signedValue())
		case n.op == "/":
			a.u = fitInt(a.u, a.size, false) / fitInt(b.u, b.size, false)
		case a.signed:
			a.u = uint64(a.signedValue() % b.signedValue())
		default:
			a.u = fitInt(a.u, a.size, false) % fitInt(b.u, b.size, false)
		}
	case "&":
		a.u &= b.u
	case "|":
		a.u |= b.u
	case "^":
		a.u ^= b.u
	default:
		return nil, fmt.Errorf("unknown operator %s", n.op)
	}
	a.u = fitInt(a.u, a.size, a.signed)
	return a.object(), nil
}

// add evaluates x + y or x - y, with pointer arithmetic.
func (ev *exprEval) add(x, y *Object, op string) (*Object, error) {
	a, err := ev.scalar(x)
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", op, err)
	}
	b, err := ev.scalar(y)
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", op, err)
	}
	if a.kind != 'p' && b.kind == 'p' && op == "+" {
		a, b = b, a
	}
	switch {
	case a.kind == 'p' && b.kind == 'p':
		if op == "+" {
			return nil, fmt.Errorf("cannot add two pointers (%s + %s)", a.t, b.t)
		}
		sa, err := elemSize(a.t)
		if err != nil {
			return nil, err
		}
		sb, err := elemSize(b.t)
		if err != nil {
			return nil, err
		}
		if sa != sb {
			return nil, fmt.Errorf("cannot subtract %s from %s: their elements differ in size", b.t, a.t)
		}
		return rvalue(longType, intBytes(uint64(int64(a.u-b.u)/sa), 8)), nil
	case a.kind == 'p':
		if b.kind != 'i' {
			return nil, fmt.Errorf("operator %s on a pointer and %s", op, b.t)
		}
		es, err := elemSize(a.t)
		if err != nil {
			return nil, err
		}
		d := b.u * uint64(es)
		if op == "-" {
			d = -d
		}
		return rvalue(a.t, intBytes(a.u+d, 8)), nil
	case b.kind == 'p':
		return nil, fmt.Errorf("cannot subtract a pointer from %s", a.t)
	}
	a, b = usualConversions(a, b)
	switch {
	case a.kind == 'f' && op == "+":
		a.f += b.f
	case a.kind == 'f':
		a.f -= b.f
	case op == "+":
		a.u = fitInt(a.u+b.u, a.size, a.signed)
	default:
		a.u = fitInt(a.u-b.u, a.size, a.signed)
	}
	return a.object(), nil
}

// compare evaluates a comparison; pointers compare as unsigned addresses.
func compare(op string, a, b scalar) (*Object, error) {
	var c int // -1, 0, 1
	switch {
	case a.kind == 'p' || b.kind == 'p':
		if a.kind == 'f' || b.kind == 'f' {
			return nil, fmt.Errorf("operator %s on a pointer and a floating-point number", op)
		}
		c = cmp3(a.u < b.u, a.u > b.u)
	default:
		a, b = usualConversions(a, b)
		switch {
		case a.kind == 'f':
			c = cmp3(a.f < b.f, a.f > b.f)
			if math.IsNaN(a.f) || math.IsNaN(b.f) {
				return boolResult(op == "!="), nil
			}
		case a.signed:
			c = cmp3(a.signedValue() < b.signedValue(), a.signedValue() > b.signedValue())
		default:
			c = cmp3(a.u < b.u, a.u > b.u)
		}
	}
	var r bool
	switch op {
	case "==":
		r = c == 0
	case "!=":
		r = c != 0
	case "<":
		r = c < 0
	case ">":
		r = c > 0
	case "<=":
		r = c <= 0
	case ">=":
		r = c >= 0
	}
	return boolResult(r), nil
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// cast converts x to type t as a C cast does.
func (ev *exprEval) cast(x *Object, t Type) (*Object, error) {
	bad := func() (*Object, error) {
		return nil, fmt.Errorf("cannot cast a value of type %s to %s", x.Type, t)
	}
	switch u := Underlying(t).(type) {
	case *VoidType:
		return &Object{Type: t, Loc: Location{Pieces: []Piece{{Kind: Implicit}}}}, nil
	case *StructType:
		if Underlying(x.Type).String() != u.String() {
			return bad()
		}
		o := *x
		o.Type = t
		return &o, nil
	case *BaseType, *EnumType, *PointerType:
		if p, ok := u.(*PointerType); ok && p.Ref {
			return bad()
		}
		switch Underlying(x.Type).(type) {
		case *StructType, *VoidType, *UnspecifiedType:
			return bad()
		}
		v, err := ev.scalar(x)
		if err != nil {
			return nil, err
		}
		switch u := u.(type) {
		case *PointerType:
			if v.kind == 'f' {
				return bad()
			}
			return rvalue(t, intBytes(v.u, 8)), nil
		case *EnumType:
			return rvalue(t, intBytes(fitInt(v.convertInt(longType).u, u.ByteSize, !u.Unsigned), u.ByteSize)), nil
		case *BaseType:
			switch {
			case u.K == Float:
				if v.kind == 'p' || !floatSize(int(u.ByteSize)) {
					return bad()
				}
				return rvalue(t, floatBytes(toFloat(v, u).f, u.ByteSize)), nil
			case u.K == Bool:
				return boolBytes(t, v.truth()), nil
			case u.K == Int || u.K == Uint || u.K == Char:
				if u.ByteSize > 8 {
					return bad()
				}
				return rvalue(t, intBytes(v.convertInt(u).u, u.ByteSize)), nil
			}
		}
	}
	return bad()
}

func boolBytes(t Type, b bool) *Object {
	if b {
		return rvalue(t, intBytes(1, t.Size()))
	}
	return rvalue(t, intBytes(0, t.Size()))
}

// intBytes encodes the low n bytes of u, little-endian.
func intBytes(u uint64, n int64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, u)
	for int64(len(b)) < n {
		b = append(b, 0)
	}
	return b[:n]
}

// floatBytes encodes f as a float (4 bytes), a double (8) or an x87 long
// double (16, of which the first 10 hold the value).
func floatBytes(f float64, n int64) []byte {
	switch n {
	case 4:
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(f)))
	case 8:
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(f))
	}
	b := make([]byte, n)
	var mant uint64
	var se uint16
	if math.Signbit(f) {
		se = 0x8000
		f = -f
	}
	switch {
	case math.IsNaN(f):
		se, mant = 0x7fff, 0xc000000000000000
	case math.IsInf(f, 0):
		se, mant = se|0x7fff, 1<<63
	case f != 0:
		frac, exp := math.Frexp(f) // f = frac * 2^exp, frac in [0.5, 1)
		mant = uint64(math.Ldexp(frac, 64))
		se |= uint16(exp - 1 + 16383)
	}
	binary.LittleEndian.PutUint64(b, mant)
	binary.LittleEndian.PutUint16(b[8:], se)
	return b
}

// floatSize reports whether floatBytes and decodeFloat handle n bytes.
func floatSize(n int) bool { return n == 4 || n == 8 || n == 10 || n == 12 || n == 16 }

// decodeFloat decodes a float, a double or an x87 long double (rounded to
// a double).
func decodeFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	mant := binary.LittleEndian.Uint64(b)
	se := binary.LittleEndian.Uint16(b[8:])
	exp := int(se & 0x7fff)
	var f float64
	switch {
	case exp == 0x7fff && mant<<1 == 0:
		f = math.Inf(1)
	case exp == 0x7fff:
		f = math.NaN()
	default:
		f = math.Ldexp(float64(mant), max(exp, 1)-16383-63)
	}
	if se&0x8000 != 0 {
		f = -f
	}
	return f
}
