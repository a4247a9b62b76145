package dwarfvars

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// typedNames are the type names of testdata/c/typed that the tests look up.
var typedNames = []string{
	"struct order", "order_t", "order_cref", "struct message", "union number",
	"enum color", "binop_t", "struct opaque", "struct flags", "struct point",
	"point_t", "uint_t", "unsigned int", "long unsigned int", "unsigned long",
	"char *", "const char *", "int[4]", "struct point *[3]", "int (*)[3]",
	"signed char", "short", "long double", "_Bool", "unsigned char",
}

// TestTypesMatchGDB compares each type's ptype rendering, size and member
// layout (offsets, bit offsets and sizes, from gdb's ptype/o) with what gdb
// says of the same binary, at -O0 and -O2.
func TestTypesMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP, testtarget.CO2DWARF4} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin := openTarget(t, "c/typed", v)
			var cmds []string
			for _, name := range typedNames {
				cmds = append(cmds, "ptype "+name, "print sizeof("+name+")", "ptype/o "+name)
			}
			out := gdbBatch(t, bin, cmds)
			for i, name := range typedNames {
				typ, err := d.LookupType(name)
				if err != nil {
					t.Errorf("LookupType(%q): %v", name, err)
					continue
				}
				if got, want := "type = "+Ptype(typ), out[3*i]; got != want {
					t.Errorf("ptype %s:\n got %s\nwant %s", name, got, want)
				}
				_, want, _ := strings.Cut(out[3*i+1], " = ")
				if got := fmt.Sprint(typ.Size()); got != want {
					t.Errorf("sizeof(%s): got %q, want gdb's %q", name, got, want)
				}
				if s, ok := Underlying(typ).(*StructType); ok {
					got := strings.Join(layout(s, 0), "\n")
					want := strings.Join(gdbLayout(out[3*i+2]), "\n")
					if got != want {
						t.Errorf("layout of %s (offset:bit size):\n got\n%s\nwant (gdb ptype/o)\n%s", name, got, want)
					}
				}
			}
		})
	}
}

// layout lists the members of s as gdb's ptype/o does: "offset[:bit]
// size" for each member, the members of a struct or union member (not of
// a typedef) following it, and no offsets inside a union.
func layout(s *StructType, base int64) []string {
	var lines []string
	for _, f := range s.Fields {
		off := base + f.Offset
		size := f.Type.Size()
		if size < 0 {
			size = 0 // gdb gives a flexible array member size 0; Size says -1 (unknown)
		}
		switch {
		case s.K == Union:
			lines = append(lines, fmt.Sprintf("%d", size))
		case f.BitSize > 0:
			lines = append(lines, fmt.Sprintf("%d:%d %d", off, f.BitOffset, size))
		default:
			lines = append(lines, fmt.Sprintf("%d %d", off, size))
		}
		if inner, ok := f.Type.(*StructType); ok {
			lines = append(lines, layout(inner, off)...)
		}
	}
	return lines
}

var ptypeORE = regexp.MustCompile(`^/\*\s+(?:(\d+)(?::\s*(\d+))?\s+\|)?\s+(\d+) \*/`)

// gdbLayout extracts the "offset[:bit] size" of each member line of gdb's
// ptype/o output.
func gdbLayout(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n")[1:] {
		m := ptypeORE.FindStringSubmatch(l)
		switch {
		case m == nil:
		case m[1] == "":
			lines = append(lines, m[3])
		case m[2] != "":
			lines = append(lines, m[1]+":"+m[2]+" "+m[3])
		default:
			lines = append(lines, m[1]+" "+m[3])
		}
	}
	return lines
}

// TestTypeWhatis compares String (the C name of a type) with gdb's whatis
// for names that are not typedefs (whatis of a typedef name shows its
// target instead).
func TestTypeWhatis(t *testing.T) {
	d, bin := openTarget(t, "c/typed", testtarget.CO0)
	names := []string{"struct order", "char *", "const char *", "int[4]", "struct point *[3]", "int (*)[3]",
		"long unsigned int", "unsigned long", "signed char", "order_t *", "binop_t[2]", "char * const", "const volatile int"}
	var cmds []string
	for _, n := range names {
		cmds = append(cmds, "whatis "+n)
	}
	out := gdbBatch(t, bin, cmds)
	for i, n := range names {
		typ, err := d.LookupType(n)
		if err != nil {
			t.Errorf("LookupType(%q): %v", n, err)
			continue
		}
		if got := "type = " + typ.String(); got != out[i] {
			t.Errorf("whatis %s: got %q, gdb says %q", n, got, out[i])
		}
	}
}

