package sym

import (
	"golang.org/x/arch/x86/x86asm"
)

// frameState is what a function's code did to the stack between its entry
// and a pc, found by decoding it: for frame 0 of code without CFI, stopped
// before its frame pointer was set up (at a breakpoint on its entry, in a
// Go stack check, or in a leaf without a frame).
type frameState struct {
	spOff     uint64 // bytes pushed or reserved since the entry
	pushedRBP bool
	rbpSlot   uint64 // spOff just after push %rbp
	frameSet  bool   // mov %rsp,%rbp ran: the frame pointer chain is valid
}

// maxPrologue bounds how many bytes of a function are decoded.
const maxPrologue = 256

// prologueState decodes the function containing pc from its entry to pc,
// straight through (conditional branches fall through; an unconditional
// jump or call gives up). ok is false when it cannot tell.
func (t *Table) prologueState(m *Module, pc uint64) (frameState, bool) {
	var st frameState
	s := t.PCToFunc(pc)
	if s == nil || pc-s.Entry > maxPrologue {
		return st, false
	}
	code := make([]byte, pc-s.Entry+16)
	if m.obj.readLink(s.Entry-m.Bias, code) != nil {
		return st, false
	}
	// Stopped on a return: everything was popped.
	if in, err := x86asm.Decode(code[pc-s.Entry:], 64); err == nil && in.Op == x86asm.RET {
		return frameState{}, true
	}
	for off := uint64(0); off < pc-s.Entry; {
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			return st, false
		}
		off += uint64(in.Len)
		switch in.Op {
		case x86asm.PUSH:
			st.spOff += 8
			if in.Args[0] == x86asm.RBP {
				st.pushedRBP, st.rbpSlot = true, st.spOff
			}
		case x86asm.POP:
			st.spOff -= 8
			if in.Args[0] == x86asm.RBP {
				st.pushedRBP, st.frameSet = false, false
			}
		case x86asm.MOV:
			if in.Args[0] == x86asm.RBP && in.Args[1] == x86asm.RSP {
				st.frameSet = true
			}
		case x86asm.SUB, x86asm.ADD:
			if in.Args[0] == x86asm.RSP {
				imm, ok := in.Args[1].(x86asm.Imm)
				if !ok {
					return st, false
				}
				if in.Op == x86asm.SUB {
					st.spOff += uint64(imm)
				} else {
					st.spOff -= uint64(imm)
				}
			}
		case x86asm.LEAVE:
			st.spOff, st.pushedRBP, st.frameSet = 0, false, false
		case x86asm.JMP, x86asm.CALL, x86asm.RET, x86asm.LJMP, x86asm.LCALL:
			return st, false
		}
	}
	return st, true
}

// unwind computes the caller's registers from a frame stopped before its
// frame pointer was set up.
func (st frameState) unwind(cur *regSet, mem Memory) (regSet, uint64, error) {
	rsp, _ := cur.get(regRSP)
	cfa := rsp + st.spOff + 8
	ra, err := readWord(mem, cfa-8)
	if err != nil {
		return regSet{}, 0, err
	}
	caller := cur.callerKeeps()
	if st.pushedRBP {
		rbp, err := readWord(mem, cfa-8-st.rbpSlot)
		if err != nil {
			return regSet{}, 0, err
		}
		caller.set(regRBP, rbp)
	}
	caller.set(regRIP, ra)
	caller.set(regRSP, cfa)
	return caller, cfa, nil
}
