package builtins

// This file implements pack, unpack and calcsize: Python's struct module
// for Starlark, to build and decode the bytes read from and written to a
// target's memory.

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// PackDoc documents pack.
const PackDoc = `pack(fmt, *values) -> bytes

Returns the values packed into bytes according to the format string fmt, as Python's struct.pack does. fmt starts with an optional byte order: "@" native order, sizes and alignment (the default), "=" native order with standard sizes, "<" little-endian, ">" or "!" big-endian (both with standard sizes and no alignment). Each format character may be preceded by a repeat count: x pad byte (no value), c bytes of length 1, b/B signed/unsigned 8-bit int, ? bool, h/H 16-bit, i/I and l/L 32-bit (l/L are 64-bit in native mode), q/Q 64-bit, e/f/d 16/32/64-bit float, s bytes (the count is the field length: shorter values are padded with NULs, longer ones truncated), p Pascal string (a length byte, then the bytes); in native mode only, n/N signed/unsigned size_t and P pointer. Integers must be in the range of their format; s, p and c take bytes, not strings. Example: pack("<hI", -2, 7) == b"\xfe\xff\x07\x00\x00\x00".`

// UnpackDoc documents unpack.
const UnpackDoc = `unpack(fmt, data) -> tuple

Decodes the bytes data according to the format string fmt (see pack) and returns the tuple of values, as Python's struct.unpack does: ints for the integer formats, floats for e/f/d, bools for ?, bytes for c, s and p. len(data) must equal calcsize(fmt). Example: unpack("<hI", b"\xfe\xff\x07\x00\x00\x00") == (-2, 7).`

// CalcsizeDoc documents calcsize.
const CalcsizeDoc = `calcsize(fmt) -> int

Returns the number of bytes that pack(fmt, ...) produces and unpack(fmt, data) requires, including the alignment padding of native ("@") formats. Example: calcsize("@bi") == 8, calcsize("<bi") == 5.`

// maxStructSize bounds the size of a format (64 MiB), so that a typo
// such as "100000000000s" fails instead of allocating.
const maxStructSize = 1 << 26

