package dwarfvars

import (
	"debug/elf"
	"errors"
	"fmt"
	"testing"

	"stardbg/core/sym"
	"stardbg/internal/testtarget"
)

// fakeEnv is an ExprEnv over the types of c/typed and a memory and a set
// of variables the test makes up: no process.
type fakeEnv struct {
	d    *Data
	vars map[string]*Object
	mem  map[uint64][]byte // regions, by start address
}

func (f *fakeEnv) Ident(name string) (*Object, error) {
	if o, ok := f.vars[name]; ok {
		c := *o
		return &c, nil
	}
	nf := &NotFoundError{Name: name}
	for n := range f.vars {
		if editClose(name, n) {
			nf.Suggestions = append(nf.Suggestions, n)
		}
	}
	return nil, nf
}

func editClose(a, b string) bool { return sym.EditDistance(a, b, 1) <= 1 }

func (f *fakeEnv) ReadMem(addr uint64, b []byte) error {
	for start, r := range f.mem {
		if start <= addr && addr+uint64(len(b)) <= start+uint64(len(r)) {
			copy(b, r[addr-start:])
			return nil
		}
	}
	return fmt.Errorf("address %#x is not mapped", addr)
}

func (f *fakeEnv) LookupType(name string) (Type, error) { return f.d.LookupType(name) }

