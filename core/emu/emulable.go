package emu

import "golang.org/x/arch/x86/x86asm"

// emulable reports whether exec can run inst (whose bytes are raw): its operation is one
// exec knows, its prefixes change nothing exec does not model, and its operands are
// general registers, immediates, branch displacements and memory that exec can address.
// The checks are strict on purpose: an instruction wrongly called emulable corrupts the
// target, one wrongly refused only costs a slower step.
func emulable(inst *x86asm.Inst, raw []byte) bool {
	if !prefixesOK(inst) {
		return false
	}
	args := operands(inst)
	for _, a := range args {
		if !operandOK(inst, a) {
			return false
		}
	}
	switch inst.Op {
	case x86asm.NOP:
		// 90 and the long form 0f 1f /0. x86asm calls nothing else NOP today; this
		// keeps it that way for hint NOPs that newer CPUs give meanings to.
		op := raw[opcodeIndex(raw):]
		return op[0] == 0x90 || len(op) >= 2 && op[0] == 0x0f && op[1] == 0x1f
	case x86asm.PAUSE:
		// x86asm decodes f3 41 90 as pause too, but the CPU runs xchg r8d, eax.
		return len(args) == 0 && !hasREXB(inst)
	case x86asm.MOV, x86asm.ADD, x86asm.OR, x86asm.ADC, x86asm.SBB, x86asm.AND,
		x86asm.SUB, x86asm.XOR, x86asm.CMP, x86asm.TEST:
		return len(args) == 2 && isRegOrMem(args[0]) && !(isMem(args[0]) && isMem(args[1])) &&
			sameSize(inst, args[0], args[1])
	case x86asm.INC, x86asm.DEC:
		return len(args) == 1 && isRegOrMem(args[0])
	case x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD:
		if len(args) != 2 || !isReg(args[0]) || !isRegOrMem(args[1]) {
			return false
		}
		return argSize(inst, args[1]) <= argSize(inst, args[0])
	case x86asm.LEA:
		return len(args) == 2 && isReg(args[0]) && isMem(args[1])
	case x86asm.XCHG:
		// With a memory operand xchg is atomic; only the register forms are emulated.
		return len(args) == 2 && isReg(args[0]) && isReg(args[1]) && sameSize(inst, args[0], args[1])
	case x86asm.PUSH:
		if len(args) != 1 || isRel(args[0]) {
			return false
		}
		return isImm(args[0]) || argSize(inst, args[0]) == stackSize(inst)
	case x86asm.POP:
		// pop to memory computes its address after incrementing rsp; not emulated.
		return len(args) == 1 && isReg(args[0]) && argSize(inst, args[0]) == stackSize(inst)
	case x86asm.JMP, x86asm.CALL:
		if len(args) != 1 || !branchOK(inst) {
			return false
		}
		return isRel(args[0]) || argSize(inst, args[0]) == 8
	case x86asm.RET:
		return branchOK(inst) && (len(args) == 0 || len(args) == 1 && isImm(args[0]))
	}
	if _, ok := condition(inst.Op, 0); ok {
		return len(args) == 1 && isRel(args[0]) && branchOK(inst)
	}
	return false
}

// prefixesOK rejects the prefixes that make an instruction something exec does not
// model: lock (atomicity), rep and repne except where they are known to be ignored or
// make the instruction a no-op hint, and VEX or EVEX encodings.
func prefixesOK(inst *x86asm.Inst) bool {
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p.IsVEX() || p.IsEVEX() {
			return false
		}
		switch byte(p) {
		case 0xf0:
			return false
		case 0xf2, 0xf3:
			// bnd (f2) on branches; rep ret; pause (f3 90).
			if !isBranch(inst.Op) && inst.Op != x86asm.PAUSE {
				return false
			}
		}
	}
	return true
}

// branchOK rejects branches with operand-size or address-size prefixes, on which Intel
// and AMD CPUs disagree in 64-bit mode.
func branchOK(inst *x86asm.Inst) bool {
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if b := byte(p); b == 0x66 || b == 0x67 {
			return false
		}
	}
	return inst.DataSize != 16
}

