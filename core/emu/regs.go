package emu

import "golang.org/x/arch/x86/x86asm"

// state is the part of a thread's registers that emulated instructions read and write.
// gpr is in encoding order: rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, ..., r15.
type state struct {
	gpr    [16]uint64
	rip    uint64
	flags  uint64
	fsBase uint64
	gsBase uint64
}

const rsp = 4 // index of rsp in state.gpr

// A gpr locates a general register operand in state.gpr.
type gpr struct {
	idx  int  // index in state.gpr
	size int  // operand size in bytes: 1, 2, 4 or 8
	high bool // ah, ch, dh or bh: bits 8 to 15 of gpr idx
}

// gprOf locates x86asm's register r, reporting false for anything that is not a
// general register (segment, control, vector, rip, ...).
func gprOf(r x86asm.Reg) (gpr, bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return gpr{idx: int(r - x86asm.AL), size: 1}, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return gpr{idx: int(r - x86asm.AH), size: 1, high: true}, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return gpr{idx: 4 + int(r-x86asm.SPB), size: 1}, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return gpr{idx: int(r - x86asm.AX), size: 2}, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return gpr{idx: int(r - x86asm.EAX), size: 4}, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return gpr{idx: int(r - x86asm.RAX), size: 8}, true
	}
	return gpr{}, false
}

// get reads register g.
func (s *state) get(g gpr) uint64 {
	v := s.gpr[g.idx]
	if g.high {
		return v >> 8 & 0xff
	}
	return v & mask(g.size)
}

// set writes v to register g as the CPU does: 32-bit writes clear the upper half,
// 8- and 16-bit writes leave the other bits alone.
func (s *state) set(g gpr, v uint64) {
	p := &s.gpr[g.idx]
	switch {
	case g.high:
		*p = *p&^0xff00 | (v&0xff)<<8
	case g.size == 4:
		*p = v & 0xffffffff
	case g.size == 8:
		*p = v
	default:
		*p = *p&^mask(g.size) | v&mask(g.size)
	}
}

// mask returns the mask of an operand of size bytes.
func mask(size int) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*uint(size)) - 1
}

// signExtend sign-extends the low size bytes of v to 64 bits.
func signExtend(v uint64, size int) uint64 {
	shift := 64 - 8*uint(size)
	return uint64(int64(v<<shift) >> shift)
}
