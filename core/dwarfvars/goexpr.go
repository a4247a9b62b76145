package dwarfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	gotoken "go/token"
	"math"
	"strconv"
)

// EvalGoExpr evaluates a Go expression against env, as a debugger of Go
// programs reads one: names (locals and arguments, then package globals
// by their qualified name: main.config, or "net/http".DefaultClient),
// field selection through pointers and embedded fields (o.Items[2].Name,
// o.ID promoted from an embedded Base), indexing of arrays, slices,
// strings (a byte) and maps (m["key"], m[3]), *p, &x, len and cap of
// strings, arrays, slices, maps and channels, integer, floating-point,
// string and bool literals, unary - and !, and the arithmetic, comparison
// and logical operators on numbers, bools and strings. Conversions, type
// assertions, calls of the program's functions and slicing are not
// supported. The result designates an object of the program where the
// expression does (o.Items[2], *p), and is a computed value otherwise
// (len(s), &x, 2*n). A syntax error is a *SyntaxError.
func EvalGoExpr(src string, env ExprEnv) (*Object, error) {
	fset := gotoken.NewFileSet()
	e, err := parser.ParseExprFrom(fset, "", src, 0)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, &SyntaxError{Col: list[0].Pos.Column, Msg: list[0].Msg}
		}
		return nil, &SyntaxError{Col: 1, Msg: err.Error()}
	}
	ev := &goEval{env: env, g: &GoReader{Ctx: exprContext{env}}}
	x, err := ev.eval(e)
	if err != nil {
		return nil, err
	}
	return ev.object(x)
}

// exprContext reads memory for a GoReader through an ExprEnv.
type exprContext struct{ env ExprEnv }

func (c exprContext) Reg(int) (uint64, error)        { return 0, ErrUnavailable }
func (c exprContext) CFA() (uint64, error)           { return 0, ErrUnavailable }
func (c exprContext) TLSAddr(uint64) (uint64, error) { return 0, ErrUnavailable }
func (c exprContext) ReadMem(addr uint64, b []byte) error {
	return c.env.ReadMem(addr, b)
}

type goEval struct {
	env ExprEnv
	g   *GoReader
}

// A goVal is an operand: an object of the program, or a constant (int64,
// float64, string or bool) from a literal or an operator.
type goVal struct {
	obj   *Object
	konst any
}

func (ev *goEval) eval(e ast.Expr) (goVal, error) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return ev.eval(e.X)
	case *ast.BasicLit:
		return goLiteral(e)
	case *ast.Ident:
		switch e.Name {
		case "true", "false":
			return goVal{konst: e.Name == "true"}, nil
		}
		o, err := ev.env.Ident(e.Name)
		return goVal{obj: o}, err
	case *ast.SelectorExpr:
		return ev.selector(e)
	case *ast.IndexExpr:
		return ev.index(e)
	case *ast.StarExpr:
		x, err := ev.operand(e.X)
		if err != nil {
			return goVal{}, err
		}
		o, err := ev.deref(x, goText(e.X))
		return goVal{obj: o}, err
	case *ast.UnaryExpr:
		return ev.unary(e)
	case *ast.CallExpr:
		return ev.call(e)
	case *ast.BinaryExpr:
		return ev.binary(e)
	}
	return goVal{}, fmt.Errorf("%s: this form of expression is not supported", goText(e))
}

// operand evaluates e, which must designate an object.
func (ev *goEval) operand(e ast.Expr) (*Object, error) {
	x, err := ev.eval(e)
	if err != nil {
		return nil, err
	}
	if x.obj == nil {
		return nil, fmt.Errorf("%s is a constant, not a value of the program", goText(e))
	}
	return x.obj, nil
}

func goLiteral(e *ast.BasicLit) (goVal, error) {
	switch e.Kind {
	case gotoken.INT:
		n, err := strconv.ParseInt(e.Value, 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(e.Value, 0, 64)
			if uerr != nil {
				return goVal{}, fmt.Errorf("%s: %v", e.Value, err)
			}
			n = int64(u)
		}
		return goVal{konst: n}, nil
	case gotoken.FLOAT:
		f, err := strconv.ParseFloat(e.Value, 64)
		return goVal{konst: f}, err
	case gotoken.STRING:
		s, err := strconv.Unquote(e.Value)
		return goVal{konst: s}, err
	case gotoken.CHAR:
		s, err := strconv.Unquote(e.Value)
		if err != nil || len([]rune(s)) != 1 {
			return goVal{}, fmt.Errorf("%s: bad rune literal", e.Value)
		}
		return goVal{konst: int64([]rune(s)[0])}, nil
	}
	return goVal{}, fmt.Errorf("%s: unsupported literal", e.Value)
}