// poke stores v into the object expr designates, a bitfield too.
func (f *fakeEnv) poke(t testing.TB, expr string, v uint64) {
	t.Helper()
	ev := &exprEval{env: f}
	e, err := ParseExpr(expr, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ev.eval(e.root)
	if err != nil {
		t.Fatalf("poke %s: %v", expr, err)
	}
	addr, _ := o.Loc.Addr()
	for start, r := range f.mem {
		if start <= addr && addr < start+uint64(len(r)) {
			b := r[addr-start:]
			if o.BitSize == 0 {
				copy(b, intBytes(v, o.Type.Size()))
				return
			}
			w := readUint(b[:8])
			mask := uint64(1)<<o.BitSize - 1
			w = w&^(mask<<o.BitOffset) | (v&mask)<<o.BitOffset
			copy(b, intBytes(w, 8))
			return
		}
	}
	t.Fatalf("poke %s: %#x is not mapped", expr, addr)
}

func mustType(t testing.TB, d *Data, name string) Type {
	t.Helper()
	typ, err := d.LookupType(name)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// newFakeEnv makes: o, an order_t * held in register rdi that points to
// an order at 0x1000 (id 7, name "widget", where {10, 20}, path pointing
// to two points at 0x2000, flags {ready 1, mode 5, delta -3, tag 'A'},
// grid {{0, 1, 2}, {10, 11, 12}}); pt, a struct point {3, 4} split over
// rax and rdx; np, a NULL struct point *; num, an int 5 at 0x3000; grid,
// an int[4] {1, 2, 3, 4} at 0x3010; add, a function at 0x401136.
func newFakeEnv(t testing.TB) *fakeEnv {
	t.Helper()
	ef, err := elf.Open(testtarget.Build(t, "c/typed", testtarget.CO0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ef.Close() })
	d, err := FromELF(ef)
	if err != nil {
		t.Fatal(err)
	}
	order := mustType(t, d, "order_t")
	point := mustType(t, d, "struct point")
	f := &fakeEnv{d: d, mem: map[uint64][]byte{
		0x1000: make([]byte, order.Size()),
		0x2000: make([]byte, 2*point.Size()),
		0x3000: make([]byte, 0x20),
	}}
	f.vars = map[string]*Object{
		"o": {Type: mustType(t, d, "order_t *"), Loc: Location{Pieces: []Piece{{Kind: InRegister, Reg: 5}}},
			Bytes: intBytes(0x1000, 8)},
		"pt": {Type: point, Loc: Location{Pieces: []Piece{{Kind: InRegister, Reg: 0, Size: 4}, {Kind: InRegister, Reg: 1, Size: 4}}},
			Bytes: append(intBytes(3, 4), intBytes(4, 4)...)},
		"np":   rvalue(mustType(t, d, "struct point *"), intBytes(0, 8)),
		"num":  lvalue(mustType(t, d, "int"), 0x3000),
		"grid": lvalue(mustType(t, d, "int[4]"), 0x3010),
		"half": rvalue(&BaseType{Name: "_Float16", K: Float, ByteSize: 2}, []byte{0, 0x3c}),
		"add":  lvalue(&FuncType{Return: intType, Params: []Type{intType, intType}, Prototyped: true}, 0x401136),
	}
	f.poke(t, "o->id", 7)
	for i, c := range "widget" {
		f.poke(t, fmt.Sprintf("o->name[%d]", i), uint64(c))
	}
	f.poke(t, "o->where.x", 10)
	f.poke(t, "o->where.y", 20)
	f.poke(t, "o->path", 0x2000)
	for i := range 4 {
		f.poke(t, fmt.Sprintf("((int *)0x2000)[%d]", i), uint64(i+1))
		f.poke(t, fmt.Sprintf("((int *)0x3010)[%d]", i), uint64(i+1))
	}
	f.poke(t, "o->flags.ready", 1)
	f.poke(t, "o->flags.mode", 5)
	f.poke(t, "o->flags.delta", uint64(0x1d)) // -3 in 5 bits
	f.poke(t, "o->flags.tag", 'A')
	for r := range 2 {
		for c := range 3 {
			f.poke(t, fmt.Sprintf("o->grid[%d][%d]", r, c), uint64(r*10+c))
		}
	}
	f.poke(t, "num", 5)
	return f
}

func TestExprEval(t *testing.T) {
	f := newFakeEnv(t)
	p := &Printer{ReadMem: f.ReadMem, Symbol: func(addr uint64) string {
		if addr == 0x401136 {
			return "add"
		}
		return ""
	}}
	for _, tc := range []struct {
		expr, want, typ string
	}{
		{"o->id", "7", "int"},
		{"o->name", `"widget\000\000\000\000\000\000\000\000\000"`, "char [16]"},
		{"o->where", "{x = 10, y = 20}", "point_t"},
		{"o->path[1].y", "4", "int"},
		{"(*o).path->x", "1", "int"},
		{"o.id", "7", "int"}, // gdb reads p.f as p->f
		{"o->flags.mode * 2 + o->flags.delta", "7", "int"},
		{"o->flags.delta", "-3", "int"},
		{"o->flags.tag", "65 'A'", "unsigned char"},
		{"o->grid[1][2]", "12", "int"},
		{"o->grid[1]", "{10, 11, 12}", "int [3]"},
		{"*o->grid", "{0, 1, 2}", "int [3]"},
		{"&o->where", "(point_t *) 0x1014", "point_t *"},
		{"&o->grid[1][2] - &o->grid[0][0]", "5", "long"},
		{"(char *)&o->grid[1] - (char *)o", "64", "long"},
		{"&o->path[1]", "(struct point *) 0x2008", "struct point *"},
		{"o->path + 1 == &o->path[1]", "1", "int"},
		{"(void *)o + 1", "(void *) 0x1001", "void *"},
		{"2[grid]", "3", "int"},
		{"grid + 3", "(int *) 0x301c", "int *"},
		{"*&num", "5", "int"},
		{"&grid", "(int (*)[4]) 0x3010", "int (*)[4]"},
		{"sizeof grid / sizeof grid[0]", "4", "unsigned long"},
		{"pt", "{x = 3, y = 4}", "struct point"},
		{"pt.y * 10", "40", "int"},
		{"add", "{int (int, int)} 0x401136 <add>", "int (int, int)"},
		{"&add", "(int (*)(int, int)) 0x401136 <add>", "int (*)(int, int)"},
		{"*add == add", "1", "int"},
		{"(binop_t)add", "(binop_t) 0x401136 <add>", "binop_t"},
		{"0 && *np", "0", "int"},
		{"1 || np->x", "1", "int"},
		{"np == 0", "1", "int"},
		{"&np->y", "(int *) 0x4", "int *"},
		{"sizeof *np", "8", "unsigned long"},
		{"&((struct order *)0)->flags", "(struct flags *) 0x2c", "struct flags *"},
		{"!np", "1", "int"},
		{"(enum color)6", "BLUE", "enum color"},
		{"(unsigned char)'\\377' + 1", "256", "int"},
		{"'\\'' + 0", "39", "int"},
		{"(long double)1 / 4", "0.25", "long double"},
		{"-2.5f", "-2.5", "float"},
		{"0x7fffffffffffffff + 1", "-9223372036854775808", "long"},
		{"18446744073709551615u", "18446744073709551615", "unsigned long"},
		{"-9223372036854775807 - 1 < 0", "1", "int"},
		{"(int)-9223372036854775807L / -1", "-1", "int"},
	} {
		o, err := EvalExpr(tc.expr, f)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		addr, _ := o.Addr()
		if got := p.Format(o.Type, o.Bytes, addr); got != tc.want || o.Type.String() != tc.typ {
			t.Errorf("%s = %s (%s), want %s (%s)", tc.expr, got, o.Type, tc.want, tc.typ)
		}
	}
}

// TestExprLocations checks where results are: lvalues in memory at the
// address C says, members of a register-held struct in its registers,
// computed values nowhere, so that writes and & can use them.
func TestExprLocations(t *testing.T) {
	f := newFakeEnv(t)
	for _, tc := range []struct {
		expr string
		want Location
		bits [2]int64 // bit size and offset of a bitfield
	}{
		{"o->grid[1][2]", Location{[]Piece{{Kind: InMemory, Addr: 0x1000 + 52 + 5*4}}}, [2]int64{}},
		{"*o->path", Location{[]Piece{{Kind: InMemory, Addr: 0x2000}}}, [2]int64{}},
		{"o", Location{[]Piece{{Kind: InRegister, Reg: 5}}}, [2]int64{}},
		{"pt.y", Location{[]Piece{{Kind: InRegister, Reg: 1, Size: 4, BitSize: 32}}}, [2]int64{}},
		{"pt.x", Location{[]Piece{{Kind: InRegister, Reg: 0, Size: 4, BitSize: 32}}}, [2]int64{}},
		{"num + 1", Location{[]Piece{{Kind: Implicit, Bytes: intBytes(6, 4)}}}, [2]int64{}},
		{"o->flags.mode", Location{[]Piece{{Kind: InMemory, Addr: 0x1000 + 44}}}, [2]int64{3, 1}},
	} {
		o, err := EvalExpr(tc.expr, f)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got, want := fmt.Sprintf("%+v %d %d", o.Loc, o.BitSize, o.BitOffset),
			fmt.Sprintf("%+v %d %d", tc.want, tc.bits[0], tc.bits[1]); got != want {
			t.Errorf("%s is at %s, want %s", tc.expr, got, want)
		}
	}
}

func TestExprErrors(t *testing.T) {
	f := newFakeEnv(t)
	for _, tc := range []struct{ expr, want string }{
		{"(1 + 2))", `syntax error at column 8: unexpected ")"`},
		{"o->id + )", `syntax error at column 9: unexpected ")"`},
		{"1 +", "syntax error at column 4: unexpected end of expression"},
		{"o->", "syntax error at column 4: unexpected end of expression"},
		{"o->[1]", `syntax error at column 4: unexpected "["`},
		{"(1 + 2", `syntax error at column 7: want ")" at the end of the expression`},
		{"grid[1", `syntax error at column 7: want "]" at the end of the expression`},
		{"(int", `syntax error at column 5: want ")" at the end of the expression`},
		{"1 2", `syntax error at column 3: unexpected "2"`},
		{"num @ 2", `syntax error at column 5: unexpected "@"`},
		{"'ab'", "syntax error at column 1: bad character literal 'ab'"},
		{"'a", "syntax error at column 1: unterminated character literal"},
		{"0x", `syntax error at column 1: bad number "0x"`},
		{"12uu", `syntax error at column 1: bad number "12uu"`},
		{"99999999999999999999", "syntax error at column 1: number 99999999999999999999 is too large"},
		{"num = 3", `syntax error at column 5: operator "=" is not supported`},
		{"num ? 1 : 2", `syntax error at column 5: operator "?" is not supported`},
		{"add(1, 2)", "syntax error at column 4: function calls are not supported"},
		{"nmu", `no variable "nmu" in scope (did you mean "num"?)`},
		{"o->nmae", `no field "nmae" in order_t (did you mean "name"?)`},
		{"o->lo", `no field "lo" in order_t`},
		{"pt.z", `no field "z" in struct point (did you mean "x" or "y"?)`},
		{"num.x", `num, of type int, has no fields (looking for "x")`},
		{"pt->x", "operator -> on pt, of type struct point, which is not a pointer"},
		{"*num", "cannot dereference num, of type int, which is not a pointer"},
		{"*(void *)o", "cannot dereference (void *)o, a pointer to void"},
		{"*np", "cannot read memory at address 0x0"},
		{"np->y", "cannot read memory at address 0x4"},
		{"1 && np->y", "operator &&: cannot read memory at address 0x4"},
		{"((struct order *)0x10)->id", "cannot read memory at address 0x10"},
		{"num / 0", "division by zero"},
		{"num % (num - 5)", "division by zero"},
		{"(struct point)num", "cannot cast a value of type int to struct point"},
		{"(int)pt", "cannot cast a value of type struct point to int"},
		{"(float)o", "cannot cast a value of type order_t * to float"},
		{"(int[2])num", "cannot cast a value of type int to int [2]"},
		{"(struct nosuch *)o", `no such type: "struct nosuch"`},
		{"sizeof(void)", "sizeof of void, a type of unknown size"},
		{"&pt", "cannot take the address of pt, which is not in memory"},
		{"&o->flags.mode", "cannot take the address of bitfield o->flags.mode"},
		{"&(num + 1)", "cannot take the address of num + 1, which is not in memory"},
		{"-o", "operator - on pointer o"},
		{"o + o", "cannot add two pointers (order_t * + order_t *)"},
		{"o * 2", "operator * on a pointer (order_t * * int)"},
		{"1 - o", "cannot subtract a pointer from int"},
		{"o->path - (char *)o", "cannot subtract char * from struct point *: their elements differ in size"},
		{"1.5 % 2", "operator % on double: integers only"},
		{"1.5 << 2", "operator << on double and int: integers only"},
		{"~1.5", "operator ~ on double, which is not an integer"},
		{"num << -1", "shift by a negative count -1"},
		{"pt + 1", "operator +: a value of type struct point is not a number or a pointer"},
		{"half * 2", "operator *: arithmetic on 2-byte floating-point numbers (_Float16) is not supported"},
		{"(_Float16)1", `no such type: "_Float16"`},
		{"(order *)o", `no such type: "order"`},
		{"(nmu)num", `no such type: "nmu"`},
		{"(num)(num)", `no such type: "num"`},
		{"!pt", "operator !: a value of type struct point is not a number or a pointer"},
	} {
		_, err := EvalExpr(tc.expr, f)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.expr, err, tc.want)
		}
	}
	_, err := EvalExpr("*np", f)
	var me *MemoryReadError
	if !errors.As(err, &me) || me.Addr != 0 {
		t.Errorf("*np: %v is not a *MemoryReadError at 0", err)
	}
	_, err = EvalExpr("nmu", f)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("nmu: %v is not the env's *NotFoundError", err)
	}
	_, err = EvalExpr("(struct nosuch *)o", f)
	if !errors.Is(err, ErrNoType) {
		t.Errorf("(struct nosuch *)o: %v does not wrap ErrNoType", err)
	}
}