// TestTypeModel checks what gdb's text does not show: kinds, the
// multi-dimensional and flexible arrays, enumerator values, function
// types, and a declaration resolved to its definition in another unit.
func TestTypeModel(t *testing.T) {
	d, _ := openTarget(t, "c/typed", testtarget.CO0)
	order := mustLookup(t, d, "struct order").(*StructType)
	if order.Kind() != Struct || order.Tag != "order" || order.Size() != 176 {
		t.Errorf("struct order: kind %v tag %q size %d", order.Kind(), order.Tag, order.Size())
	}
	fields := map[string]Field{}
	for _, f := range order.Fields {
		fields[f.Name] = f
	}

	grid := fields["grid"].Type.(*ArrayType)
	if inner, ok := grid.Elem.(*ArrayType); !ok || grid.Len != 2 || inner.Len != 3 || inner.Elem.String() != "int" || grid.Size() != 24 {
		t.Errorf("grid: %s len %d elem %s", grid, grid.Len, grid.Elem)
	}

	secret := fields["secret"].Type.(*PointerType).Elem.(*StructType)
	if secret.Incomplete || len(secret.Fields) != 3 || secret.Fields[2].Name != "next" || secret.Size() != 24 {
		t.Errorf("struct opaque through order.secret (declared only in typed.c): %+v", secret)
	}

	if anon := fields[""]; anon.Type.Kind() != Union || anon.Offset != 120 {
		t.Errorf("anonymous union member: kind %v offset %d", anon.Type.Kind(), anon.Offset)
	}

	notify := fields["notify"].Type.(*PointerType).Elem.(*FuncType)
	if !notify.Prototyped || notify.Return.Kind() != Void || len(notify.Params) != 2 || notify.Params[0].String() != "const struct order *" {
		t.Errorf("notify: %s", Decl(notify, "notify"))
	}

	if k := fields["ticks"].Type.Kind(); k != Volatile {
		t.Errorf("ticks: kind %v, want volatile", k)
	}

	msg := mustLookup(t, d, "struct message").(*StructType)
	body := msg.Fields[2].Type.(*ArrayType)
	if body.Len != -1 || body.Size() != -1 || msg.Fields[2].Offset != 3 {
		t.Errorf("flexible array body: len %d size %d offset %d", body.Len, body.Size(), msg.Fields[2].Offset)
	}

	color := mustLookup(t, d, "enum color").(*EnumType)
	want := []Enumerator{{"RED", 0}, {"GREEN", 5}, {"BLUE", 6}}
	if fmt.Sprint(color.Enumerators) != fmt.Sprint(want) || color.Size() != 4 || !color.Unsigned {
		t.Errorf("enum color: %v size %d unsigned %v", color.Enumerators, color.Size(), color.Unsigned)
	}

	for name, kind := range map[string]Kind{
		"unsigned int": Uint, "int": Int, "char": Char, "unsigned char": Char, "_Bool": Bool,
		"double": Float, "order_t": Typedef, "union number": Union, "binop_t": Typedef, "void *": Pointer,
	} {
		if k := mustLookup(t, d, name).Kind(); k != kind {
			t.Errorf("%s: kind %v, want %v", name, k, kind)
		}
	}
	if uc := mustLookup(t, d, "unsigned char").(*BaseType); !uc.Unsigned {
		t.Errorf("unsigned char is not unsigned")
	}
	if c := mustLookup(t, d, "char").(*BaseType); c.Unsigned {
		t.Errorf("char is unsigned (x86-64's char is signed)")
	}
}

func mustLookup(t *testing.T, d *Data, name string) Type {
	t.Helper()
	typ, err := d.LookupType(name)
	if err != nil {
		t.Fatalf("LookupType(%q): %v", name, err)
	}
	return typ
}

// TestLookupIsLazy checks that the name index decodes no type, and that a
// lookup decodes only the types it needs.
func TestLookupIsLazy(t *testing.T) {
	d, _ := openTarget(t, "c/typed", testtarget.CO0)
	if _, err := d.names(); err != nil {
		t.Fatal(err)
	}
	if n := len(d.types); n != 0 {
		t.Fatalf("building the name index decoded %d types, want 0", n)
	}
	mustLookup(t, d, "uint_t")
	if n := len(d.types); n != 2 {
		t.Errorf("looking up uint_t decoded %d types, want 2 (the typedef and unsigned int)", n)
	}
}

func TestLookupTypeErrors(t *testing.T) {
	d, _ := openTarget(t, "c/typed", testtarget.CO0)
	for name, want := range map[string]string{
		"struct nosuch":       `no such type: "struct nosuch"`,
		"int[x]":              `bad type name "int[x]": bad array length "x"`,
		"int (*)(int)":        `bad type name "int (*)(int)": function types are not supported`,
		"*":                   `bad type name "*": no type`,
		"unsigned short long": `bad type name "unsigned short long": "unsigned short long" is not one type`,
		"struct":              `bad type name "struct": struct needs a tag`,
		"int [4":              `bad type name "int [4": want "]"`,
	} {
		_, err := d.LookupType(name)
		if err == nil || err.Error() != want {
			t.Errorf("LookupType(%q): error %v, want %s", name, err, want)
		}
	}
}

func TestCanonBase(t *testing.T) {
	for in, want := range map[string]string{
		"long unsigned int": "unsigned long", "short int": "short", "short unsigned int": "unsigned short",
		"long long int": "long long", "long long unsigned int": "unsigned long long", "signed": "int",
		"unsigned": "unsigned int", "signed char": "signed char", "char signed": "signed char",
		"long double": "long double", "_Bool": "_Bool", "int": "int", "long int signed": "long",
	} {
		if got, ok := canonBase(strings.Fields(in)); !ok || got != want {
			t.Errorf("canonBase(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"long char", "short long", "long long long", "unsigned signed", "order_t", "complex float"} {
		if got, ok := canonBase(strings.Fields(bad)); ok {
			t.Errorf("canonBase(%q) = %q, want not a base type", bad, got)
		}
	}
}
