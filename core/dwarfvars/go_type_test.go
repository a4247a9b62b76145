package dwarfvars

import (
	"encoding/binary"
	"fmt"
	"testing"

	"stardbg/internal/testtarget"
)

// TestGoTypes reads go/gotyped's types by their Go names: the kinds this
// package adds for Go, their names as Go spells them, and their layouts
// as the toolchain's DWARF gives them.
func TestGoTypes(t *testing.T) {
	d, _ := openTarget(t, "go/gotyped", testtarget.GoNoOpt)
	for _, c := range []struct {
		name string
		kind Kind
		size int64
	}{
		{"string", String, 16},
		{"[]main.Item", Slice, 24},
		{"map[string]int", Map, 8},
		{"map[int]string", Map, 8},
		{"error", Interface, 16},
		{"interface {}", Interface, 16},
		{"main.Shape", Interface, 16},
		{"chan int", Chan, 8},
		{"func(int) int", Func, 8},
		{"*main.Order", Pointer, 8},
		{"main.Order", Struct, -2},
		{"[3]int8", Array, 3},
		{"int", Int, 8},
		{"uint8", Uint, 1},
	} {
		typ, err := d.LookupType(c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if k := Underlying(typ).Kind(); k != c.kind {
			t.Errorf("%s: kind %v, want %v", c.name, k, c.kind)
		}
		if typ.String() != c.name {
			t.Errorf("%s: named %q", c.name, typ.String())
		}
		if c.size != -2 && typ.Size() != c.size {
			t.Errorf("%s: size %d, want %d", c.name, typ.Size(), c.size)
		}
		if !IsGo(typ) && c.kind != Int && c.kind != Uint {
			t.Errorf("%s: IsGo is false", c.name)
		}
	}
	o, err := d.LookupType("main.Order")
	if err != nil {
		t.Fatal(err)
	}
	st := Underlying(o).(*StructType)
	var got string
	for _, f := range st.Fields {
		got += fmt.Sprintf("%s:%s@%d/%v ", f.Name, f.Type, f.Offset, f.Embedded)
	}
	want := "Base:main.Base@0/true Items:[]main.Item@24/false Note:string@48/false Customer:*main.Customer@64/false " +
		"Ship:main.Addr@72/false Attrs:map[string]int@96/false rush:bool@104/false "
	if got != want {
		t.Errorf("main.Order fields:\n got %s\nwant %s", got, want)
	}
	m, _ := d.LookupType("map[string]int")
	mt := Underlying(m).(*MapType)
	if mt.Key.String() != "string" || mt.Elem.String() != "int" {
		t.Errorf("map[string]int: key %s, elem %s", mt.Key, mt.Elem)
	}
	if _, err := mt.layout(); err != nil {
		t.Errorf("map[string]int layout: %v", err)
	}
	if vs, err := d.Globals("main.config"); err != nil || len(vs) != 1 || vs[0].Type.String() != "main.Order" {
		t.Errorf("main.config: %v, %v", vs, err)
	}
}

// fakeMem is a Context over a few regions of memory, for reading values
// without a process.
type fakeMem map[uint64][]byte

func (m fakeMem) Reg(int) (uint64, error)        { return 0, ErrUnavailable }
func (m fakeMem) CFA() (uint64, error)           { return 0, ErrUnavailable }
func (m fakeMem) TLSAddr(uint64) (uint64, error) { return 0, ErrUnavailable }
func (m fakeMem) ReadMem(addr uint64, b []byte) error {
	for base, data := range m {
		if addr >= base && addr+uint64(len(b)) <= base+uint64(len(data)) {
			copy(b, data[addr-base:])
			return nil
		}
	}
	return fmt.Errorf("no memory at %#x", addr)
}

func words(ws ...uint64) []byte {
	var b []byte
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

// TestGoPrinter formats values laid out by hand in fake memory as Delve
// prints them: strings elided past 64 bytes, slices with their length and
// capacity, structs one level deep.
func TestGoPrinter(t *testing.T) {
	d, _ := openTarget(t, "go/gotyped", testtarget.GoNoOpt)
	long := make([]byte, 70)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	item := append(words(0x1000, 5, 3), words(0x1100, 4, 10)...) // {"apple", 3}, {"pear", 10}
	mem := fakeMem{0x1000: []byte("apple"), 0x1100: []byte("pear"), 0x2000: item, 0x3000: long}
	p := &GoPrinter{R: &GoReader{Data: d, Ctx: mem}}
	for _, c := range []struct {
		typ  string
		b    []byte
		want string
	}{
		{"string", words(0x1000, 5), `"apple"`},
		{"string", words(0x3000, 70), `"` + string(long[:64]) + `...+6 more"`},
		{"[]main.Item", words(0x2000, 2, 4), `[]main.Item len: 2, cap: 4, [{Name: "apple", Qty: 3},{Name: "pear", Qty: 10}]`},
		{"[]main.Item", words(0, 0, 0), `[]main.Item len: 0, cap: 0, nil`},
		{"main.Item", item[:24], `main.Item {Name: "apple", Qty: 3}`},
		{"*main.Item", words(0x2000), `*main.Item {Name: "apple", Qty: 3}`},
		{"*main.Item", words(0), `*main.Item nil`},
		{"map[string]int", words(0), `map[string]int nil`},
		{"error", words(0, 0), `error nil`},
		{"chan int", words(0), `chan int nil`},
		{"func(int) int", words(0), `nil`},
		{"int", words(uint64(1<<64 - 7)), `-7`},
	} {
		typ, err := d.LookupType(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Format(typ, c.b, 0); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.typ, got, c.want)
		}
	}
}
