package disasm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// intelNames are the mnemonics objdump -M intel spells otherwise than
// x86asm's IntelSyntax.
var intelNames = map[string]string{
	"jnb": "jae", "jnbe": "ja", "jnl": "jge", "jnz": "jne", "jnle": "jg", "jz": "je",
	"setnb": "setae", "setnbe": "seta", "setnl": "setge", "setnz": "setne", "setnle": "setg", "setz": "sete",
	"cmovnb": "cmovae", "cmovnbe": "cmova", "cmovnl": "cmovge", "cmovnz": "cmovne", "cmovnle": "cmovg", "cmovz": "cmove",
	"pushfq": "pushf", "popfq": "popf",
}

// intelText renders in in Intel syntax, as objdump -M intel does for the
// common cases: memory operands are written from the decoding (size,
// segment, [base+index*scale+disp]); the mnemonic and the other operands
// are x86asm's, mended as for AT&T.
func intelText(in x86asm.Inst, l layout, code []byte, pc uint64) string {
	text := x86asm.IntelSyntax(in, pc, nil)
	if st, ok := intelStringOp(in); ok {
		return st
	}
	words, ops := splitIntel(text)
	var args []string
	if ops != "" {
		args = strings.Split(ops, ", ")
	}
	for i, a := range args {
		if strings.Contains(a, "[") {
			size := ""
			if f := strings.Fields(a); len(f) > 1 && f[1] == "ptr" {
				size = strings.ToUpper(f[0])
			}
			if size == "" && l.vex == 0 && l.opcode >= 0xD8 && l.opcode <= 0xDF {
				size = x87Sizes[in.MemBytes]
				if in.MemBytes == 0 && (in.Op == x86asm.FLD || in.Op == x86asm.FSTP) {
					size = "TBYTE" // m80
				}
			}
			switch in.Op {
			case x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW:
				size = "BYTE"
			}
			for _, m := range in.Args {
				if mem, ok := m.(x86asm.Mem); ok {
					a = intelMem(in, mem, l, size)
				}
			}
		}
		if strings.HasPrefix(a, "-0x") {
			a = fixImm("$"+a, in)[1:]
		}
		a = strings.ReplaceAll(a, " {", "{")
		args[i] = a
	}
	switch l.opcode {
	case 0xD0, 0xD1: // shifts by 1
		if l.vex == 0 && len(args) == 2 {
			args[1] = "1"
		}
	}
	switch mn, n := words[len(words)-1], len(args); {
	case (mn == "pclmulqdq" || mn == "vpclmulqdq") && n >= 3:
		if q, ok := pclmulNames[args[n-1]]; ok {
			words[len(words)-1] = strings.TrimSuffix(mn, "qdq") + q + "dq"
			args = args[:n-1]
		}
	case (mn == "cmpsd_xmm" || mn == "cmpss" || mn == "cmppd" || mn == "cmpps") && n == 3:
		if v, err := strconv.ParseUint(args[2], 0, 8); err == nil && v < 8 {
			words[len(words)-1] = "cmp" + cmpPredicates[v] + mn[3:5]
			args = args[:2]
		}
	case mn == "far" && len(words) > 1 && words[len(words)-2] == "ret":
		words = append(words[:len(words)-2], "retf")
	}
	if n := len(args); n == 4 && strings.HasPrefix(words[len(words)-1], "vpcmp") {
		if p, ok := vpcmpPredicates["$"+args[3]]; ok {
			mn := words[len(words)-1]
			words[len(words)-1] = "vpcmp" + p + mn[len("vpcmp"):]
			args = args[:3]
		}
	}
	if _, reg := in.Args[0].(x86asm.Reg); in.Op == x86asm.MOV && reg && in.DataSize == 64 && in.Len >= 10 {
		words[len(words)-1] = "movabs"
	}
	if l.vex == 0 && l.opcode >= 0xD8 && l.opcode <= 0xDF {
		args = intelX87(in, code[min(l.op, len(code)):], args)
	}
	if in.Op == x86asm.RET && slices.Contains(l.legacy, 0xF3) && words[0] == "ret" {
		words = append([]string{"repz"}, words...)
	}
	if in.Op == x86asm.NOP && len(args) == 2 {
		args = args[:1] // x86asm adds the ModRM's register
	}
	for i, w := range words {
		if r, ok := intelNames[w]; ok {
			words[i] = r
		}
	}
	if !stringOp(l.opcode) || l.vex > 0 {
		for _, b := range l.legacy {
			for w, sb := range segPrefix {
				if b == sb && !slices.Contains(words, w) {
					words = append([]string{w}, words...)
				}
			}
		}
	}
	words, args = fixPrefixWords(words, in, l, code, args, "ax")
	return join(words, args)
}

// splitIntel splits IntelSyntax's text into its prefix words and
// mnemonic, and its operands (separated by ", ").
func splitIntel(text string) ([]string, string) {
	fields := strings.Split(text, " ")
	i := 0
	for i < len(fields)-1 && prefixWords[fields[i]] {
		i++
	}
	i++ // the mnemonic
	if i < len(fields) && fields[i] == "far" {
		i++
	}
	return fields[:i], strings.Join(fields[i:], " ")
}

// prefixWords are the words that may come before a mnemonic.
var prefixWords = map[string]bool{
	"lock": true, "rep": true, "repe": true, "repz": true, "repne": true, "repnz": true, "data16": true,
	"data32": true, "addr32": true, "cs": true, "ds": true, "es": true, "ss": true, "fs": true, "gs": true,
	"bnd": true, "notrack": true, "xacquire": true, "xrelease": true, "rex": true, "rex.w": true,
}