// hasREXB reports whether inst has a REX prefix with the B bit.
func hasREXB(inst *x86asm.Inst) bool {
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p.IsREX() && p&x86asm.PrefixREXB != 0 {
			return true
		}
	}
	return false
}

func isBranch(op x86asm.Op) bool {
	if _, ok := condition(op, 0); ok {
		return true
	}
	return op == x86asm.JMP || op == x86asm.CALL || op == x86asm.RET
}

// operandOK reports whether exec can read and write operand a of inst.
func operandOK(inst *x86asm.Inst, a x86asm.Arg) bool {
	switch a := a.(type) {
	case x86asm.Reg:
		_, ok := gprOf(a)
		return ok
	case x86asm.Imm, x86asm.Rel:
		return true
	case x86asm.Mem:
		if a.Segment != 0 && a.Segment != x86asm.FS && a.Segment != x86asm.GS {
			return false
		}
		switch a.Scale {
		case 0, 1, 2, 4, 8:
		default:
			return false
		}
		if !addrRegOK(inst, a.Base, true) || !addrRegOK(inst, a.Index, false) {
			return false
		}
		switch inst.Op {
		case x86asm.LEA, x86asm.NOP:
			return true // no access
		}
		switch inst.MemBytes {
		case 1, 2, 4, 8:
			return true
		}
	}
	return false
}

// addrRegOK reports whether r can be the base (or index) register of an address of
// inst's address size.
func addrRegOK(inst *x86asm.Inst, r x86asm.Reg, base bool) bool {
	if r == 0 {
		return true
	}
	switch inst.AddrSize {
	case 64:
		if base && r == x86asm.RIP {
			return true
		}
	case 32:
		if base && r == x86asm.EIP {
			return true
		}
	default:
		return false
	}
	g, ok := gprOf(r)
	return ok && !g.high && 8*g.size == inst.AddrSize
}

// operands returns the operands of inst.
func operands(inst *x86asm.Inst) []x86asm.Arg {
	for i, a := range inst.Args {
		if a == nil {
			return inst.Args[:i]
		}
	}
	return inst.Args[:]
}

// argSize returns the size in bytes of a register or memory operand, 0 for others.
func argSize(inst *x86asm.Inst, a x86asm.Arg) int {
	switch a := a.(type) {
	case x86asm.Reg:
		g, _ := gprOf(a)
		return g.size
	case x86asm.Mem:
		return inst.MemBytes
	}
	return 0
}

// sameSize reports whether src can be an operand of dst's size.
func sameSize(inst *x86asm.Inst, dst, src x86asm.Arg) bool {
	if isImm(src) {
		return true
	}
	return argSize(inst, src) == argSize(inst, dst)
}

// stackSize returns the size of the value push and pop move: 8 bytes, or 2 with an
// operand-size prefix.
func stackSize(inst *x86asm.Inst) int {
	if inst.DataSize == 16 {
		return 2
	}
	return 8
}

// opcodeIndex returns the index in raw of the first opcode byte, past the legacy and
// REX prefixes.
func opcodeIndex(raw []byte) int {
	i := 0
	for ; i < len(raw)-1; i++ {
		switch b := raw[i]; {
		case b == 0x66, b == 0x67, b == 0xf0, b == 0xf2, b == 0xf3,
			b == 0x26, b == 0x2e, b == 0x36, b == 0x3e, b == 0x64, b == 0x65,
			b&0xf0 == 0x40:
			continue
		}
		break
	}
	return i
}

func isReg(a x86asm.Arg) bool { _, ok := a.(x86asm.Reg); return ok }
func isMem(a x86asm.Arg) bool { _, ok := a.(x86asm.Mem); return ok }
func isImm(a x86asm.Arg) bool { _, ok := a.(x86asm.Imm); return ok }
func isRel(a x86asm.Arg) bool { _, ok := a.(x86asm.Rel); return ok }

func isRegOrMem(a x86asm.Arg) bool { return isReg(a) || isMem(a) }