// Pack implements pack(fmt, *values).
func Pack(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var format string
	if err := starlark.UnpackPositionalArgs(b.Name(), args[:min(len(args), 1)], kwargs, 1, &format); err != nil {
		return nil, err
	}
	values := args[1:]
	sf, err := parseStructFormat(format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if len(values) != sf.nvalues {
		plural := "s"
		if sf.nvalues == 1 {
			plural = ""
		}
		return nil, fmt.Errorf("%s: format %q needs %d value%s, got %d", b.Name(), format, sf.nvalues, plural, len(values))
	}
	buf := make([]byte, sf.size)
	n := 0 // values consumed
	for _, it := range sf.items {
		switch it.code {
		case 'x':
		case 's', 'p':
			if err := it.packString(buf[it.offset:it.offset+it.count], values[n]); err != nil {
				return nil, fmt.Errorf("%s: value %d: %w", b.Name(), n+1, err)
			}
			n++
		default:
			for i := range it.count {
				off := it.offset + i*it.size
				if err := sf.packValue(it, buf[off:off+it.size], values[n]); err != nil {
					return nil, fmt.Errorf("%s: value %d: %w", b.Name(), n+1, err)
				}
				n++
			}
		}
	}
	return starlark.Bytes(buf), nil
}

// Unpack implements unpack(fmt, data).
func Unpack(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		format string
		data   starlark.Bytes
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fmt", &format, "data", &data); err != nil {
		return nil, err
	}
	sf, err := parseStructFormat(format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if len(data) != sf.size {
		return nil, fmt.Errorf("%s: expected %d bytes for format %q, got %d", b.Name(), sf.size, format, len(data))
	}
	buf := []byte(data)
	values := make(starlark.Tuple, 0, sf.nvalues)
	for _, it := range sf.items {
		switch it.code {
		case 'x':
		case 's':
			values = append(values, starlark.Bytes(buf[it.offset:it.offset+it.count]))
		case 'p':
			values = append(values, unpackPascal(buf[it.offset:it.offset+it.count]))
		default:
			for i := range it.count {
				off := it.offset + i*it.size
				values = append(values, sf.unpackValue(it, buf[off:off+it.size]))
			}
		}
	}
	return values, nil
}

// Calcsize implements calcsize(fmt).
func Calcsize(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var format string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fmt", &format); err != nil {
		return nil, err
	}
	sf, err := parseStructFormat(format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.MakeInt(sf.size), nil
}

// A structFormat is a parsed format string.
type structFormat struct {
	order   binary.ByteOrder
	native  bool // "@": native sizes and alignment
	items   []structItem
	size    int // total size in bytes
	nvalues int // number of values packed
}

// A structItem is one format character with its repeat count.
type structItem struct {
	code   byte
	count  int // repeat count; for s and p, the field length
	offset int // offset of the first value in the packed bytes
	size   int // size of one value (for s and p: count)
}

// Sizes of the format characters: standard, then native (amd64 Linux,
// where the alignment of each type equals its size). 0: not available.
var structSizes = map[byte][2]int{
	'x': {1, 1}, 'c': {1, 1}, 'b': {1, 1}, 'B': {1, 1}, '?': {1, 1},
	'h': {2, 2}, 'H': {2, 2}, 'i': {4, 4}, 'I': {4, 4}, 'l': {4, 8}, 'L': {4, 8},
	'q': {8, 8}, 'Q': {8, 8}, 'n': {0, 8}, 'N': {0, 8}, 'P': {0, 8},
	'e': {2, 2}, 'f': {4, 4}, 'd': {8, 8}, 's': {1, 1}, 'p': {1, 1},
}

// parseStructFormat parses a format string as Python's struct module
// does: an optional byte order, then format characters, each with an
// optional decimal repeat count; whitespace between them is ignored.
func parseStructFormat(format string) (*structFormat, error) {
	sf := &structFormat{order: binary.LittleEndian, native: true}
	s := format
	if s != "" {
		switch s[0] {
		case '@':
			s = s[1:]
		case '=', '<':
			sf.native = false
			s = s[1:]
		case '>', '!':
			sf.order, sf.native = binary.BigEndian, false
			s = s[1:]
		}
	}
	for len(s) > 0 {
		c := s[0]
		if strings.IndexByte(" \t\n\r\v\f", c) >= 0 {
			s = s[1:]
			continue
		}
		count, hasCount := 1, false
		if '0' <= c && c <= '9' {
			count, hasCount = 0, true
			for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
				count = count*10 + int(s[0]-'0')
				if count > maxStructSize {
					return nil, fmt.Errorf("repeat count too large in struct format %q", format)
				}
				s = s[1:]
			}
			if len(s) == 0 {
				return nil, fmt.Errorf("repeat count without format character in struct format %q", format)
			}
			c = s[0]
		}
		sizes, ok := structSizes[c]
		size := sizes[0]
		if sf.native {
			size = sizes[1]
		}
		if !ok || size == 0 {
			r, _ := utf8.DecodeRuneInString(s)
			if !ok && r == utf8.RuneError {
				return nil, fmt.Errorf("bad byte %#x in struct format %q", c, format)
			}
			if ok {
				return nil, fmt.Errorf("format character %q is native only (use \"@\") in struct format %q", r, format)
			}
			if hasCount && strings.IndexByte(" \t\n\r\v\f", c) >= 0 {
				return nil, fmt.Errorf("space between repeat count and format character in struct format %q", format)
			}
			return nil, fmt.Errorf("bad character %q in struct format %q", r, format)
		}
		s = s[1:]

		// Native mode aligns each item to its size, as a C compiler would.
		if sf.native && c != 's' && c != 'p' && sf.size > 0 {
			sf.size = (sf.size + size - 1) / size * size
		}
		it := structItem{code: c, count: count, offset: sf.size, size: size}
		switch c {
		case 'x':
		case 's', 'p':
			it.size = count
			sf.nvalues++
		default:
			sf.nvalues += count
		}
		if count > (maxStructSize-sf.size)/size {
			return nil, fmt.Errorf("struct format %q is too large", format)
		}
		sf.size += count * size
		sf.items = append(sf.items, it)
	}
	return sf, nil
}

