package emu

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// userLimit is the end of the user half of a 4-level-paging address space. Emulate
// refuses to branch at or above it: a non-canonical target faults on the branch itself,
// which only real execution reproduces. (A process that mapped memory above it on a
// 5-level-paging machine just has those branches executed for real.)
const userLimit = 1 << 47

// machine executes one instruction on a copy of the registers.
type machine struct {
	st   state
	in   *Insn
	mem  Memory
	next uint64 // address of the next instruction
}

// exec executes in on s, reading and writing memory through mem. On error s is
// unchanged and memory has not been written.
func (in *Insn) exec(s *state, mem Memory) error {
	if err := in.execErr(s, mem); err != nil {
		return &EmulateError{PC: in.pc, Insn: in.String(), Err: err}
	}
	return nil
}

func (in *Insn) execErr(s *state, mem Memory) error {
	if !in.emulable {
		return ErrNotEmulable
	}
	if s.rip != in.pc {
		return ErrWrongPC
	}
	m := machine{st: *s, in: in, mem: mem, next: in.pc + uint64(in.n)}
	m.st.rip = m.next
	if in.cet {
		*s = m.st
		return nil
	}
	if err := m.run(); err != nil {
		return err
	}
	*s = m.st
	return nil
}

// run executes the instruction. Every memory write is its last fallible step.
func (m *machine) run() error {
	inst := &m.in.inst
	args := operands(inst)
	switch op := inst.Op; op {
	case x86asm.NOP, x86asm.PAUSE:
		return nil

	case x86asm.MOV:
		size := argSize(inst, args[0])
		v, err := m.read(args[1], size)
		if err != nil {
			return err
		}
		return m.write(args[0], size, v)

	case x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD:
		size := argSize(inst, args[1])
		v, err := m.read(args[1], size)
		if err != nil {
			return err
		}
		if op != x86asm.MOVZX {
			v = signExtend(v, size)
		}
		return m.write(args[0], argSize(inst, args[0]), v)

	case x86asm.LEA:
		// The segment base does not take part in lea.
		return m.write(args[0], argSize(inst, args[0]), m.offset(args[1].(x86asm.Mem)))

	case x86asm.XCHG:
		size := argSize(inst, args[0])
		a, _ := m.read(args[0], size)
		b, _ := m.read(args[1], size)
		m.write(args[0], size, b)
		return m.write(args[1], size, a)

	case x86asm.ADD, x86asm.OR, x86asm.ADC, x86asm.SBB, x86asm.AND, x86asm.SUB,
		x86asm.XOR, x86asm.CMP, x86asm.TEST:
		size := argSize(inst, args[0])
		a, err := m.read(args[0], size)
		if err != nil {
			return err
		}
		b, err := m.read(args[1], size)
		if err != nil {
			return err
		}
		r, f := alu(op, a, b, m.st.flags&flagCF, size)
		if op != x86asm.CMP && op != x86asm.TEST {
			if err := m.write(args[0], size, r); err != nil {
				return err
			}
		}
		m.setFlags(flagsArith, f)
		return nil

	case x86asm.INC, x86asm.DEC:
		size := argSize(inst, args[0])
		a, err := m.read(args[0], size)
		if err != nil {
			return err
		}
		var r, f uint64
		if op == x86asm.INC {
			r, f = add(a, 1, 0, size)
		} else {
			r, f = sub(a, 1, 0, size)
		}
		if err := m.write(args[0], size, r); err != nil {
			return err
		}
		m.setFlags(flagsArith&^flagCF, f)
		return nil

	case x86asm.PUSH:
		size := stackSize(inst)
		v, err := m.read(args[0], size)
		if err != nil {
			return err
		}
		return m.push(v, size)

	case x86asm.POP:
		size := stackSize(inst)
		v, err := m.load(m.st.gpr[rsp], size)
		if err != nil {
			return err
		}
		// rsp moves first, so pop rsp loads the value read.
		m.st.gpr[rsp] += uint64(size)
		return m.write(args[0], size, v)

	case x86asm.JMP, x86asm.CALL:
		target, err := m.target(args[0])
		if err != nil {
			return err
		}
		if op == x86asm.CALL {
			if err := m.push(m.next, 8); err != nil {
				return err
			}
		}
		m.st.rip = target
		return nil

	case x86asm.RET:
		target, err := m.load(m.st.gpr[rsp], 8)
		if err != nil {
			return err
		}
		if target >= userLimit {
			return ErrBranchTarget
		}
		m.st.gpr[rsp] += 8
		if len(args) == 1 {
			m.st.gpr[rsp] += uint64(args[0].(x86asm.Imm)) & 0xffff
		}
		m.st.rip = target
		return nil
	}

	taken, _ := condition(inst.Op, m.st.flags)
	if !taken {
		return nil
	}
	target, err := m.target(args[0])
	if err != nil {
		return err
	}
	m.st.rip = target
	return nil
}