// TestParseExprTypedefs checks that a typedef name makes a cast only
// when the caller says it names a type, as C's grammar requires.
func TestParseExprTypedefs(t *testing.T) {
	isType := func(n string) bool { return n == "order_t" }
	for _, tc := range []struct {
		src    string
		isType func(string) bool
		want   string // the tree, as exprText renders it, or the error
	}{
		{"(order_t *)p", isType, "(order_t *)p"},
		{"(order_t *)p", nil, "(order_t *)p"}, // only a cast reads so: LookupType will say if order_t is a type
		{"(order_t)p", nil, "(order_t)p"},
		{"(order_t)(p)", nil, "(order_t)p"},
		{"(n) + 1", nil, "n + 1"},
		{"(n)[1]", nil, "n[1]"},
		{"(order_t) - 1", isType, "(order_t)-1"},
		{"(order_t) - 1", nil, "order_t - 1"},
		{"sizeof(order_t) * 2", isType, "sizeof(order_t) * 2"},
		{"sizeof (n) * 2", isType, "sizeof n * 2"},
		{"(struct order *)addr", nil, "(struct order *)addr"},
		{"(unsigned char)x", nil, "(unsigned char)x"},
		{"(int (*)[3])p", nil, "(int ( * ) [ 3 ])p"},
		{"a - -b * ~c", nil, "a - -b * ~c"},
		{"a || b && c | d ^ e & f == g < h << i + j * k", nil,
			"a || b && c | d ^ e & f == g < h << i + j * k"},
		{"ns::counter + 1", nil, "ns::counter + 1"},
	} {
		e, err := ParseExpr(tc.src, tc.isType)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = exprText(e.root)
		}
		if got != tc.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", tc.src, got, tc.want)
		}
	}
}

