package emu

import "golang.org/x/sys/unix"

// Emulate executes the instruction on regs, as the CPU would have, leaving Rip past it
// (or at a taken branch's target) and reading and writing memory through mem. regs.Rip
// must be the instruction's address: after an int3 trap, the engine rewinds it first.
//
// Only the general registers, Rip and the arithmetic flags of Eflags (CF, PF, AF, ZF,
// SF, OF) change; Fs_base and Gs_base are read for fs: and gs: operands. On error, an
// *EmulateError, regs and memory are left untouched; the engine should then execute
// the instruction for real, which raises any fault the program is due.
func (in *Insn) Emulate(regs *unix.PtraceRegs, mem Memory) error {
	s := stateOf(regs)
	if err := in.exec(&s, mem); err != nil {
		return err
	}
	s.store(regs)
	return nil
}

func stateOf(r *unix.PtraceRegs) state {
	return state{
		gpr: [16]uint64{
			r.Rax, r.Rcx, r.Rdx, r.Rbx, r.Rsp, r.Rbp, r.Rsi, r.Rdi,
			r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
		},
		rip:    r.Rip,
		flags:  r.Eflags,
		fsBase: r.Fs_base,
		gsBase: r.Gs_base,
	}
}

// store writes back what exec may have changed.
func (s *state) store(r *unix.PtraceRegs) {
	g := &s.gpr
	r.Rax, r.Rcx, r.Rdx, r.Rbx, r.Rsp, r.Rbp, r.Rsi, r.Rdi = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15 = g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
	r.Rip = s.rip
	r.Eflags = s.flags
}
