package dwarfvars

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// TestFormat checks Printer.Format on hand-built types and bytes, for the
// gdb conventions that the corpus's values do not reach: repeats, the
// element limit, escapes, long strings, bitfield signs, references and
// special floats.
func TestFormat(t *testing.T) {
	intT := &BaseType{Name: "int", K: Int, ByteSize: 4}
	charT := &BaseType{Name: "char", K: Char, ByteSize: 1}
	ucharT := &BaseType{Name: "unsigned char", K: Char, ByteSize: 1, Unsigned: true}
	boolT := &BaseType{Name: "_Bool", K: Bool, ByteSize: 1, Unsigned: true}
	doubleT := &BaseType{Name: "double", K: Float, ByteSize: 8}
	ldoubleT := &BaseType{Name: "long double", K: Float, ByteSize: 16}
	i128 := &BaseType{Name: "__int128", K: Int, ByteSize: 16}
	enumT := &EnumType{Tag: "color", ByteSize: 4, Enumerators: []Enumerator{{"RED", 0}, {"GREEN", 5}}}

	ints := func(vs ...int32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		return b
	}
	f64 := func(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }
	mem := map[uint64][]byte{0x1000: []byte("hi\n\"there\"\x00"), 0x2000: bytes.Repeat([]byte("x"), 300), 0x3000: ints(42)}
	p := &Printer{ReadMem: func(addr uint64, b []byte) error {
		for base, m := range mem {
			if base <= addr && addr+uint64(len(b)) <= base+uint64(len(m)) {
				copy(b, m[addr-base:])
				return nil
			}
		}
		return fmt.Errorf("unmapped")
	}, Symbol: func(addr uint64) string {
		if addr == 0x401136 {
			return "hot"
		}
		return ""
	}}

	sixteen0 := make([]int32, 16)
	for _, c := range []struct {
		name string
		t    Type
		b    []byte
		want string
	}{
		{"int repeats", &ArrayType{Elem: intT, Len: 16}, ints(sixteen0...), "{0 <repeats 16 times>}"},
		{"int ten is no repeat", &ArrayType{Elem: intT, Len: 10}, ints(make([]int32, 10)...), "{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}"},
		{"int mixed repeats", &ArrayType{Elem: intT, Len: 14}, ints(1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2, 3), "{1, 7 <repeats 11 times>, 2, 3}"},
		{"char zeros", &ArrayType{Elem: charT, Len: 16}, make([]byte, 16), `'\000' <repeats 15 times>`},
		{"char runs", &ArrayType{Elem: charT, Len: 20}, []byte("ab" + "zzzzzzzzzzzzzzz" + "cd\x00"), `"ab", 'z' <repeats 15 times>, "cd"`},
		{"char escapes", &ArrayType{Elem: charT, Len: 6}, []byte("a\\\"\t\x7f\x01"), `"a\\\"\t\177\001"`},
		{"char empty", &ArrayType{Elem: charT, Len: 1}, []byte{0}, `""`},
		{"char limit", &ArrayType{Elem: charT, Len: 300}, bytes.Repeat([]byte("ab"), 150), `"` + string(bytes.Repeat([]byte("ab"), 100)) + `"...`},
		{"int limit", &ArrayType{Elem: intT, Len: 201}, ints(func() []int32 {
			v := make([]int32, 201)
			for i := range v {
				v[i] = int32(i)
			}
			return v
		}()...), "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9" + func() string {
			s := ""
			for i := 10; i < 200; i++ {
				s += fmt.Sprintf(", %d", i)
			}
			return s
		}() + "...}"},
		{"char quote", charT, []byte{'\''}, `39 '\''`},
		{"unsigned char high", ucharT, []byte{0xe8}, `232 '\350'`},
		{"bool 2", boolT, []byte{2}, "2"},
		{"enum unknown", enumT, ints(3), "3"},
		{"enum known", enumT, ints(5), "GREEN"},
		{"double", doubleT, f64(0.1), "0.10000000000000001"},
		{"double inf", doubleT, f64(math.Inf(-1)), "-inf"},
		{"double big", doubleT, f64(1e300), "1.0000000000000001e+300"},
		{"long double 0.1", ldoubleT, []byte{0xcd, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xfb, 0x3f, 0, 0, 0, 0, 0, 0}, "0.100000000000000000001"},
		{"int128 -1", i128, bytes.Repeat([]byte{0xff}, 16), "-1"},
		{"char pointer", &PointerType{Elem: charT, ByteSize: 8}, binary.LittleEndian.AppendUint64(nil, 0x1000), `0x1000 "hi\n\"there\""`},
		{"char pointer long", &PointerType{Elem: &QualType{Qual: "const", Type: charT}, ByteSize: 8}, binary.LittleEndian.AppendUint64(nil, 0x2000),
			`0x2000 'x' <repeats 200 times>...`},
		{"char pointer bad", &PointerType{Elem: charT, ByteSize: 8}, binary.LittleEndian.AppendUint64(nil, 0x9000), `0x9000 <error: Cannot access memory at address 0x9000>`},
		{"null char pointer", &PointerType{Elem: charT, ByteSize: 8}, make([]byte, 8), `0x0`},
		{"int pointer", &PointerType{Elem: intT, ByteSize: 8}, binary.LittleEndian.AppendUint64(nil, 0x3000), `(int *) 0x3000`},
		{"function pointer", &PointerType{Elem: &FuncType{Return: intT, Params: []Type{intT}, Prototyped: true}, ByteSize: 8},
			binary.LittleEndian.AppendUint64(nil, 0x401136), `(int (*)(int)) 0x401136 <hot>`},
		{"reference", &PointerType{Elem: intT, ByteSize: 8, Ref: true}, binary.LittleEndian.AppendUint64(nil, 0x3000), `(int &) @0x3000: 42`},
		// gdb shows a reference member by the address it refers to only.
		{"reference member", &StructType{K: Struct, Tag: "holder", ByteSize: 8, Fields: []Field{
			{Name: "ref", Type: &PointerType{Elem: intT, ByteSize: 8, Ref: true}}}},
			binary.LittleEndian.AppendUint64(nil, 0x3000), `{ref = @0x3000}`},
		{"bitfields", &StructType{K: Struct, Tag: "b", ByteSize: 4, Fields: []Field{
			{Name: "s", Type: intT, Offset: 0, BitSize: 3, BitOffset: 6},
			{Name: "u", Type: &BaseType{Name: "unsigned int", K: Uint, ByteSize: 4, Unsigned: true}, Offset: 1, BitSize: 9, BitOffset: 1},
		}}, []byte{0xc0, 0xff, 0x03, 0}, "{s = -1, u = 511}"},
		{"empty struct", &StructType{K: Struct, Tag: "e"}, nil, "{<No data fields>}"},
		{"incomplete", &StructType{K: Struct, Tag: "o", ByteSize: -1, Incomplete: true}, nil, "<incomplete type>"},
		{"base class", &StructType{K: Class, Tag: "D", ByteSize: 8, Fields: []Field{
			{Name: "B", Type: &StructType{K: Class, Tag: "B", ByteSize: 4, Fields: []Field{{Name: "x", Type: intT}}}, Base: true},
			{Name: "y", Type: intT, Offset: 4},
		}}, ints(1, 2), "{<B> = {x = 1}, y = 2}"},
	} {
		if got := p.Format(c.t, c.b, 0); got != c.want {
			t.Errorf("%s: got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestReadBytes assembles an object from pieces in a register, memory
// and an implicit value, and reports an unavailable piece.
func TestReadBytes(t *testing.T) {
	ctx := newFakeCtx()
	loc := Location{Pieces: []Piece{
		{Kind: InRegister, Reg: 0, Size: 2}, // rax = 0x10
		{Kind: InMemory, Addr: 0x5000, Size: 3},
		{Kind: Implicit, Bytes: []byte{9, 8}, Size: 2},
		{Kind: InRegister, Reg: 5, Size: 1, BitSize: 8, BitOffset: 8}, // rdi = 0x5000: its second byte
	}}
	b, err := ReadBytes(loc, 8, ctx)
	want := []byte{0x10, 0, 0x88, 0x77, 0x66, 9, 8, 0x50}
	if err != nil || !bytes.Equal(b, want) {
		t.Errorf("ReadBytes = % x, %v; want % x", b, err, want)
	}
	loc.Pieces[2].Kind = Unavailable
	if _, err := ReadBytes(loc, 8, ctx); err != ErrOptimizedOut {
		t.Errorf("with an unavailable piece: %v, want ErrOptimizedOut", err)
	}
	if _, err := ReadBytes(Location{Pieces: []Piece{{Kind: InRegister, Reg: 3}}}, 4, ctx); err != ErrOptimizedOut {
		t.Errorf("an unknown register: %v, want ErrOptimizedOut", err)
	}
	if _, err := ReadBytes(Location{Pieces: []Piece{{Kind: InMemory, Addr: 0x9000}}}, 4, ctx); err == nil || err.Error() != "address 0x9000 is not mapped" {
		t.Errorf("unmapped memory: %v", err)
	}
}