// selector evaluates x.f: a field of a struct (through pointers and
// embedded fields), or a package-qualified global (main.config).
func (ev *goEval) selector(e *ast.SelectorExpr) (goVal, error) {
	if lit, ok := e.X.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
		pkg, err := strconv.Unquote(lit.Value)
		if err != nil {
			return goVal{}, err
		}
		o, err := ev.env.Ident(pkg + "." + e.Sel.Name)
		return goVal{obj: o}, err
	}
	x, err := ev.eval(e.X)
	if err != nil {
		if id, ok := e.X.(*ast.Ident); ok {
			if o, qerr := ev.env.Ident(id.Name + "." + e.Sel.Name); qerr == nil {
				return goVal{obj: o}, nil
			}
		}
		return goVal{}, err
	}
	if x.obj == nil {
		return goVal{}, fmt.Errorf("%s is a constant, not a value of the program", goText(e.X))
	}
	o, err := ev.field(x.obj, e.Sel.Name, goText(e.X))
	return goVal{obj: o}, err
}

// field selects field name of o, a struct or a pointer to one, as Go's
// selectors do: the shallowest field of that name through embedded
// fields, pointers read through.
func (ev *goEval) field(o *Object, name, what string) (*Object, error) {
	start, err := ev.structOf(o, what)
	if err != nil {
		return nil, err
	}
	level := []structObj{start}
	for depth := 0; len(level) > 0 && depth < 16; depth++ {
		var found []*Object
		var next []structObj
		for _, c := range level {
			for _, f := range c.st.Fields {
				if f.Name != name && !f.Embedded {
					continue
				}
				fo, err := ev.sub(c.obj, f.Type, f.Offset)
				if err != nil {
					return nil, err
				}
				if f.Name == name {
					found = append(found, fo)
				} else if inner, err := ev.structOf(fo, what+"."+f.Name); err == nil {
					next = append(next, inner)
				}
			}
		}
		switch {
		case len(found) == 1:
			return found[0], nil
		case len(found) > 1:
			return nil, fmt.Errorf("ambiguous selector %s.%s", what, name)
		}
		level = next
	}
	return nil, fmt.Errorf("%s (type %s) has no field %q", what, o.Type, name)
}

// A structObj is an object of struct type.
type structObj struct {
	obj *Object
	st  *StructType
}

// structOf returns o's struct, reading through a pointer to one.
func (ev *goEval) structOf(o *Object, what string) (structObj, error) {
	if _, ok := Underlying(o.Type).(*PointerType); ok {
		var err error
		if o, err = ev.deref(o, what); err != nil {
			return structObj{}, err
		}
	}
	st, ok := Underlying(o.Type).(*StructType)
	if !ok {
		return structObj{}, fmt.Errorf("%s (type %s) is not a struct", what, o.Type)
	}
	return structObj{o, st}, nil
}

// sub returns the object of type t at byte offset off in o.
func (ev *goEval) sub(o *Object, t Type, off int64) (*Object, error) {
	if addr, ok := o.Addr(); ok {
		return memObject(t, addr+uint64(off)), nil
	}
	b, err := ev.bytes(o)
	if err != nil {
		return nil, err
	}
	if off+t.Size() > int64(len(b)) || t.Size() < 0 {
		return nil, fmt.Errorf("a %s at offset %d is outside a %s", t, off, o.Type)
	}
	return &Object{Type: t, Bytes: b[off : off+t.Size()]}, nil
}

func memObject(t Type, addr uint64) *Object {
	return &Object{Type: t, Loc: Location{Pieces: []Piece{{Kind: InMemory, Addr: addr}}}}
}

// bytes reads an object's bytes.
func (ev *goEval) bytes(o *Object) ([]byte, error) {
	if o.Bytes != nil {
		return o.Bytes, nil
	}
	n := o.Type.Size()
	if n < 0 {
		return nil, fmt.Errorf("a %s has no size", o.Type)
	}
	return ReadBytes(o.Loc, n, exprContext{ev.env})
}

// deref reads pointer o and returns what it points to.
func (ev *goEval) deref(o *Object, what string) (*Object, error) {
	pt, ok := Underlying(o.Type).(*PointerType)
	if !ok {
		return nil, fmt.Errorf("%s (type %s) is not a pointer", what, o.Type)
	}
	b, err := ev.bytes(o)
	if err != nil {
		return nil, err
	}
	p := word(b, 0)
	if p == 0 {
		return nil, fmt.Errorf("%s is a nil pointer", what)
	}
	if pt.Elem.Size() < 0 {
		return nil, fmt.Errorf("cannot dereference %s (type %s)", what, o.Type)
	}
	return memObject(pt.Elem, p), nil
}

