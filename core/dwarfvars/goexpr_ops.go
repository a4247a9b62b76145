package dwarfvars

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"go/ast"
	"go/printer"
	gotoken "go/token"
	"strings"
)

// goText is the source text of an expression, for messages.
func goText(e ast.Expr) string {
	var sb strings.Builder
	if printer.Fprint(&sb, gotoken.NewFileSet(), e) != nil {
		return "?"
	}
	return sb.String()
}

// unary evaluates &x, -x and !x.
func (ev *goEval) unary(e *ast.UnaryExpr) (goVal, error) {
	if e.Op == gotoken.AND {
		x, err := ev.operand(e.X)
		if err != nil {
			return goVal{}, err
		}
		addr, ok := x.Addr()
		if !ok {
			return goVal{}, fmt.Errorf("cannot take the address of %s: it is not in memory", goText(e.X))
		}
		pt := &PointerType{Elem: x.Type, ByteSize: 8, GoName: "*" + x.Type.String()}
		return goVal{obj: &Object{Type: pt, Bytes: binary.LittleEndian.AppendUint64(nil, addr)}}, nil
	}
	x, err := ev.eval(e.X)
	if err != nil {
		return goVal{}, err
	}
	v, err := ev.scalar(x, goText(e.X))
	if err != nil {
		return goVal{}, err
	}
	switch e.Op {
	case gotoken.SUB:
		switch n := v.(type) {
		case int64:
			return goVal{konst: -n}, nil
		case uint64:
			return goVal{konst: -int64(n)}, nil
		case float64:
			return goVal{konst: -n}, nil
		}
	case gotoken.ADD:
		switch v.(type) {
		case int64, uint64, float64:
			return goVal{konst: v}, nil
		}
	case gotoken.NOT:
		if b, ok := v.(bool); ok {
			return goVal{konst: !b}, nil
		}
	}
	return goVal{}, fmt.Errorf("operator %s does not apply to %s", e.Op, goText(e.X))
}

// call evaluates len(x) and cap(x).
func (ev *goEval) call(e *ast.CallExpr) (goVal, error) {
	fn, ok := e.Fun.(*ast.Ident)
	if !ok || (fn.Name != "len" && fn.Name != "cap") || len(e.Args) != 1 {
		return goVal{}, fmt.Errorf("%s: only len(x) and cap(x) can be called", goText(e))
	}
	what := goText(e.Args[0])
	x, err := ev.operand(e.Args[0])
	if err != nil {
		return goVal{}, err
	}
	if pt, ok := Underlying(x.Type).(*PointerType); ok {
		if _, isArr := Underlying(pt.Elem).(*ArrayType); isArr {
			x = &Object{Type: pt.Elem, Bytes: make([]byte, 0)} // only the length is used
		}
	}
	var b []byte
	if _, isArr := Underlying(x.Type).(*ArrayType); !isArr {
		if b, err = ev.bytes(x); err != nil {
			return goVal{}, err
		}
	}
	isLen := fn.Name == "len"
	switch u := Underlying(x.Type).(type) {
	case *ArrayType:
		return goVal{konst: u.Len}, nil
	case *SliceType:
		_, n, c := SliceHeader(u, b)
		if isLen {
			return goVal{konst: n}, nil
		}
		return goVal{konst: c}, nil
	case *StringType:
		if isLen {
			_, n := StringHeader(u, b)
			return goVal{konst: n}, nil
		}
	case *MapType:
		if isLen {
			n, err := ev.g.MapLen(u, b)
			return goVal{konst: n}, err
		}
	case *ChanType:
		n, c, err := ev.g.ChanLenCap(u, b)
		if isLen {
			return goVal{konst: n}, err
		}
		return goVal{konst: c}, err
	}
	return goVal{}, fmt.Errorf("invalid argument %s (type %s) for %s", what, x.Type, fn.Name)
}

// binary evaluates the arithmetic, comparison and logical operators on
// numbers, and comparisons of bools and of strings.
func (ev *goEval) binary(e *ast.BinaryExpr) (goVal, error) {
	xv, err := ev.eval(e.X)
	if err != nil {
		return goVal{}, err
	}
	yv, err := ev.eval(e.Y)
	if err != nil {
		return goVal{}, err
	}
	x, err := ev.scalar(xv, goText(e.X))
	if err != nil {
		return goVal{}, err
	}
	y, err := ev.scalar(yv, goText(e.Y))
	if err != nil {
		return goVal{}, err
	}
	bad := fmt.Errorf("operator %s does not apply to %s and %s", e.Op, goText(e.X), goText(e.Y))
	if a, ok := x.(bool); ok {
		b, ok := y.(bool)
		if !ok {
			return goVal{}, bad
		}
		switch e.Op {
		case gotoken.LAND:
			return goVal{konst: a && b}, nil
		case gotoken.LOR:
			return goVal{konst: a || b}, nil
		case gotoken.EQL:
			return goVal{konst: a == b}, nil
		case gotoken.NEQ:
			return goVal{konst: a != b}, nil
		}
		return goVal{}, bad
	}
	if a, ok := x.(string); ok {
		b, ok := y.(string)
		if !ok {
			return goVal{}, bad
		}
		if r, ok := goCompare(e.Op, strings.Compare(a, b)); ok {
			return goVal{konst: r}, nil
		}
		return goVal{}, bad
	}
	_, xf := x.(float64)
	_, yf := y.(float64)
	if xf || yf {
		a, b := goFloat64(x), goFloat64(y)
		if r, ok := arith(e.Op, a, b); ok {
			return goVal{konst: r}, nil
		}
		if r, ok := goCompare(e.Op, cmp.Compare(a, b)); ok {
			return goVal{konst: r}, nil
		}
		return goVal{}, bad
	}
	a, b := goInt64(x), goInt64(y)
	if b == 0 && (e.Op == gotoken.QUO || e.Op == gotoken.REM) {
		return goVal{}, fmt.Errorf("division by zero in %s", goText(e))
	}
	if r, ok := arith(e.Op, a, b); ok {
		return goVal{konst: r}, nil
	}
	switch e.Op {
	case gotoken.REM:
		return goVal{konst: a % b}, nil
	case gotoken.AND:
		return goVal{konst: a & b}, nil
	case gotoken.OR:
		return goVal{konst: a | b}, nil
	case gotoken.XOR:
		return goVal{konst: a ^ b}, nil
	case gotoken.SHL:
		return goVal{konst: a << uint64(b)}, nil
	case gotoken.SHR:
		return goVal{konst: a >> uint64(b)}, nil
	}
	if r, ok := goCompare(e.Op, cmp.Compare(a, b)); ok {
		return goVal{konst: r}, nil
	}
	return goVal{}, bad
}

// arith applies + - * / to two numbers of one kind.
func arith[T int64 | float64](op gotoken.Token, a, b T) (T, bool) {
	switch op {
	case gotoken.ADD:
		return a + b, true
	case gotoken.SUB:
		return a - b, true
	case gotoken.MUL:
		return a * b, true
	case gotoken.QUO:
		return a / b, true
	}
	return 0, false
}

// goCompare applies a comparison operator to the sign of a comparison.
func goCompare(op gotoken.Token, c int) (bool, bool) {
	switch op {
	case gotoken.EQL:
		return c == 0, true
	case gotoken.NEQ:
		return c != 0, true
	case gotoken.LSS:
		return c < 0, true
	case gotoken.LEQ:
		return c <= 0, true
	case gotoken.GTR:
		return c > 0, true
	case gotoken.GEQ:
		return c >= 0, true
	}
	return false, false
}

func goFloat64(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

func goInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		return int64(n)
	}
	return 0
}