// intelMem writes a memory operand as objdump -M intel does.
func intelMem(in x86asm.Inst, m x86asm.Mem, l layout, size string) string {
	var b strings.Builder
	if size != "" && in.Op != x86asm.LEA {
		b.WriteString(size + " PTR ")
	}
	switch m.Segment {
	case x86asm.FS, x86asm.GS:
		b.WriteString(strings.ToLower(m.Segment.String()) + ":")
	}
	if m.Base == 0 && m.Index == 0 && !l.ripRel {
		if m.Segment != x86asm.FS && m.Segment != x86asm.GS {
			b.WriteString("ds:")
		}
		fmt.Fprintf(&b, "%#x", uint64(m.Disp))
		return b.String()
	}
	b.WriteString("[")
	sep := ""
	switch {
	case l.ripRel || m.Base == x86asm.RIP:
		fmt.Fprintf(&b, "rip+%#x]", uint64(m.Disp)) // objdump: unsigned
		return b.String()
	case m.Base != 0:
		b.WriteString(strings.ToLower(m.Base.String()))
		sep = "+"
	}
	if m.Index != 0 {
		fmt.Fprintf(&b, "%s%s*%d", sep, strings.ToLower(m.Index.String()), m.Scale)
		sep = "+"
	}
	switch {
	case m.Disp < 0:
		fmt.Fprintf(&b, "-%#x", uint64(-m.Disp))
	case m.Disp > 0 || l.dispLen > 0:
		fmt.Fprintf(&b, "%s%#x", sep, uint64(m.Disp))
	}
	b.WriteString("]")
	return b.String()
}

// stringOp says whether a one-byte opcode is a string operation, whose
// segment is implied.
func stringOp(op byte) bool {
	return op >= 0xA4 && op <= 0xA7 || op >= 0xAA && op <= 0xAF || op >= 0x6C && op <= 0x6F
}

// intelStringOp writes a string operation with its operands, as objdump
// does: "rep stos QWORD PTR es:[rdi],rax".
func intelStringOp(in x86asm.Inst) (string, bool) {
	name := strings.ToLower(in.Op.String())
	if len(name) != 5 {
		return "", false
	}
	base, width := name[:4], name[4]
	size, reg := map[byte]string{'b': "BYTE", 'w': "WORD", 'd': "DWORD", 'q': "QWORD"}[width], map[byte]string{'b': "al", 'w': "ax", 'd': "eax", 'q': "rax"}[width]
	if size == "" {
		return "", false
	}
	dst, src := size+" PTR es:[rdi]", size+" PTR ds:[rsi]"
	var ops string
	switch base {
	case "stos":
		ops = dst + "," + reg
	case "movs":
		ops = dst + "," + src
	case "lods":
		ops = reg + "," + src
	case "scas":
		ops = reg + "," + dst
	case "cmps":
		ops = src + "," + dst
	default:
		return "", false
	}
	if in.Op == x86asm.MOVSD_XMM || in.Op == x86asm.CMPSD_XMM {
		return "", false
	}
	var pre []string
	for _, p := range in.Prefix {
		switch p &^ (x86asm.PrefixImplicit | x86asm.PrefixIgnored) {
		case x86asm.PrefixREP:
			pre = append(pre, "rep")
		case x86asm.PrefixREPN:
			pre = append(pre, "repnz")
		}
	}
	if base == "scas" || base == "cmps" {
		for i, p := range pre {
			if p == "rep" {
				pre[i] = "repz"
			}
		}
	}
	return strings.Join(append(pre, base+" "+ops), " "), true
}

var x87Sizes = map[int]string{2: "WORD", 4: "DWORD", 8: "QWORD", 10: "TBYTE"}

// x87One are the x87 operations objdump writes with one register operand,
// the implicit st(0) left out.
var x87One = map[x86asm.Op]bool{
	x86asm.FLD: true, x86asm.FST: true, x86asm.FSTP: true, x86asm.FXCH: true, x86asm.FUCOM: true,
	x86asm.FUCOMP: true, x86asm.FCOM: true, x86asm.FCOMP: true, x86asm.FFREE: true, x86asm.FFREEP: true,
}

// intelX87 writes x87 operands as objdump does: st(1) for st1, st for an
// explicit st0, and no st0 where the operation implies it.
func intelX87(in x86asm.Inst, code []byte, args []string) []string {
	if len(code) > 1 && code[0] == 0xD9 && code[1] >= 0xE0 {
		return nil // fchs, fabs, fld1, fsqrt...: no operands
	}
	var out []string
	mem := false
	for _, a := range args {
		if strings.Contains(a, "[") {
			mem = true
		}
	}
	for _, a := range args {
		if a == "st0" && (mem || x87One[in.Op] && len(args) == 2 && len(out) == 0 && args[1] != "st0") {
			continue
		}
		if a == "st0" && x87One[in.Op] && len(out) == 1 {
			continue
		}
		out = append(out, a)
	}
	for i, a := range out {
		if len(a) == 3 && strings.HasPrefix(a, "st") {
			if a == "st0" && !(x87One[in.Op] && len(out) == 1) {
				out[i] = "st"
			} else {
				out[i] = "st(" + a[2:] + ")"
			}
		}
	}
	if len(out) == 2 && out[0] == "st" && out[1] == "st" {
		out[1] = "st(0)"
	}
	return out
}
