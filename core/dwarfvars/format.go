package dwarfvars

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// A Printer formats values as gdb's print command does (with gdb's
// default settings: print elements 200, repeats 10, print null-stop off).
type Printer struct {
	// ReadMem reads the program's memory, for the text a char * points
	// to and for arrays of unknown length. Nil reads nothing.
	ReadMem func(addr uint64, b []byte) error
	// Symbol names a code address ("add", or "add+4"), or returns "".
	Symbol func(addr uint64) string
	// MaxElements bounds the elements of an array and the characters of
	// a string that are printed (gdb's "print elements"); 0 means 200.
	MaxElements int
}

// repeatThreshold is gdb's "print repeats": a run of more identical
// elements than this prints as one with <repeats N times>.
const repeatThreshold = 10

func (p *Printer) limit() int {
	if p.MaxElements > 0 {
		return p.MaxElements
	}
	return 200
}

// Format renders the value of type t held in b, the object's bytes, as
// gdb's print shows it at the top level ("$1 = " not included): a pointer
// is prefixed with its type ("(struct point *) 0x7ffc..."), except a
// pointer to characters, which shows its text, and a C++ reference shows its
// type, the address it refers to and the referent ("(int &) @0x7ffc...:
// 5"), where a reference member of a struct shows only "@0x7ffc...", as
// gdb does. addr is the object's
// address (0 if it has none), used for an array of unknown length.
func (p *Printer) Format(t Type, b []byte, addr uint64) string {
	var sb strings.Builder
	u, ok := Underlying(t).(*PointerType)
	if ok && u.Ref {
		ptr := readUint(b)
		fmt.Fprintf(&sb, "(%s) @%#x: ", t, ptr)
		p.formatAt(&sb, u.Elem, ptr)
		return sb.String()
	}
	if ok && !isCharType(u.Elem) {
		sb.WriteString("(" + t.String() + ") ")
	}
	p.format(&sb, t, b, addr)
	return sb.String()
}

func (p *Printer) format(sb *strings.Builder, t Type, b []byte, addr uint64) {
	switch u := Underlying(t).(type) {
	case *BaseType:
		sb.WriteString(formatBase(u, b))
	case *EnumType:
		v := readInt(b, !u.Unsigned)
		for _, e := range u.Enumerators {
			if e.Value == v {
				sb.WriteString(e.Name)
				return
			}
		}
		sb.WriteString(strconv.FormatInt(v, 10))
	case *PointerType:
		ptr := readUint(b)
		if u.Ref {
			fmt.Fprintf(sb, "@%#x", ptr)
			return
		}
		fmt.Fprintf(sb, "%#x", ptr)
		switch elem := Underlying(u.Elem).(type) {
		case *FuncType:
			if s := p.symbol(ptr); s != "" {
				sb.WriteString(" <" + s + ">")
			}
		default:
			if isCharType(elem) && ptr != 0 {
				sb.WriteString(" ")
				p.formatCString(sb, ptr)
			}
		}
	case *ArrayType:
		p.formatArray(sb, u, b, addr)
	case *StructType:
		p.formatStruct(sb, u, b, addr)
	case *FuncType:
		fmt.Fprintf(sb, "{%s} %#x", t, addr)
		if s := p.symbol(addr); s != "" {
			sb.WriteString(" <" + s + ">")
		}
	case *VoidType:
		sb.WriteString("void")
	default:
		fmt.Fprintf(sb, "<%s>", t)
	}
}

func (p *Printer) symbol(addr uint64) string {
	if p.Symbol == nil {
		return ""
	}
	return p.Symbol(addr)
}

// formatAt formats the object of type t at addr, read from memory.
func (p *Printer) formatAt(sb *strings.Builder, t Type, addr uint64) {
	n := t.Size()
	b := make([]byte, max(n, 0))
	if n < 0 || p.ReadMem == nil || p.ReadMem(addr, b) != nil {
		fmt.Fprintf(sb, "<error: Cannot access memory at address %#x>", addr)
		return
	}
	p.format(sb, t, b, addr)
}

// formatCString writes the NUL-terminated text at addr, at most the
// element limit (then "..." follows the closing quote).
func (p *Printer) formatCString(sb *strings.Builder, addr uint64) {
	var text []byte
	var one [1]byte
	for len(text) < p.limit() {
		if p.ReadMem == nil || p.ReadMem(addr+uint64(len(text)), one[:]) != nil {
			if len(text) == 0 {
				fmt.Fprintf(sb, "<error: Cannot access memory at address %#x>", addr)
				return
			}
			break
		}
		if one[0] == 0 {
			writeChars(sb, text)
			return
		}
		text = append(text, one[0])
	}
	writeChars(sb, text)
	sb.WriteString("...")
}