// alu computes a op b for the two-operand arithmetic and logic instructions, returning
// the result and the arithmetic flags. cf is the carry flag (adc, sbb).
func alu(op x86asm.Op, a, b, cf uint64, size int) (r, f uint64) {
	switch op {
	case x86asm.ADD:
		return add(a, b, 0, size)
	case x86asm.ADC:
		return add(a, b, cf, size)
	case x86asm.SUB, x86asm.CMP:
		return sub(a, b, 0, size)
	case x86asm.SBB:
		return sub(a, b, cf, size)
	case x86asm.AND, x86asm.TEST:
		r = a & b
	case x86asm.OR:
		r = a | b
	case x86asm.XOR:
		r = a ^ b
	}
	r &= mask(size)
	return r, logic(r, size)
}

// setFlags replaces the rflags bits in which with those of f.
func (m *machine) setFlags(which, f uint64) {
	m.st.flags = m.st.flags&^which | f&which
}

// target returns the destination of a jmp or call.
func (m *machine) target(a x86asm.Arg) (uint64, error) {
	var t uint64
	if rel, ok := a.(x86asm.Rel); ok {
		t = m.next + uint64(int64(rel))
	} else {
		var err error
		if t, err = m.read(a, 8); err != nil {
			return 0, err
		}
	}
	if t >= userLimit {
		return 0, ErrBranchTarget
	}
	return t, nil
}

// push stores the low size bytes of v below rsp and moves rsp down.
func (m *machine) push(v uint64, size int) error {
	sp := m.st.gpr[rsp] - uint64(size)
	if err := m.store(sp, size, v); err != nil {
		return err
	}
	m.st.gpr[rsp] = sp
	return nil
}

// read returns operand a as a size-byte value. Immediates come sign-extended from
// x86asm and are cut to size.
func (m *machine) read(a x86asm.Arg, size int) (uint64, error) {
	switch a := a.(type) {
	case x86asm.Reg:
		g, _ := gprOf(a)
		return m.st.get(g), nil
	case x86asm.Imm:
		return uint64(a) & mask(size), nil
	case x86asm.Mem:
		return m.load(m.addr(a), size)
	}
	panic("emu: unexpected operand") // emulable admits no other kind
}

// write stores v, cut to size bytes, to operand a.
func (m *machine) write(a x86asm.Arg, size int, v uint64) error {
	switch a := a.(type) {
	case x86asm.Reg:
		g, _ := gprOf(a)
		m.st.set(g, v)
		return nil
	case x86asm.Mem:
		return m.store(m.addr(a), size, v)
	}
	panic("emu: unexpected operand") // emulable admits no other kind
}

// offset returns the effective address of a without its segment base: what lea
// computes. rip-relative addresses count from the next instruction; 32-bit addressing
// wraps at 4 GiB.
func (m *machine) offset(a x86asm.Mem) uint64 {
	var ea uint64
	switch a.Base {
	case 0:
	case x86asm.RIP, x86asm.EIP:
		ea = m.next
	default:
		g, _ := gprOf(a.Base)
		ea = m.st.get(g)
	}
	if a.Index != 0 {
		g, _ := gprOf(a.Index)
		ea += m.st.get(g) * uint64(a.Scale)
	}
	ea += uint64(a.Disp)
	if m.in.inst.AddrSize == 32 {
		ea &= 0xffffffff
	}
	return ea
}

// addr returns the linear address of memory operand a.
func (m *machine) addr(a x86asm.Mem) uint64 {
	ea := m.offset(a)
	switch a.Segment {
	case x86asm.FS:
		ea += m.st.fsBase
	case x86asm.GS:
		ea += m.st.gsBase
	}
	return ea
}

func (m *machine) load(addr uint64, size int) (uint64, error) {
	b := &m.in.buf
	*b = [8]byte{}
	if err := m.mem.ReadMem(addr, b[:size]); err != nil {
		return 0, &MemoryError{Op: "read", Addr: addr, Len: size, Err: err}
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (m *machine) store(addr uint64, size int, v uint64) error {
	b := &m.in.buf
	binary.LittleEndian.PutUint64(b[:], v)
	if err := m.mem.WriteMem(addr, b[:size]); err != nil {
		return &MemoryError{Op: "write", Addr: addr, Len: size, Err: err}
	}
	return nil
}
