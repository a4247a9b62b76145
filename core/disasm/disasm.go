package disasm

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Syntax is an assembler syntax.
type Syntax uint8

const (
	Intel Syntax = iota // Intel syntax, as objdump -M intel prints it
	ATT                 // AT&T syntax, as objdump -d prints it
)

func (s Syntax) String() string {
	if s == ATT {
		return "att"
	}
	return "intel"
}

// ParseSyntax reads "intel" or "att".
func ParseSyntax(s string) (Syntax, bool) {
	switch s {
	case "intel":
		return Intel, true
	case "att":
		return ATT, true
	}
	return 0, false
}

// A Symbolizer names a runtime address: the function or object covering it
// and the address's offset in it, or ok false.
type Symbolizer func(addr uint64) (name string, offset uint64, ok bool)

// An Inst is one decoded instruction.
type Inst struct {
	Addr  uint64
	Len   int    // bytes it occupies: 1 for an undecodable byte
	Bytes []byte // its encoding
	Text  string // "call 0x401136 <hot>"; "(bad)" when it does not decode
	// Target is the address a relative branch or call goes to, or the
	// address a rip-relative operand refers to; HasTarget says there is one.
	Target    uint64
	HasTarget bool
	Bad       bool // the bytes do not decode: Text is "(bad)", Len 1
}

// MaxLen is the longest x86-64 instruction: the most bytes Decode reads.
const MaxLen = 15

// Decode decodes the instruction at the start of code, which sits at
// address addr, and renders it in syntax syn. sym names the targets of
// branches and rip-relative operands; it may be nil. Bytes that do not
// decode give an Inst of length 1 with Bad set, as objdump's "(bad)"
// (length 0 when code is empty).
func Decode(code []byte, addr uint64, syn Syntax, sym Symbolizer) Inst {
	if len(code) == 0 {
		return Inst{Addr: addr, Text: "(bad)", Bad: true}
	}
	if len(code) > MaxLen {
		code = code[:MaxLen]
	}
	if text, n := unknown(code); n > 0 {
		return Inst{Addr: addr, Len: n, Bytes: append([]byte(nil), code[:n]...), Text: text}
	}
	if sub, name, ok := adcx(code); ok {
		return decodeAs(sub, code, addr, syn, name)
	}
	in, err := x86asm.Decode(code, 64)
	if err != nil || in.Len == 0 || in.Op == 0 {
		return bad(code, addr)
	}
	l := layoutOf(in, code)
	if in.Op == x86asm.VZEROUPPER || in.Op == x86asm.VZEROALL {
		in.Len = l.op + 1 // x86asm takes a ModRM byte they do not have
	}
	out := Inst{Addr: addr, Len: in.Len, Bytes: append([]byte(nil), code[:in.Len]...)}
	out.Target, out.HasTarget = target(in, addr)
	if !out.HasTarget && l.ripRel {
		for _, a := range in.Args {
			if m, ok := a.(x86asm.Mem); ok {
				out.Target, out.HasTarget = addr+uint64(in.Len)+uint64(m.Disp), true
			}
		}
	}
	var text string
	if syn == ATT {
		text = attText(in, l, code[:in.Len], addr)
	} else {
		text = intelText(in, l, code[:in.Len], addr)
	}
	out.Text = annotate(text, in, out, sym)
	return out
}

// DecodeAll decodes instructions from the start of code, which sits at
// addr, until code ends or count instructions are decoded (count < 0: no
// limit). An instruction that would run past the end of code is left out.
func DecodeAll(code []byte, addr uint64, count int, syn Syntax, sym Symbolizer) []Inst {
	var out []Inst
	for off := 0; off < len(code) && (count < 0 || len(out) < count); {
		in := Decode(code[off:], addr+uint64(off), syn, sym)
		if in.Bad && len(code)-off < MaxLen {
			// Bad, or cut short? Bytes after the end may complete it.
			padded := append(append([]byte(nil), code[off:]...), make([]byte, MaxLen)...)
			if whole := Decode(padded, addr+uint64(off), syn, sym); !whole.Bad && whole.Len > len(code)-off {
				break
			}
		}
		out = append(out, in)
		off += in.Len
	}
	return out
}

// target returns where a relative branch goes or what a rip-relative
// operand addresses.
func target(in x86asm.Inst, pc uint64) (uint64, bool) {
	next := pc + uint64(in.Len)
	for _, a := range in.Args {
		switch a := a.(type) {
		case x86asm.Rel:
			return next + uint64(int64(a)), true
		case x86asm.Mem:
			if a.Base == x86asm.RIP {
				return next + uint64(a.Disp), true
			}
		}
	}
	return 0, false
}