// packString packs a value for the s and p formats into field.
func (it structItem) packString(field []byte, v starlark.Value) error {
	b, ok := v.(starlark.Bytes)
	if !ok {
		return fmt.Errorf("'%c' format requires bytes, got %s (use b\"...\" for a bytes literal)", it.code, v.Type())
	}
	if it.code == 's' {
		copy(field, b)
		return nil
	}
	if len(field) == 0 {
		return nil
	}
	n := min(len(b), len(field)-1, 255)
	field[0] = byte(n)
	copy(field[1:], b[:n])
	return nil
}

// unpackPascal decodes a p field: a length byte, then the bytes.
func unpackPascal(field []byte) starlark.Bytes {
	if len(field) == 0 {
		return ""
	}
	n := min(int(field[0]), len(field)-1)
	return starlark.Bytes(field[1 : 1+n])
}

// intRanges are the ranges of the integer formats, by size.
var (
	signedMin = map[int]int64{1: math.MinInt8, 2: math.MinInt16, 4: math.MinInt32, 8: math.MinInt64}
	signedMax = map[int]int64{1: math.MaxInt8, 2: math.MaxInt16, 4: math.MaxInt32, 8: math.MaxInt64}
)

// packValue packs one value of a fixed-size format into field.
func (sf *structFormat) packValue(it structItem, field []byte, v starlark.Value) error {
	switch it.code {
	case 'c':
		b, ok := v.(starlark.Bytes)
		if !ok || len(b) != 1 {
			if !ok {
				return fmt.Errorf("'c' format requires bytes of length 1, got %s (use b\"...\" for a bytes literal)", v.Type())
			}
			return fmt.Errorf("'c' format requires bytes of length 1, got %d bytes", len(b))
		}
		field[0] = b[0]
	case '?':
		if v.Truth() {
			field[0] = 1
		}
	case 'b', 'h', 'i', 'l', 'q', 'n':
		x, ok := v.(starlark.Int)
		if !ok {
			return fmt.Errorf("'%c' format requires an int, got %s", it.code, v.Type())
		}
		lo, hi := signedMin[it.size], signedMax[it.size]
		n, ok := x.Int64()
		if !ok || n < lo || n > hi {
			return fmt.Errorf("'%c' format requires %d <= number <= %d, got %s", it.code, lo, hi, x)
		}
		sf.putUint(field, uint64(n))
	case 'B', 'H', 'I', 'L', 'Q', 'N', 'P':
		x, ok := v.(starlark.Int)
		if !ok {
			return fmt.Errorf("'%c' format requires an int, got %s", it.code, v.Type())
		}
		hi := uint64(math.MaxUint64) >> (64 - 8*it.size)
		n, ok := x.Uint64()
		if !ok || n > hi {
			return fmt.Errorf("'%c' format requires 0 <= number <= %d, got %s", it.code, hi, x)
		}
		sf.putUint(field, n)
	case 'e', 'f', 'd':
		var f float64
		switch x := v.(type) {
		case starlark.Float:
			f = float64(x)
		case starlark.Int:
			f = float64(x.Float())
			if math.IsInf(f, 0) {
				return fmt.Errorf("int too large to convert to float: %s", x)
			}
		default:
			return fmt.Errorf("'%c' format requires a float or an int, got %s", it.code, v.Type())
		}
		switch it.code {
		case 'd':
			sf.putUint(field, math.Float64bits(f))
		case 'f':
			f32 := float32(f)
			if math.IsInf(float64(f32), 0) && !math.IsInf(f, 0) {
				return fmt.Errorf("float too large to pack with f format: %v", f)
			}
			sf.putUint(field, uint64(math.Float32bits(f32)))
		case 'e':
			h, ok := float16Bits(f)
			if !ok {
				return fmt.Errorf("float too large to pack with e format: %v", f)
			}
			sf.putUint(field, uint64(h))
		}
	}
	return nil
}

