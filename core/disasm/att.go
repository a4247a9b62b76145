package disasm

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// attText renders in as objdump -d (binutils 2.40) does. x86asm's
// GNUSyntax follows an older objdump; the differences are mended here:
// explicit zero displacements and scale factors, immediates printed
// unsigned in the operand's size, mnemonics binutils renamed or lost the
// suffix of, and prefixes printed as words.
func attText(in x86asm.Inst, l layout, code []byte, pc uint64) string {
	text := x86asm.GNUSyntax(in, pc, nil)
	words, ops := splitMnemonic(text)
	var args []string
	if ops != "" {
		args = splitOperands(ops)
	}
	for i, a := range args {
		args[i] = fixOperand(a, in, l)
	}
	words, args = fixMnemonic(words, in, l, code, args)
	return join(words, args)
}

// layout is how an instruction's bytes are laid out, as far as the
// mending of GNUSyntax's text needs it.
type layout struct {
	legacy  []byte // the legacy prefixes, in order
	vex     int    // bytes of VEX (2, 3) or EVEX (4) prefix, or 0
	op      int    // index of the (last) opcode byte
	opcode  byte   // that byte (0 if the bytes end before it)
	mem     bool   // a ModRM memory operand follows the opcode
	dispLen int    // its displacement's bytes: 0, 1 or 4
	ripRel  bool   // it is rip-relative
}

// layoutOf reads the prefixes, opcode and ModRM byte of code, whose
// decoding is in.
func layoutOf(in x86asm.Inst, code []byte) layout {
	var l layout
	i := 0
	for ; i < len(code); i++ {
		switch code[i] {
		case 0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x66, 0x67:
			l.legacy = append(l.legacy, code[i])
			continue
		}
		break
	}
	if i < len(code) && code[i]&0xF0 == 0x40 {
		i++
	}
	if i >= len(code) {
		return l
	}
	modrmFollows := true
	switch code[i] {
	case 0xC5:
		l.vex = 2
	case 0xC4:
		l.vex = 3
	case 0x62:
		l.vex = 4
	case 0x0F:
		if i+1 < len(code) && (code[i+1] == 0x38 || code[i+1] == 0x3A) {
			i += 2
		} else {
			i++
		}
	default:
		switch op := code[i]; {
		case op >= 0xA0 && op <= 0xA7, op >= 0xAA && op <= 0xAF, op >= 0x6C && op <= 0x6F, op == 0xD7:
			modrmFollows = false // moffs, string operations, xlat
		}
	}
	i += l.vex
	l.op = i
	if i < len(code) {
		l.opcode = code[i]
	}
	i++
	hasMem := false
	for _, a := range in.Args {
		if _, ok := a.(x86asm.Mem); ok {
			hasMem = true
		}
	}
	if !hasMem || !modrmFollows || i >= len(code) {
		return l
	}
	b := code[i]
	mod, rm := b>>6, b&7
	if mod == 3 {
		return l
	}
	l.mem = true
	switch mod {
	case 1:
		l.dispLen = 1
	case 2:
		l.dispLen = 4
	case 0:
		if rm == 5 {
			l.dispLen, l.ripRel = 4, true
		} else if rm == 4 && i+1 < len(code) && code[i+1]&7 == 5 {
			l.dispLen = 4
		}
	}
	return l
}

// fixOperand mends one operand of GNUSyntax's text.
func fixOperand(a string, in x86asm.Inst, m layout) string {
	// x86asm reads a VEX byte that looks like a segment prefix as one.
	if m.vex > 0 {
		for seg, b := range segBytes {
			if strings.HasPrefix(a, seg) && !slices.Contains(m.legacy, b) {
				a = a[len(seg):]
			}
		}
	}
	switch {
	case strings.HasPrefix(a, "$"):
		return fixImm(a, in)
	case strings.HasSuffix(a, ")") && strings.Contains(a, "("):
		return fixMem(a, m)
	case a == "" || strings.HasSuffix(a, ":"):
		return a + "0x0" // an absolute address 0: GNUSyntax prints nothing
	case strings.Contains(a, ":-0x") && !strings.Contains(a, "("):
		// An absolute address is unsigned: %fs:0xfffffffffffffff8.
		i := strings.Index(a, ":-0x") + 1
		var v int64
		if _, err := fmt.Sscanf(a[i:], "%v", &v); err == nil {
			return fmt.Sprintf("%s%#x", a[:i], uint64(v))
		}
	case m.ripRel && isHex(a):
		return a + "(%rip)" // GNUSyntax drops it from VEX and EVEX operands
	case a == "%st" && in.Args[1] == nil:
		return "%st(0)" // alone it is st(0); beside another operand, %st
	}
	if i := strings.Index(a, " {"); i >= 0 {
		return strings.ReplaceAll(a, " {", "{") // masks: %zmm1{%k1}{z}
	}
	return a
}

