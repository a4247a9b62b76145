package emu

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// The arithmetic flags of rflags. Emulate changes no other bit.
const (
	flagCF = 1 << 0
	flagPF = 1 << 2
	flagAF = 1 << 4
	flagZF = 1 << 6
	flagSF = 1 << 7
	flagOF = 1 << 11

	flagsArith = flagCF | flagPF | flagAF | flagZF | flagSF | flagOF
)

// signBit returns the sign bit of an operand of size bytes.
func signBit(size int) uint64 { return 1 << (8*uint(size) - 1) }

// resultFlags returns SF, ZF and PF for the result r (already masked to size bytes).
// PF reflects the low byte only.
func resultFlags(r uint64, size int) uint64 {
	var f uint64
	if r&signBit(size) != 0 {
		f |= flagSF
	}
	if r == 0 {
		f |= flagZF
	}
	if bits.OnesCount8(uint8(r))%2 == 0 {
		f |= flagPF
	}
	return f
}

// add returns a + b + carry (carry is 0 or 1) in size bytes, and the arithmetic flags
// as add and adc set them.
func add(a, b, carry uint64, size int) (r, f uint64) {
	m := mask(size)
	a, b = a&m, b&m
	sum, c := bits.Add64(a, b, carry)
	if size < 8 {
		c = sum >> (8 * uint(size)) & 1
	}
	r = sum & m
	f = resultFlags(r, size)
	if c != 0 {
		f |= flagCF
	}
	if (a^r)&(b^r)&signBit(size) != 0 {
		f |= flagOF
	}
	if (a^b^r)&0x10 != 0 {
		f |= flagAF
	}
	return r, f
}

// sub returns a - b - borrow (borrow is 0 or 1) in size bytes, and the arithmetic
// flags as sub, sbb and cmp set them.
func sub(a, b, borrow uint64, size int) (r, f uint64) {
	m := mask(size)
	a, b = a&m, b&m
	diff, c := bits.Sub64(a, b, borrow)
	if size < 8 {
		// A negative difference of two size-byte values sets every bit above them.
		c = diff >> (8 * uint(size)) & 1
	}
	r = diff & m
	f = resultFlags(r, size)
	if c != 0 {
		f |= flagCF
	}
	if (a^b)&(a^r)&signBit(size) != 0 {
		f |= flagOF
	}
	if (a^b^r)&0x10 != 0 {
		f |= flagAF
	}
	return r, f
}

// logic returns the arithmetic flags as and, or, xor and test set them for result r.
// CF and OF are cleared. The manuals leave AF undefined; CPUs clear it, and so do we.
func logic(r uint64, size int) uint64 {
	return resultFlags(r&mask(size), size)
}

// condition reports whether the condition of the conditional jump op holds for
// rflags f. ok is false if op is not a conditional jump Emulate knows.
func condition(op x86asm.Op, f uint64) (taken, ok bool) {
	cf := f&flagCF != 0
	pf := f&flagPF != 0
	zf := f&flagZF != 0
	sf := f&flagSF != 0
	of := f&flagOF != 0
	switch op {
	case x86asm.JO:
		return of, true
	case x86asm.JNO:
		return !of, true
	case x86asm.JB:
		return cf, true
	case x86asm.JAE:
		return !cf, true
	case x86asm.JE:
		return zf, true
	case x86asm.JNE:
		return !zf, true
	case x86asm.JBE:
		return cf || zf, true
	case x86asm.JA:
		return !cf && !zf, true
	case x86asm.JS:
		return sf, true
	case x86asm.JNS:
		return !sf, true
	case x86asm.JP:
		return pf, true
	case x86asm.JNP:
		return !pf, true
	case x86asm.JL:
		return sf != of, true
	case x86asm.JGE:
		return sf == of, true
	case x86asm.JLE:
		return zf || sf != of, true
	case x86asm.JG:
		return !zf && sf == of, true
	}
	return false, false
}
