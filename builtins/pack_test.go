package builtins

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// packEnv holds the builtins of this file under their usual names.
var packEnv = starlark.StringDict{
	"pack":     starlark.NewBuiltin("pack", Pack),
	"unpack":   starlark.NewBuiltin("unpack", Unpack),
	"calcsize": starlark.NewBuiltin("calcsize", Calcsize),
}

// evalPack evaluates a Starlark expression with pack, unpack, calcsize
// and the given extra names.
func evalPack(t testing.TB, expr string, extra starlark.StringDict) (starlark.Value, error) {
	t.Helper()
	env := starlark.StringDict{}
	for k, v := range packEnv {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return starlark.EvalOptions(&syntax.FileOptions{}, new(starlark.Thread), "pack_test", expr, env)
}

// TestPack compares with the output of Python's struct module: for each
// row, pack(fmt, values) must give the bytes Python gives, unpack must
// give Python's tuple, and calcsize the length.
func TestPack(t *testing.T) {
	tests := []struct {
		format string
		values string // Starlark source of the values
		hex    string // python3 -c 'import struct; print(struct.pack(fmt, *values).hex())'
		tuple  string // Starlark source of struct.unpack(fmt, data)
	}{
		{"<hq", `1, -2`, "0100feffffffffffffff", `(1, -2)`},
		{"<b", `-128`, "80", `(-128,)`},
		{"<b", `127`, "7f", `(127,)`},
		{"<B", `255`, "ff", `(255,)`},
		{"<h", `-32768`, "0080", `(-32768,)`},
		{">H", `65535`, "ffff", `(65535,)`},
		{"<i", `-2147483648`, "00000080", `(-2147483648,)`},
		{"!I", `4294967295`, "ffffffff", `(4294967295,)`},
		{"<l", `-1`, "ffffffff", `(-1,)`},
		{">L", `4294967295`, "ffffffff", `(4294967295,)`},
		{"<q", `-9223372036854775808`, "0000000000000080", `(-9223372036854775808,)`},
		{"<Q", `18446744073709551615`, "ffffffffffffffff", `(18446744073709551615,)`},
		{">q", `0x0102030405060708`, "0102030405060708", `(72623859790382856,)`},
		{"=i", `1`, "01000000", `(1,)`},
		{"@l", `-3`, "fdffffffffffffff", `(-3,)`},
		{"@L", `18446744073709551615`, "ffffffffffffffff", `(18446744073709551615,)`},
		{"@bi", `1, 2`, "0100000002000000", `(1, 2)`},
		{"@ic", `1, b'x'`, "0100000078", `(1, b"x")`},
		{"@ci", `b'x', 1`, "7800000001000000", `(b"x", 1)`},
		{"@bq", `-1, 1`, "ff000000000000000100000000000000", `(-1, 1)`},
		{"@hd", `1, 0.5`, "0100000000000000000000000000e03f", `(1, 0.5)`},
		{"@llh0l", `1, 2, 3`, "010000000000000002000000000000000300000000000000", `(1, 2, 3)`},
		{"@c0i", `b'a'`, "61000000", `(b"a",)`},
		{"@bh0s", `1, 2, b''`, "01000200", `(1, 2, b"")`},
		{"@b0q", `7`, "0700000000000000", `(7,)`},
		{"@n", `-5`, "fbffffffffffffff", `(-5,)`},
		{"@N", `5`, "0500000000000000", `(5,)`},
		{"@P", `4096`, "0010000000000000", `(4096,)`},
		{"@bP", `1, 65535`, "0100000000000000ffff000000000000", `(1, 65535)`},
		{"@e", `1.0`, "003c", `(1.0,)`},
		{"4B", `1, 2, 3, 4`, "01020304", `(1, 2, 3, 4)`},
		{"<2h3b", `1, 2, 3, 4, 5`, "01000200030405", `(1, 2, 3, 4, 5)`},
		{"< 2h b", `1, 2, 3`, "0100020003", `(1, 2, 3)`},
		{"<?", `True`, "01", `(True,)`},
		{"<?", `False`, "00", `(False,)`},
		{"<??", `1, 0`, "0100", `(True, False)`},
		{"<?", `[1]`, "01", `(True,)`},
		{"<?", `''`, "00", `(False,)`},
		{"<c", `b'\xff'`, "ff", `(b"\xff",)`},
		{"<3c", `b'a', b'b', b'c'`, "616263", `(b"a", b"b", b"c")`},
		{"<5s", `b'abc'`, "6162630000", `(b"abc\x00\x00",)`},
		{"<2s", `b'abcdef'`, "6162", `(b"ab",)`},
		{"<s", `b'xyz'`, "78", `(b"x",)`},
		{"<0s", `b'xyz'`, "", `(b"",)`},
		{"<10s", `b''`, "00000000000000000000", `(b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",)`},
		{"<5p", `b'abc'`, "0361626300", `(b"abc",)`},
		{"<3p", `b'abcdef'`, "026162", `(b"ab",)`},
		{"<p", `b'abc'`, "00", `(b"",)`},
		{"<300p", `b"a" * 260`, "ff" + strings.Repeat("61", 255) + strings.Repeat("00", 44), `(b"a" * 255,)`},
		{"<x", ``, "00", `()`},
		{"<3xB", `9`, "00000009", `(9,)`},
		{"@bxh", `1, 2`, "01000200", `(1, 2)`},
		{"<f", `1.5`, "0000c03f", `(1.5,)`},
		{"<f", `-0.1`, "cdccccbd", `(-0.10000000149011612,)`},
		{">f", `3`, "40400000", `(3.0,)`},
		{"<d", `-0.1`, "9a9999999999b9bf", `(-0.1,)`},
		{">d", `1e300`, "7e37e43c8800759c", `(1e+300,)`},
		{"<d", `0`, "0000000000000000", `(0.0,)`},
		{"<f", `3.4028235e38`, "ffff7f7f", `(3.4028234663852886e+38,)`},
		{"<e", `1.0`, "003c", `(1.0,)`},
		{"<e", `-2.5`, "00c1", `(-2.5,)`},
		{"<e", `65504.0`, "ff7b", `(65504.0,)`},
		{"<e", `5.960464477539063e-08`, "0100", `(5.960464477539063e-08,)`},
		{"<e", `2.9802322387695312e-08`, "0000", `(0.0,)`},
		{"<e", `2.98023223876953126e-08`, "0000", `(0.0,)`},
		{"<e", `0.1`, "662e", `(0.0999755859375,)`},
		{"<e", `6.1e-05`, "ff03", `(6.097555160522461e-05,)`},
		{"<e", `65519.99`, "ff7b", `(65504.0,)`},
		{"<e", `1e-10`, "0000", `(0.0,)`},
		{"<e", `-0.0`, "0080", `(-0.0,)`},
		{"<e", `1.00048828125`, "003c", `(1.0,)`},
		{"<e", `1.00146484375`, "023c", `(1.001953125,)`},
		{"", ``, "", `()`},
		{"<", ``, "", `()`},
		{"@", ``, "", `()`},
		{"<hhl", `1, 2, 3`, "0100020003000000", `(1, 2, 3)`},
		{">IIq", `1, 2, -3`, "0000000100000002fffffffffffffffd", `(1, 2, -3)`},
		{"<Qd", `18446744073709551615, 2.5`, "ffffffffffffffff0000000000000440", `(18446744073709551615, 2.5)`},
		// Python's unpack fails on "0p" (a negative size); pack agrees with it.
		{"<0p", `b"a"`, "", `(b"",)`},
		{"<3p", `b""`, "000000", `(b"",)`},
	}
	for _, test := range tests {
		name := test.format + "(" + test.values + ")"
		t.Run(name, func(t *testing.T) {
			args := test.values
			if args != "" {
				args = ", " + args
			}
			got, err := evalPack(t, "pack("+strquote(test.format)+args+")", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, ok := got.(starlark.Bytes)
			if !ok {
				t.Fatalf("pack returned %s, want bytes", got.Type())
			}
			if h := hex.EncodeToString([]byte(b)); h != test.hex {
				t.Errorf("pack = %s, want %s", h, test.hex)
			}
			ok2, err := evalPack(t, "unpack("+strquote(test.format)+", data) == "+test.tuple, starlark.StringDict{"data": b})
			if err != nil {
				t.Fatal(err)
			}
			if ok2 != starlark.True {
				tuple, _ := evalPack(t, "unpack("+strquote(test.format)+", data)", starlark.StringDict{"data": b})
				t.Errorf("unpack = %s, want %s", tuple, test.tuple)
			}
			size, err := evalPack(t, "calcsize("+strquote(test.format)+")", nil)
			if err != nil {
				t.Fatal(err)
			}
			if size != starlark.MakeInt(len(test.hex)/2) {
				t.Errorf("calcsize = %s, want %d", size, len(test.hex)/2)
			}
		})
	}
}

func strquote(s string) string { return starlark.String(s).String() }

func TestCalcsize(t *testing.T) {
	tests := []struct {
		format string
		want   int // python3 -c 'import struct; print(struct.calcsize(fmt))'
	}{
		{"", 0}, {"@ic", 5}, {"@ci", 8}, {"llh0l", 24}, {"@c0i", 4}, {"@0i", 0}, {"@c0s", 1},
		{"<ci", 5}, {"=ci", 5}, {"!ci", 5}, {"@l", 8}, {"<l", 4}, {"@Ld", 16}, {"@?d", 16},
		{"@hq", 16}, {"@bh", 4}, {"@be", 4}, {"@bf", 8}, {"@10s2h", 14}, {"@3p i", 8},
		{"100x", 100}, {"< h \t H\n", 4}, {"@xi", 8},
	}
	for _, test := range tests {
		got, err := evalPack(t, "calcsize("+strquote(test.format)+")", nil)
		if err != nil {
			t.Errorf("calcsize(%q): %v", test.format, err)
			continue
		}
		if got != starlark.MakeInt(test.want) {
			t.Errorf("calcsize(%q) = %s, want %d", test.format, got, test.want)
		}
	}
}

func TestPackErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`pack("<h", 70000)`, `pack: value 1: 'h' format requires -32768 <= number <= 32767, got 70000`},
		{`pack("<hh", 1, -32769)`, `pack: value 2: 'h' format requires -32768 <= number <= 32767, got -32769`},
		{`pack("<b", 128)`, `pack: value 1: 'b' format requires -128 <= number <= 127, got 128`},
		{`pack("<B", -1)`, `pack: value 1: 'B' format requires 0 <= number <= 255, got -1`},
		{`pack("<I", 4294967296)`, `pack: value 1: 'I' format requires 0 <= number <= 4294967295, got 4294967296`},
		{`pack("<l", 2147483648)`, `pack: value 1: 'l' format requires -2147483648 <= number <= 2147483647, got 2147483648`},
		{`pack("<q", 9223372036854775808)`, `pack: value 1: 'q' format requires -9223372036854775808 <= number <= 9223372036854775807, got 9223372036854775808`},
		{`pack("<Q", -1)`, `pack: value 1: 'Q' format requires 0 <= number <= 18446744073709551615, got -1`},
		{`pack("<Q", 18446744073709551616)`, `pack: value 1: 'Q' format requires 0 <= number <= 18446744073709551615, got 18446744073709551616`},
		{`pack("<h", "x")`, `pack: value 1: 'h' format requires an int, got string`},
		{`pack("<h", 1.5)`, `pack: value 1: 'h' format requires an int, got float`},
		{`pack("<h", True)`, `pack: value 1: 'h' format requires an int, got bool`},
		{`pack("<f", 1e39)`, `pack: value 1: float too large to pack with f format: 1e+39`},
		{`pack("<e", 65520.0)`, `pack: value 1: float too large to pack with e format: 65520`},
		{`pack("<d", "x")`, `pack: value 1: 'd' format requires a float or an int, got string`},
		{`pack("<d", int("1" + "0" * 400))`, `pack: value 1: int too large to convert to float: 1` + strings.Repeat("0", 400)},
		{`pack("<c", "a")`, `pack: value 1: 'c' format requires bytes of length 1, got string (use b"..." for a bytes literal)`},
		{`pack("<c", b"ab")`, `pack: value 1: 'c' format requires bytes of length 1, got 2 bytes`},
		{`pack("<4s", "abc")`, `pack: value 1: 's' format requires bytes, got string (use b"..." for a bytes literal)`},
		{`pack("<4p", None)`, `pack: value 1: 'p' format requires bytes, got NoneType (use b"..." for a bytes literal)`},
		{`pack("<h")`, `pack: format "<h" needs 1 value, got 0`},
		{`pack("<h", 1, 2)`, `pack: format "<h" needs 1 value, got 2`},
		{`pack("<2hs", 1)`, `pack: format "<2hs" needs 3 values, got 1`},
		{`pack("<z", 1)`, `pack: bad character 'z' in struct format "<z"`},
		{`pack("h<", 1)`, `pack: bad character '<' in struct format "h<"`},
		{`pack("<é")`, `pack: bad character 'é' in struct format "<é"`},
		{`pack(fmt_ff)`, `pack: bad byte 0xff in struct format "<\xff"`},
		{`pack("<4", 1)`, `pack: repeat count without format character in struct format "<4"`},
		{`pack("<2 h", 1, 2)`, `pack: space between repeat count and format character in struct format "<2 h"`},
		{`pack("<n", 1)`, `pack: format character 'n' is native only (use "@") in struct format "<n"`},
		{`pack(">P", 1)`, `pack: format character 'P' is native only (use "@") in struct format ">P"`},
		{`pack("99999999999s", b"")`, `pack: repeat count too large in struct format "99999999999s"`},
		{`pack("@b8388608q")`, `pack: struct format "@b8388608q" is too large`},
		{`pack()`, `pack: got 0 arguments, want 1`},
		{`pack(1)`, `pack: for parameter 1: got int, want string`},
		{`pack("<h", v=1)`, `pack: unexpected keyword arguments`},
		{`unpack("<q", b"12345")`, `unpack: expected 8 bytes for format "<q", got 5`},
		{`unpack("<q", "12345678")`, `unpack: for parameter data: got string, want bytes`},
		{`unpack("<z", b"")`, `unpack: bad character 'z' in struct format "<z"`},
		{`unpack("<h")`, `unpack: missing argument for data`},
		{`calcsize("<y")`, `calcsize: bad character 'y' in struct format "<y"`},
		{`calcsize("67108865x")`, `calcsize: repeat count too large in struct format "67108865x"`},
		{`calcsize("67108864xb")`, `calcsize: struct format "67108864xb" is too large`},
		{`calcsize(1)`, `calcsize: for parameter fmt: got int, want string`},
	}
	for _, test := range tests {
		_, err := evalPack(t, test.expr, starlark.StringDict{"fmt_ff": starlark.String("<\xff")})
		if err == nil || err.Error() != test.want {
			t.Errorf("%s: error = %v, want %s", test.expr, err, test.want)
		}
	}
}