// fixMem writes a memory operand as objdump does: "(%r12,%riz)" is
// "(%r12)", a scale of 1 is written, and an encoded displacement of 0 is
// "0x0".
func fixMem(a string, m layout) string {
	if star, ok := strings.CutPrefix(a, "*"); ok { // an indirect jump's or call's
		return "*" + fixMem(star, m)
	}
	open := strings.LastIndexByte(a, '(')
	pre, inner := a[:open], a[open+1:len(a)-1]
	parts := strings.Split(inner, ",")
	if len(parts) == 2 && (parts[1] == "%riz" || parts[1] == "%eiz") && parts[0] != "" {
		parts = parts[:1]
	}
	if len(parts) == 2 {
		parts = append(parts, "1")
	}
	seg := ""
	if i := strings.LastIndexByte(pre, ':'); i >= 0 {
		seg, pre = pre[:i+1], pre[i+1:]
	}
	if pre == "" && m.mem && m.dispLen > 0 && parts[0] != "%rip" {
		pre = "0x0"
	}
	return seg + pre + "(" + strings.Join(parts, ",") + ")"
}

// fixImm prints a negative immediate as objdump does: unsigned, in the
// size of the operation.
func fixImm(a string, in x86asm.Inst) string {
	if !strings.HasPrefix(a, "$-0x") {
		return a
	}
	var v int64
	if _, err := fmt.Sscanf(a[1:], "%v", &v); err != nil {
		return a
	}
	bits := immBits(in)
	if bits == 0 {
		return a
	}
	u := uint64(v)
	if bits < 64 {
		u &= 1<<bits - 1
	}
	return fmt.Sprintf("$%#x", u)
}

// immBits is the size of the operation an immediate takes part in: that
// of its register or memory operand, else the operand size; 0 when
// objdump prints it signed (enter, ret and the like take no negatives).
func immBits(in x86asm.Inst) int {
	for _, a := range in.Args {
		switch a := a.(type) {
		case x86asm.Reg:
			if n := regBits(a); n != 0 {
				return n
			}
		case x86asm.Mem:
			if in.MemBytes > 0 && in.MemBytes <= 8 {
				return in.MemBytes * 8
			}
		}
	}
	if in.Op == x86asm.PUSH {
		return 64
	}
	return in.DataSize
}

func regBits(r x86asm.Reg) int {
	switch {
	case r >= x86asm.AL && r <= x86asm.R15B:
		return 8
	case r >= x86asm.AX && r <= x86asm.R15W:
		return 16
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return 32
	case r >= x86asm.RAX && r <= x86asm.R15:
		return 64
	}
	return 0
}

// renamed are mnemonics binutils spells differently from GNUSyntax.
var renamed = map[string]string{
	"callq": "call", "jmpq": "jmp", "retq": "ret", "pushq": "push", "popq": "pop", "xbeginq": "xbegin",
	"pushfq": "pushf", "popfq": "popf", "leaveq": "leave", "lretq": "lret",
	"cdqe": "cltq", "cdq": "cltd", "cqo": "cqto", "cwde": "cwtl", "cbw": "cbtw", "cwd": "cwtd",
}

// suffixless are the BMI instructions whose size objdump does not spell.
var suffixless = map[x86asm.Op]bool{
	x86asm.ANDN: true, x86asm.BEXTR: true, x86asm.BLSI: true, x86asm.BLSMSK: true, x86asm.BLSR: true,
	x86asm.BZHI: true, x86asm.MULX: true, x86asm.PDEP: true, x86asm.PEXT: true, x86asm.RORX: true,
	x86asm.SARX: true, x86asm.SHLX: true, x86asm.SHRX: true,
}

// pclmulNames are the names objdump gives (v)pclmulqdq by the halves its
// immediate multiplies: pclmullqhqdq.
var pclmulNames = map[string]string{"0x0": "lqlq", "0x1": "hqlq", "0x10": "lqhq", "0x11": "hqhq"}

// cmpPredicates are the names objdump gives SSE compares: cmpnltsd.
var cmpPredicates = []string{"eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"}

// vpcmpPredicates are the names objdump gives vpcmp's comparisons.
var vpcmpPredicates = map[string]string{"$0x0": "eq", "$0x1": "lt", "$0x2": "le", "$0x4": "neq", "$0x5": "nlt", "$0x6": "nle"}