// isBranch says whether the instruction's target is where it jumps.
func isBranch(in x86asm.Inst) bool {
	for _, a := range in.Args {
		if _, ok := a.(x86asm.Rel); ok {
			return true
		}
	}
	return false
}

// annotate names the target as objdump does: a branch's operand becomes
// "0x401136 <hot>", a rip-relative operand gets "# 0x404028 <count>".
func annotate(text string, in x86asm.Inst, out Inst, sym Symbolizer) string {
	if !out.HasTarget {
		return text
	}
	name := ""
	if sym != nil {
		if s, off, ok := sym(out.Target); ok {
			name = " <" + s + ">"
			if off != 0 {
				name = fmt.Sprintf(" <%s+%#x>", s, off)
			}
		}
	}
	if isBranch(in) {
		return text + name
	}
	return fmt.Sprintf("%s  # %#x%s", text, out.Target, name)
}

// splitOperands splits an operand list at its top-level commas.
func splitOperands(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// splitMnemonic splits "lock add %eax,(%rdx)" into its words before the
// operands ("lock add") and the operands.
func splitMnemonic(text string) (words []string, ops string) {
	fields := strings.SplitN(text, " ", -1)
	for i, f := range fields {
		if strings.ContainsAny(f, "%$(,:*") || f != "" && (f[0] >= '0' && f[0] <= '9' || f[0] == '-') {
			return fields[:i], strings.Join(fields[i:], " ")
		}
	}
	return fields, ""
}

// bad is the "(bad)" objdump prints for bytes that do not decode: one
// byte, or a VEX prefix and the opcode it could not make sense of.
func bad(code []byte, addr uint64) Inst {
	n := 1
	switch {
	case code[0] == 0xC5 && len(code) >= 3:
		n = 3
	case code[0] == 0xC4 && len(code) >= 4:
		n = 4
	}
	return Inst{Addr: addr, Len: n, Bytes: append([]byte(nil), code[:n]...), Text: "(bad)", Bad: true}
}

// adcx recognizes adcx (66 0F 38 F6) and adox (F3 0F 38 F6), which x86asm
// does not know, and returns the encoding of crc32 (F2 0F 38 F1) with the
// same operands and length, which it knows.
func adcx(code []byte) (sub []byte, name string, ok bool) {
	i, pre := 0, byte(0)
	for i < len(code) && (code[i] == 0x66 || code[i] == 0xF3) {
		pre, i = code[i], i+1
	}
	if pre == 0 {
		return nil, "", false
	}
	if i < len(code) && code[i]&0xF0 == 0x40 {
		i++
	}
	if i+3 > len(code) || code[i] != 0x0F || code[i+1] != 0x38 || code[i+2] != 0xF6 {
		return nil, "", false
	}
	sub = append([]byte{0xF2}, code[1:]...)
	sub[i+2] = 0xF1
	if pre == 0x66 {
		return sub, "adcx", true
	}
	return sub, "adox", true
}

// decodeAs decodes sub, a stand-in for code of the same length and
// operands, and names the instruction name.
func decodeAs(sub, code []byte, addr uint64, syn Syntax, name string) Inst {
	in := Decode(sub, addr, syn, nil)
	if in.Bad || len(code) < in.Len {
		return bad(code, addr)
	}
	in.Bytes = append([]byte(nil), code[:in.Len]...)
	if _, ops, ok := strings.Cut(in.Text, " "); ok {
		in.Text = name + " " + ops
	}
	return in
}

// unknowns are instructions x86asm does not decode, by their bytes.
var unknowns = []struct {
	code string
	text string
}{
	{"\xf3\x0f\x1e\xfa", "endbr64"}, // x86asm: only at times, and never before a REX prefix
	{"\xf3\x0f\x1e\xfb", "endbr32"},
	{"\x0f\x01\xee", "rdpkru"},
	{"\x0f\x01\xef", "wrpkru"},
}

// unknown renders the instructions x86asm does not know.
func unknown(code []byte) (string, int) {
	for _, u := range unknowns {
		if strings.HasPrefix(string(code), u.code) {
			return u.text, len(u.code)
		}
	}
	return "", 0
}

// join writes the words before the operands, then the operands separated
// by commas, as objdump does.
func join(words, args []string) string {
	s := strings.Join(words, " ")
	if len(args) > 0 && s != "" {
		s += " "
	}
	return s + strings.Join(args, ",")
}