// TestPackRoundTrip packs the limits of every format in every byte order
// and checks that unpack gives the values back.
func TestPackRoundTrip(t *testing.T) {
	ints := map[byte][]string{
		'b': {"-128", "-1", "0", "127"},
		'B': {"0", "1", "255"},
		'h': {"-32768", "-1", "0", "32767"},
		'H': {"0", "65535"},
		'i': {"-2147483648", "0", "2147483647"},
		'I': {"0", "4294967295"},
		'l': {"-2147483648", "2147483647"},
		'L': {"0", "4294967295"},
		'q': {"-9223372036854775808", "-1", "9223372036854775807"},
		'Q': {"0", "18446744073709551615"},
	}
	floats := map[byte][]string{
		'e': {"0.0", "-0.0", "1.5", "-65504.0", "0.000060975551605224609375", "float('inf')", "float('-inf')"},
		'f': {"0.0", "3.5", "-1.401298464324817e-45", "3.4028234663852886e+38", "float('inf')"},
		'd': {"0.0", "-0.1", "1.7976931348623157e+308", "5e-324", "float('-inf')"},
	}
	for _, order := range []string{"@", "=", "<", ">", "!"} {
		for code, vals := range ints {
			for _, v := range vals {
				roundTrip(t, order+"3"+string(code), v+", "+v+", "+v)
			}
		}
		for code, vals := range floats {
			for _, v := range vals {
				roundTrip(t, order+"b"+string(code), "1, "+v)
			}
		}
		roundTrip(t, order+"?c5s4p0sx", `True, b"\x00", b"hello", b"abc", b""`)
	}
	roundTrip(t, "@nNP", "-9223372036854775808, 18446744073709551615, 18446744073709551615")

	// NaN is not equal to itself: check its bits instead.
	for _, code := range []string{"e", "f", "d"} {
		v, err := evalPack(t, `unpack("<`+code+`", pack("<`+code+`", float("nan")))[0]`, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := v.(starlark.Float); !ok || !math.IsNaN(float64(f)) {
			t.Errorf("NaN through %q gives %v", code, v)
		}
	}
}

func roundTrip(t *testing.T, format, values string) {
	t.Helper()
	expr := "unpack(" + strquote(format) + ", pack(" + strquote(format) + ", " + values + ")) == (" + values + ",)"
	v, err := evalPack(t, expr, nil)
	if err != nil {
		t.Errorf("%s: %v", expr, err)
	} else if v != starlark.True {
		t.Errorf("%s is False", expr)
	}
}

func TestPackDocs(t *testing.T) {
	for doc, sig := range map[string]string{
		PackDoc:     "pack(fmt, *values) -> bytes",
		UnpackDoc:   "unpack(fmt, data) -> tuple",
		CalcsizeDoc: "calcsize(fmt) -> int",
	} {
		if first, _, _ := strings.Cut(doc, "\n"); first != sig {
			t.Errorf("doc starts with %q, want %q", first, sig)
		}
	}
}

// FuzzPackFormat packs and unpacks with arbitrary formats and values. It
// must never panic; data of the right size always unpacks, and packing
// what unpack returned gives bytes that unpack to the same values.
// The seed corpus is in testdata/fuzz/FuzzPackFormat.
func FuzzPackFormat(f *testing.F) {
	pack, unpack, calcsize := packEnv["pack"].(*starlark.Builtin), packEnv["unpack"].(*starlark.Builtin), packEnv["calcsize"].(*starlark.Builtin)
	f.Fuzz(func(t *testing.T, format string, seed []byte) {
		thread := new(starlark.Thread)
		fmtv := starlark.String(format)

		// Arbitrary values, most often the wrong number of them.
		values := fuzzValues(seed)
		sf, parseErr := parseStructFormat(format)
		if parseErr == nil && sf.size > 1<<16 {
			return // valid but too large to allocate on every run
		}
		_, _ = Pack(thread, pack, append(starlark.Tuple{fmtv}, values...), nil)
		_, _ = Unpack(thread, unpack, starlark.Tuple{fmtv, starlark.Bytes(seed)}, nil)
		size, err := Calcsize(thread, calcsize, starlark.Tuple{fmtv}, nil)
		if (err == nil) != (parseErr == nil) {
			t.Fatalf("calcsize(%q) error %v, parse error %v", format, err, parseErr)
		}
		if err != nil {
			return
		}
		if size != starlark.MakeInt(sf.size) {
			t.Fatalf("calcsize(%q) = %s, want %d", format, size, sf.size)
		}

		// As many values as the format takes, taken from the arbitrary ones.
		if len(values) > 0 {
			args := starlark.Tuple{fmtv}
			for i := range sf.nvalues {
				args = append(args, values[i%len(values)])
			}
			if b, err := Pack(thread, pack, args, nil); err == nil {
				if n := len(b.(starlark.Bytes)); n != sf.size {
					t.Fatalf("pack(%q) gave %d bytes, want %d", format, n, sf.size)
				}
				if _, err := Unpack(thread, unpack, starlark.Tuple{fmtv, b}, nil); err != nil {
					t.Fatalf("unpack(%q) of what pack gave: %v", format, err)
				}
			}
		}

		// Data of the right size unpacks, and the values round-trip.
		data := make([]byte, sf.size)
		for i := range data {
			if len(seed) > 0 {
				data[i] = seed[i%len(seed)]
			}
		}
		tuple, err := Unpack(thread, unpack, starlark.Tuple{fmtv, starlark.Bytes(data)}, nil)
		if err != nil {
			t.Fatalf("unpack(%q) of %d bytes: %v", format, len(data), err)
		}
		repacked, err := Pack(thread, pack, append(starlark.Tuple{fmtv}, tuple.(starlark.Tuple)...), nil)
		if err != nil {
			t.Fatalf("pack(%q, *%s): %v", format, tuple, err)
		}
		again, err := Unpack(thread, unpack, starlark.Tuple{fmtv, repacked}, nil)
		if err != nil {
			t.Fatalf("unpack(%q) of repacked bytes: %v", format, err)
		}
		if eq, err := starlark.Equal(tuple, again); err != nil || !eq {
			t.Fatalf("format %q: unpack gave %s, then %s after a round trip", format, tuple, again)
		}
	})
}

// fuzzValues makes Starlark values of every kind from fuzz bytes.
func fuzzValues(seed []byte) starlark.Tuple {
	var values starlark.Tuple
	next := func(n int) []byte {
		b := make([]byte, n)
		m := copy(b, seed)
		seed = seed[m:]
		return b
	}
	for len(seed) > 0 && len(values) < 64 {
		kind := next(1)[0]
		switch kind % 8 {
		case 0:
			values = append(values, starlark.MakeInt(int(int8(next(1)[0]))))
		case 1:
			values = append(values, starlark.MakeInt64(int64(binary.LittleEndian.Uint64(next(8)))))
		case 2:
			big := starlark.MakeUint64(binary.LittleEndian.Uint64(next(8)))
			values = append(values, big.Lsh(uint(kind>>3)))
		case 3:
			values = append(values, starlark.Float(math.Float64frombits(binary.LittleEndian.Uint64(next(8)))))
		case 4:
			values = append(values, starlark.Bytes(next(int(kind>>3)%300)))
		case 5:
			values = append(values, starlark.String(next(int(kind>>3)%8)))
		case 6:
			values = append(values, starlark.Bool(kind&8 != 0))
		case 7:
			values = append(values, starlark.None)
		}
	}
	return values
}