func (p *Printer) formatArray(sb *strings.Builder, a *ArrayType, b []byte, addr uint64) {
	if a.Len < 0 {
		// gdb shows an array of unknown length (a flexible member) by
		// its address, and its text if it holds characters.
		fmt.Fprintf(sb, "%#x", addr)
		if isCharType(a.Elem) {
			sb.WriteString(" ")
			p.formatCString(sb, addr)
		}
		return
	}
	es := a.Elem.Size()
	if isCharType(a.Elem) {
		n := min(int(a.Len), len(b))
		limited := n > p.limit()
		text := b[:min(n, p.limit())]
		// gdb drops one trailing NUL, the string's terminator.
		if !limited && len(text) > 0 && text[len(text)-1] == 0 {
			text = text[:len(text)-1]
		}
		if len(text) == 0 {
			sb.WriteString(`""`)
			return
		}
		writeChars(sb, text)
		if limited {
			sb.WriteString("...")
		}
		return
	}
	sb.WriteString("{")
	n := int(a.Len)
	printed := 0
	for i := 0; i < n; {
		if printed >= p.limit() {
			sb.WriteString("...")
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		elem := b[int64(i)*es : int64(i+1)*es]
		reps := 1
		for i+reps < n && string(b[int64(i+reps)*es:int64(i+reps+1)*es]) == string(elem) {
			reps++
		}
		p.format(sb, a.Elem, elem, addr+uint64(int64(i)*es))
		if reps > repeatThreshold {
			fmt.Fprintf(sb, " <repeats %d times>", reps)
			i += reps
			printed += repeatThreshold
		} else {
			i++
			printed++
		}
	}
	sb.WriteString("}")
}

func (p *Printer) formatStruct(sb *strings.Builder, s *StructType, b []byte, addr uint64) {
	if s.Incomplete {
		sb.WriteString("<incomplete type>")
		return
	}
	if len(s.Fields) == 0 {
		sb.WriteString("{<No data fields>}")
		return
	}
	sb.WriteString("{")
	for i, f := range s.Fields {
		if i > 0 {
			sb.WriteString(", ")
		}
		switch {
		case f.Base:
			sb.WriteString("<" + f.Name + "> = ")
		case f.Name != "":
			sb.WriteString(f.Name + " = ")
		}
		size := f.Type.Size()
		if f.BitSize > 0 {
			sb.WriteString(p.formatBitfield(f, b))
			continue
		}
		if size < 0 {
			p.format(sb, f.Type, nil, addr+uint64(f.Offset))
			continue
		}
		if f.Offset+size > int64(len(b)) {
			sb.WriteString("<error: member past the object>")
			continue
		}
		p.format(sb, f.Type, b[f.Offset:f.Offset+size], addr+uint64(f.Offset))
	}
	sb.WriteString("}")
}

// formatBitfield extracts a bitfield member and formats it as its type.
func (p *Printer) formatBitfield(f Field, b []byte) string {
	nbytes := (f.BitOffset + f.BitSize + 7) / 8
	if f.Offset+nbytes > int64(len(b)) || f.BitSize > 64 {
		return "<error: member past the object>"
	}
	var raw [16]byte
	copy(raw[:], b[f.Offset:f.Offset+nbytes])
	lo, hi := binary.LittleEndian.Uint64(raw[:]), binary.LittleEndian.Uint64(raw[8:])
	v := lo >> uint(f.BitOffset)
	if f.BitOffset > 0 {
		v |= hi << (64 - uint(f.BitOffset))
	}
	if f.BitSize < 64 {
		v &= 1<<uint(f.BitSize) - 1
	}
	signed := false
	switch u := Underlying(f.Type).(type) {
	case *BaseType:
		signed = !u.Unsigned && u.K != Bool
	case *EnumType:
		signed = !u.Unsigned
	}
	if signed && f.BitSize < 64 && v&(1<<uint(f.BitSize-1)) != 0 {
		v |= ^uint64(0) << uint(f.BitSize)
	}
	size := max(f.Type.Size(), 1)
	var sb strings.Builder
	p.format(&sb, f.Type, binary.LittleEndian.AppendUint64(nil, v)[:min(size, 8)], 0)
	return sb.String()
}

// isCharType reports whether t is a one-byte character type.
func isCharType(t Type) bool {
	u, ok := Underlying(t).(*BaseType)
	return ok && u.K == Char && u.ByteSize == 1
}

func readUint(b []byte) uint64 {
	var raw [8]byte
	copy(raw[:], b)
	return binary.LittleEndian.Uint64(raw[:])
}

// readInt reads a little-endian integer of len(b) bytes (at most 8).
func readInt(b []byte, signed bool) int64 {
	v := readUint(b)
	if signed && len(b) > 0 && len(b) < 8 {
		return int64(signExtend(v, len(b)))
	}
	return int64(v)
}

// formatBase formats a scalar of a base type.
func formatBase(t *BaseType, b []byte) string {
	switch t.K {
	case Bool:
		switch readUint(b) {
		case 0:
			return "false"
		case 1:
			return "true"
		}
		return strconv.FormatUint(readUint(b), 10)
	case Float:
		return formatFloat(b)
	case Char:
		v := readInt(b, !t.Unsigned)
		if len(b) != 1 {
			return strconv.FormatInt(v, 10)
		}
		var sb strings.Builder
		sb.WriteString(strconv.FormatInt(v, 10) + " '")
		writeChar(&sb, b[0], '\'')
		sb.WriteString("'")
		return sb.String()
	case Int:
		if len(b) > 8 {
			return formatWide(b, true)
		}
		return strconv.FormatInt(readInt(b, true), 10)
	case Uint:
		if len(b) > 8 {
			return formatWide(b, false)
		}
		return strconv.FormatUint(readUint(b), 10)
	case Complex: // as gdb: 1.5 + -2i
		h := len(b) / 2
		return formatFloat(b[:h]) + " + " + formatFloat(b[h:]) + "i"
	}
	return fmt.Sprintf("<%s of %d bytes>", t.Name, len(b))
}

// formatWide formats a 16-byte (__int128) integer.
func formatWide(b []byte, signed bool) string {
	le := make([]byte, len(b))
	for i := range b {
		le[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(le)
	if signed && b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v.String()
}

// formatFloat formats a float, a double or an x87 long double with as
// many digits as gdb (%.9g, %.17g, %.21Lg).
func formatFloat(b []byte) string {
	switch len(b) {
	case 4:
		f := math.Float32frombits(binary.LittleEndian.Uint32(b))
		return cFloat(strconv.FormatFloat(float64(f), 'g', 9, 32))
	case 8:
		return cFloat(strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)), 'g', 17, 64))
	case 10, 12, 16:
		mant := binary.LittleEndian.Uint64(b)
		se := binary.LittleEndian.Uint16(b[8:])
		neg, exp := se&0x8000 != 0, int(se&0x7fff)
		switch {
		case exp == 0x7fff && mant<<1 == 0:
			if neg {
				return "-inf"
			}
			return "inf"
		case exp == 0x7fff:
			return "nan(0x" + strconv.FormatUint(mant&(1<<62-1), 16) + ")"
		}
		if exp == 0 {
			exp = 1 // denormal
		}
		f := new(big.Float).SetPrec(64).SetUint64(mant)
		f.SetMantExp(f, exp-16383-63)
		if neg {
			f.Neg(f)
		}
		return cFloat(f.Text('g', 21))
	}
	return fmt.Sprintf("<float of %d bytes>", len(b))
}

