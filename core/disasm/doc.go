// Package disasm decodes x86-64 machine code into the text objdump prints,
// in AT&T syntax (objdump -d) or Intel syntax (objdump -M intel), with
// the targets of branches and of rip-relative operands named by a caller's
// symbol lookup: "call 0x401136 <hot>", "lea 0x2ee5(%rip),%rax  # 0x404010 <count>".
//
// It is built on golang.org/x/arch/x86/x86asm, whose GNUSyntax follows an
// older objdump and whose IntelSyntax follows none. The differences from
// binutils 2.40 are mended here from the instruction's bytes (where its
// ModRM byte says a displacement of 0 was encoded, which prefixes are
// present): explicit 0x0 displacements and scale factors of 1, immediates
// printed unsigned in the operation's size, call/ret/push/pop/jmp without
// a q suffix, the BMI shifts without theirs, cltq and the other AT&T
// names of the sign extensions, movabs, vpcmpeqb and the other predicate
// names of AVX-512 compares, masks written {%k1}{z}, the segment
// overrides that mean nothing in 64-bit mode and unused operand-size
// prefixes written as words (cs nopw, data16), notrack, repz ret, x87
// operands, string operations in Intel syntax. x86asm's own mistakes are
// corrected too: endbr64 decoded only at times, vzeroupper's length, VEX
// rip-relative operands without (%rip), a VEX byte taken for a segment
// prefix, an indirect jump's explicit 0x0; rdpkru, wrpkru, adcx and adox
// are decoded here, and (v)pclmulqdq and the SSE compares get objdump's
// predicate names (pclmulhqhqdq, cmpnltsd).
//
// core's TestDisasmMatchesObjdump holds every function of the test targets
// and of libc to objdump -d and -M intel: boundaries and AT&T mnemonics
// equal, and the whole text equal in all but a handful of 2.17 million
// instructions with binutils 2.40 and x86asm v0.33 (two rex.W in Intel
// syntax, below); it asserts 99%. Known differences: AMD's FMA4 and XOP
// instructions (vfmaddsd with four operands, in libm) are "(bad)" of
// length 1, as x86asm does not know them, and so is rdseed; a REX prefix
// the instruction does not use is not shown as objdump's "rex.W" (in the
// bytes Go puts in crypto/internal/boring/sig's marker functions); the
// length of objdump's "(bad)" for other undecodable bytes; some x87 forms
// in Intel syntax; the symbol names (objdump names an address
// after the nearest symbol before it, with its version:
// <abort@@GLIBC_2.2.5+0x53>; a Symbolizer names what covers it).
//
// The package only decodes bytes: reading them from a process, hiding
// breakpoints and finding symbols are the caller's (core.Process.Disasm).
// It handles 64-bit code only.
package disasm