// TestExprPrecedence checks C's precedence and associativity by value.
func TestExprPrecedence(t *testing.T) {
	f := newFakeEnv(t)
	for expr, want := range map[string]int64{
		"1 + 2 * 3": 7, "10 - 4 - 3": 3, "100 / 10 / 5": 2, "1 << 2 + 1": 8, "1 | 6 & 3": 3,
		"1 ^ 3 | 4": 6, "3 > 2 > 1": 0, "1 == 2 < 3": 1, "0 || 1 && 0": 0, "-num * 2": -10,
		"!num + 1": 1, "~num & 0xff": 250, "sizeof num * 2": 8, "(long)num << 40 >> 40": 5,
		"-7 / 2": -3, "-7 % 2": -1, "7 % -2": 1,
	} {
		o, err := EvalExpr(expr, f)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if got := readInt(o.Bytes, isSigned(o.Type)); got != want {
			t.Errorf("%s = %d, want %d", expr, got, want)
		}
	}
}

// TestExprCPlusPlus checks, over made-up types, the C++ that the language
// reads: members of a base class and references, read through.
func TestExprCPlusPlus(t *testing.T) {
	f := newFakeEnv(t)
	point := mustType(t, f.d, "struct point")
	base := &StructType{K: Class, Tag: "Shape", ByteSize: 8, Fields: []Field{{Name: "origin", Type: intType}, {Name: "id", Type: intType, Offset: 4}}}
	derived := &StructType{K: Class, Tag: "Circle", ByteSize: 16, Fields: []Field{
		{Name: "Shape", Type: base, Base: true},
		{Name: "at", Type: &PointerType{Elem: point, ByteSize: 8, Ref: true}, Offset: 8}}}
	f.mem[0x4000] = append(append(intBytes(1, 4), intBytes(2, 4)...), intBytes(0x2008, 8)...)
	f.vars["c"] = lvalue(derived, 0x4000)
	f.vars["this"] = rvalue(&PointerType{Elem: derived, ByteSize: 8}, intBytes(0x4000, 8))
	f.vars["r"] = rvalue(&PointerType{Elem: point, ByteSize: 8, Ref: true}, intBytes(0x2000, 8))
	for expr, want := range map[string]int64{
		"c.id": 2, "this->origin + this->id": 3, "r.y": 2, "&r == (struct point *)0x2000": 1,
		"c.at.x": 3, "sizeof r": 8, "ns::x": -1,
	} {
		o, err := EvalExpr(expr, f)
		if expr == "ns::x" {
			if err == nil || err.Error() != `no variable "ns::x" in scope` {
				t.Errorf("ns::x: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if got := readInt(o.Bytes, isSigned(o.Type)); got != want {
			t.Errorf("%s = %d, want %d", expr, got, want)
		}
	}
}

// FuzzExpr checks that no input makes the parser or the evaluator panic.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{"o->grid[1][2] * -3", "(unsigned char)'\\x41' << 2", "sizeof(struct order *[3])",
		"&((struct order *)0)->flags", "pt.y / (num - 5)", "2[grid] && np->x || 1.5e3f", "~0ull >> 63", "(int (*)[3])o"} {
		f.Add(s)
	}
	env := newFakeEnv(f)
	f.Fuzz(func(t *testing.T, src string) {
		EvalExpr(src, env)
	})
}
