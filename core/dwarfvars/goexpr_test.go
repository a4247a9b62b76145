package dwarfvars

import (
	"errors"
	"fmt"
	"testing"

	"stardbg/internal/testtarget"
)

// fakeGoEnv is an ExprEnv over fakeMem whose variables are objects in it.
type fakeGoEnv struct {
	d    *Data
	mem  fakeMem
	vars map[string]*Object
}

func (e *fakeGoEnv) Ident(name string) (*Object, error) {
	if o, ok := e.vars[name]; ok {
		return o, nil
	}
	return nil, &NotFoundError{Name: name}
}
func (e *fakeGoEnv) ReadMem(addr uint64, b []byte) error  { return e.mem.ReadMem(addr, b) }
func (e *fakeGoEnv) LookupType(name string) (Type, error) { return e.d.LookupType(name) }

// TestEvalGoExpr evaluates Go expressions over values laid out by hand:
// a slice of main.Item, a string, globals by qualified name, operators,
// and the errors.
func TestEvalGoExpr(t *testing.T) {
	d, _ := openTarget(t, "go/gotyped", testtarget.GoNoOpt)
	typ := func(name string) Type {
		ty, err := d.LookupType(name)
		if err != nil {
			t.Fatal(err)
		}
		return ty
	}
	item := append(words(0x1000, 5, 3), words(0x1100, 4, 10)...)
	mem := fakeMem{0x1000: []byte("apple"), 0x1100: []byte("pear"), 0x2000: item,
		0x3000: words(0x2000, 2, 2), 0x4000: words(0x1000, 5), 0x5000: words(42)}
	env := &fakeGoEnv{d: d, mem: mem, vars: map[string]*Object{
		"items":        memObject(typ("[]main.Item"), 0x3000),
		"s":            memObject(typ("string"), 0x4000),
		"main.counter": memObject(typ("int"), 0x5000),
	}}
	for _, c := range []struct{ expr, want string }{
		{"items[1].Name", `"pear"`},
		{"items[0].Qty * 2 + 1", "7"},
		{"len(items)", "2"},
		{"cap(items)", "2"},
		{"s[1]", "112"},
		{"len(s)", "5"},
		{"main.counter", "42"},
		{"main.counter > 40 && !(len(s) == 4)", "true"},
		{"-main.counter / 5", "-8"},
		{"1.5 * 2", "3"},
		{"items[1].Name == \"pear\"", "true"},
		{"&items", "(0x3000)"},
	} {
		o, err := EvalGoExpr(c.expr, env)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		b, err := (&goEval{env: env}).bytes(o)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		got := (&GoPrinter{R: &GoReader{Data: d, Ctx: mem}}).Format(o.Type, b, 0)
		if _, ok := o.Type.(*PointerType); ok {
			got = fmt.Sprintf("(%#x)", word(b, 0))
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
	for _, c := range []struct{ expr, want string }{
		{"items[2]", "index 2 is out of range for items of length 2"},
		{"items.Name", "items (type []main.Item) is not a struct"},
		{"s +", "syntax error at column 4: expected operand, found 'EOF'"},
		{"len(s, s)", "len(s, s): only len(x) and cap(x) can be called"},
		{"main.counter / 0", "division by zero in main.counter / 0"},
		{"nope", `no variable "nope" in scope`},
	} {
		_, err := EvalGoExpr(c.expr, env)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", c.expr, err, c.want)
		}
	}
	var se *SyntaxError
	if _, err := EvalGoExpr("a[", env); !errors.As(err, &se) || se.Col != 3 {
		t.Errorf("a[: %v, want a SyntaxError at column 3", err)
	}
}