// cFloat turns Go's spelling of special values into C's.
func cFloat(s string) string {
	switch s {
	case "+Inf":
		return "inf"
	case "-Inf":
		return "-inf"
	case "NaN":
		return "nan(0x8000000000000)"
	}
	return s
}

// writeChars writes bytes as gdb prints a string: quoted segments, with
// runs of more than repeatThreshold identical characters as
// 'c' <repeats N times>, joined by ", ".
func writeChars(sb *strings.Builder, text []byte) {
	inQuote := false
	first := true
	for i := 0; i < len(text); {
		reps := 1
		for i+reps < len(text) && text[i+reps] == text[i] {
			reps++
		}
		if reps > repeatThreshold {
			if inQuote {
				sb.WriteString(`", `)
				inQuote = false
			} else if !first {
				sb.WriteString(", ")
			}
			sb.WriteString("'")
			writeChar(sb, text[i], '\'')
			fmt.Fprintf(sb, "' <repeats %d times>", reps)
			i += reps
			first = false
			continue
		}
		if !inQuote {
			if !first {
				sb.WriteString(", ")
			}
			sb.WriteString(`"`)
			inQuote = true
		}
		for j := 0; j < reps; j++ {
			writeChar(sb, text[i], '"')
		}
		i += reps
		first = false
	}
	if inQuote {
		sb.WriteString(`"`)
	}
}

// writeChar writes one character as gdb does inside quote q: printable
// ASCII as itself, the C escapes, octal for the rest.
func writeChar(sb *strings.Builder, c byte, q byte) {
	switch c {
	case '\\':
		sb.WriteString(`\\`)
	case q:
		sb.WriteString(`\` + string(q))
	case '\a':
		sb.WriteString(`\a`)
	case '\b':
		sb.WriteString(`\b`)
	case '\f':
		sb.WriteString(`\f`)
	case '\n':
		sb.WriteString(`\n`)
	case '\r':
		sb.WriteString(`\r`)
	case '\t':
		sb.WriteString(`\t`)
	case '\v':
		sb.WriteString(`\v`)
	default:
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(sb, `\%03o`, c)
		}
	}
}