// unpackValue decodes one value of a fixed-size format.
func (sf *structFormat) unpackValue(it structItem, field []byte) starlark.Value {
	switch it.code {
	case 'c':
		return starlark.Bytes(field)
	case '?':
		return starlark.Bool(field[0] != 0)
	case 'b', 'h', 'i', 'l', 'q', 'n':
		shift := 64 - 8*it.size
		return starlark.MakeInt64(int64(sf.uint(field)<<shift) >> shift)
	case 'B', 'H', 'I', 'L', 'Q', 'N', 'P':
		return starlark.MakeUint64(sf.uint(field))
	case 'd':
		return starlark.Float(math.Float64frombits(sf.uint(field)))
	case 'f':
		return starlark.Float(math.Float32frombits(uint32(sf.uint(field))))
	case 'e':
		return starlark.Float(float16Value(uint16(sf.uint(field))))
	}
	panic(fmt.Sprintf("unpack: unexpected format character %q", it.code))
}

// putUint stores the low len(field) bytes of x in the format's byte order.
// Fields of numbers are 1, 2, 4 or 8 bytes long.
func (sf *structFormat) putUint(field []byte, x uint64) {
	switch len(field) {
	case 1:
		field[0] = byte(x)
	case 2:
		sf.order.PutUint16(field, uint16(x))
	case 4:
		sf.order.PutUint32(field, uint32(x))
	case 8:
		sf.order.PutUint64(field, x)
	default:
		panic(fmt.Sprintf("pack: a number field of %d bytes", len(field)))
	}
}

// uint loads an unsigned integer of len(field) bytes in the format's byte order.
func (sf *structFormat) uint(field []byte) uint64 {
	switch len(field) {
	case 1:
		return uint64(field[0])
	case 2:
		return uint64(sf.order.Uint16(field))
	case 4:
		return uint64(sf.order.Uint32(field))
	case 8:
		return sf.order.Uint64(field)
	}
	panic(fmt.Sprintf("unpack: a number field of %d bytes", len(field)))
}

// float16Bits converts f to IEEE 754 half precision, rounding to nearest
// even. ok is false if a finite f is too large (it would round to infinity).
func float16Bits(f float64) (h uint16, ok bool) {
	var sign uint16
	if math.Signbit(f) {
		sign = 0x8000
	}
	switch {
	case math.IsNaN(f):
		return sign | 0x7e00, true
	case math.IsInf(f, 0):
		return sign | 0x7c00, true
	case f == 0:
		return sign, true
	}
	frac, exp := math.Frexp(math.Abs(f)) // |f| = frac * 2**exp, frac in [0.5, 1)
	if e := exp + 14; e >= 1 {
		// Normal: 1.m * 2**(e-15) with 10 bits of m.
		m := int(math.RoundToEven(frac * (1 << 11)))
		if m == 1<<11 {
			m, e = 1<<10, e+1
		}
		if e >= 31 {
			return 0, false
		}
		return sign | uint16(e)<<10 | uint16(m-1<<10), true
	}
	// Subnormal: m * 2**-24; rounding may carry into the smallest normal.
	m := int(math.RoundToEven(math.Ldexp(frac, exp+24)))
	return sign | uint16(m), true
}

// float16Value converts IEEE 754 half-precision bits to a float64.
func float16Value(h uint16) float64 {
	e, m := int(h>>10&0x1f), float64(h&0x3ff)
	var f float64
	switch e {
	case 0:
		f = math.Ldexp(m, -24)
	case 31:
		f = math.Inf(1)
		if m != 0 {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(1024+m, e-25)
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}