// index evaluates x[i] for arrays, slices, strings, pointers to arrays
// and maps.
func (ev *goEval) index(e *ast.IndexExpr) (goVal, error) {
	what := goText(e.X)
	x, err := ev.operand(e.X)
	if err != nil {
		return goVal{}, err
	}
	if pt, ok := Underlying(x.Type).(*PointerType); ok {
		if _, isArr := Underlying(pt.Elem).(*ArrayType); isArr {
			if x, err = ev.deref(x, what); err != nil {
				return goVal{}, err
			}
		}
	}
	k, err := ev.eval(e.Index)
	if err != nil {
		return goVal{}, err
	}
	if mt, ok := Underlying(x.Type).(*MapType); ok {
		o, err := ev.mapIndex(x, mt, k, what, goText(e.Index))
		return goVal{obj: o}, err
	}
	i, err := ev.integer(k, goText(e.Index))
	if err != nil {
		return goVal{}, err
	}
	b, err := ev.bytes(x)
	if err != nil {
		return goVal{}, err
	}
	var base uint64
	var n int64
	var elem Type
	switch u := Underlying(x.Type).(type) {
	case *ArrayType:
		if i < 0 || i >= u.Len {
			return goVal{}, fmt.Errorf("index %d is out of range for %s of length %d", i, what, u.Len)
		}
		o, err := ev.sub(x, u.Elem, i*u.Elem.Size())
		return goVal{obj: o}, err
	case *SliceType:
		base, n, _ = SliceHeader(u, b)
		elem = u.Elem
	case *StringType:
		base, n = StringHeader(u, b)
		elem = uint8Type
	default:
		return goVal{}, fmt.Errorf("%s (type %s) cannot be indexed", what, x.Type)
	}
	if i < 0 || i >= n {
		return goVal{}, fmt.Errorf("index %d is out of range for %s of length %d", i, what, n)
	}
	return goVal{obj: memObject(elem, base+uint64(i*max(elem.Size(), 0)))}, nil
}

// uint8Type is the type of a string's byte, s[i].
var uint8Type = &BaseType{Name: "uint8", K: Uint, ByteSize: 1, Unsigned: true}

// mapIndex finds key k in map x by comparing it with each key.
func (ev *goEval) mapIndex(x *Object, mt *MapType, k goVal, what, ktext string) (*Object, error) {
	want, err := ev.scalar(k, ktext)
	if err != nil {
		return nil, err
	}
	b, err := ev.bytes(x)
	if err != nil {
		return nil, err
	}
	var found *Object
	err = ev.g.MapEntries(mt, b, func(e MapEntry) (bool, error) {
		key, err := ev.scalar(goVal{obj: memObject(mt.Key, e.Key)}, "a key")
		if err != nil {
			return false, err
		}
		if key == want {
			found = memObject(mt.Elem, e.Elem)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fmt.Errorf("key %s is not in %s", ktext, what)
	}
	return found, nil
}

// scalar returns the Go value of a constant or of an object of a scalar
// type: int64 for signed integers, uint64 for unsigned ones, pointers
// and channels, float64, bool, or string.
func (ev *goEval) scalar(x goVal, what string) (any, error) {
	if x.obj == nil {
		if f, ok := x.konst.(float64); ok && f == math.Trunc(f) {
			return f, nil
		}
		return x.konst, nil
	}
	b, err := ev.bytes(x.obj)
	if err != nil {
		return nil, err
	}
	switch u := Underlying(x.obj.Type).(type) {
	case *BaseType:
		switch {
		case u.K == Bool:
			return readUint(b) != 0, nil
		case u.K == Float && len(b) == 4:
			return float64(math.Float32frombits(uint32(readUint(b)))), nil
		case u.K == Float:
			return math.Float64frombits(readUint(b)), nil
		case u.Unsigned:
			return readUint(b), nil
		}
		return readInt(b, true), nil
	case *PointerType, *ChanType:
		return readUint(b), nil
	case *StringType:
		s, _, err := ev.g.String(u, b, -1)
		return s, err
	}
	return nil, fmt.Errorf("%s (type %s) is not a number, bool, string or pointer", what, x.obj.Type)
}

// integer returns an index's value.
func (ev *goEval) integer(x goVal, what string) (int64, error) {
	v, err := ev.scalar(x, what)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case int64:
		return n, nil
	case uint64:
		return int64(n), nil
	}
	return 0, fmt.Errorf("index %s is not an integer", what)
}

// object turns an operand into the result: a constant becomes an object
// of the program's int, float64 or bool type.
func (ev *goEval) object(x goVal) (*Object, error) {
	if x.obj != nil {
		return x.obj, nil
	}
	var name string
	var b []byte
	switch c := x.konst.(type) {
	case int64:
		name, b = "int", binary.LittleEndian.AppendUint64(nil, uint64(c))
	case uint64:
		name, b = "uint64", binary.LittleEndian.AppendUint64(nil, c)
	case float64:
		name, b = "float64", binary.LittleEndian.AppendUint64(nil, math.Float64bits(c))
	case bool:
		name, b = "bool", []byte{0}
		if c {
			b[0] = 1
		}
	default:
		return nil, fmt.Errorf("a %T constant is not a value of the program", c)
	}
	t, err := ev.env.LookupType(name)
	if err != nil {
		return nil, err
	}
	return &Object{Type: t, Bytes: b}, nil
}