// segWords are the segment prefixes that mean nothing in 64-bit mode:
// objdump prints them as words before the mnemonic.
var segWords = map[string]string{"%cs:": "cs", "%ds:": "ds", "%es:": "es", "%ss:": "ss"}

var segPrefix = map[string]byte{"cs": 0x2E, "ds": 0x3E, "es": 0x26, "ss": 0x36}

var segBytes = map[string]byte{"%cs:": 0x2E, "%ds:": 0x3E, "%es:": 0x26, "%ss:": 0x36, "%fs:": 0x64, "%gs:": 0x65}

// fixMnemonic mends the words before the operands.
func fixMnemonic(words []string, in x86asm.Inst, l layout, code []byte, args []string) ([]string, []string) {
	for i, w := range words {
		if r, ok := renamed[w]; ok {
			words[i] = r
		}
	}
	if len(words) == 0 {
		return words, args
	}
	last := len(words) - 1
	mn := words[last]
	switch {
	case mn == "movsxd" && in.DataSize == 64:
		words[last] = "movslq"
	case mn == "mov" && len(args) == 2 && strings.HasPrefix(args[0], "$") && in.DataSize == 64 && in.Len >= 10:
		words[last] = "movabs" // B8+r with a 64-bit immediate
	case suffixless[in.Op]:
		words[last] = strings.ToLower(in.Op.String())
	case (mn == "pclmulqdq" || mn == "vpclmulqdq") && len(args) >= 3:
		if q, ok := pclmulNames[strings.TrimPrefix(args[0], "$")]; ok {
			words[last] = strings.TrimSuffix(mn, "qdq") + q + "dq"
			args = args[1:]
		}
	case strings.HasPrefix(mn, "vpcmp") && len(args) == 4:
		if p, ok := vpcmpPredicates[args[0]]; ok {
			words[last] = "vpcmp" + p + mn[len("vpcmp"):]
			args = args[1:]
		}
	}
	if last > 0 {
		switch prev := words[last-1]; {
		case prev == "rep" && words[last] == "ret":
			words[last-1] = "repz"
		case prev == "ds" && len(args) == 1 && strings.HasPrefix(args[0], "*"):
			words[last-1] = "notrack" // 3E before an indirect jump or call
		}
	}
	if len(args) == 2 && args[0] == "%st" && args[1] == "%st" {
		args[0] = "%st(0)"
	}
	// Segment overrides that mean nothing in 64-bit mode are words, but
	// the ones string operations imply stay in their operands.
	for i, a := range args {
		for seg, w := range segWords {
			if strings.HasPrefix(a, seg) && slices.Contains(l.legacy, segPrefix[w]) {
				args[i] = a[len(seg):]
				if w == "ds" && strings.HasPrefix(args[i], "*") {
					w = "notrack" // 3E before an indirect jump or call
				}
				words = append([]string{w}, words...)
			}
		}
	}
	return fixPrefixWords(words, in, l, code, args, "%ax")
}

// fixPrefixWords writes the operand-size prefixes the operation does not
// use as objdump does, as data16 words before the mnemonic, and 66 90 as
// xchg ax,ax (ax is the register's name in the syntax).
func fixPrefixWords(words []string, in x86asm.Inst, l layout, code []byte, args []string, ax string) ([]string, []string) {
	var out []string
	for _, w := range words {
		if w != "data16" && w != "data32" {
			out = append(out, w)
		}
	}
	words = out
	if len(words) == 0 {
		return words, args
	}
	if in.Op == x86asm.NOP && l.opcode == 0x90 && l.vex == 0 && slices.Contains(l.legacy, 0x66) {
		words[len(words)-1], args = "xchg", []string{ax, ax} // 66 90
	}
	// Operand-size prefixes the operation does not use are data16.
	n66 := 0
	for _, p := range l.legacy {
		if p == 0x66 {
			n66++
		}
	}
	if n66 > 0 && (in.DataSize == 16 || l.vex == 0 && usesMandatory66(in)) {
		n66--
	}
	for ; n66 > 0; n66-- {
		words = append([]string{"data16"}, words...)
	}
	return words, args
}

// usesMandatory66 says whether a 66 prefix selects the SSE form of in
// (66 0F 6F is movdqa) rather than a 16-bit operand size.
func usesMandatory66(in x86asm.Inst) bool {
	for _, a := range in.Args {
		if r, ok := a.(x86asm.Reg); ok && r >= x86asm.X0 && r <= x86asm.X15 {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	if !strings.HasPrefix(s, "0x") || len(s) == 2 {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
