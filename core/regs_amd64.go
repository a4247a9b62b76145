package core

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Reg is a general-purpose register: its value is its index in the kernel's
// user_regs_struct, and in RegNames.
type Reg int

// The general-purpose registers, in user_regs_struct order.
const (
	R15 Reg = iota
	R14
	R13
	R12
	RBP
	RBX
	R11
	R10
	R9
	R8
	RAX
	RCX
	RDX
	RSI
	RDI
	OrigRAX
	RIP
	CS
	EFLAGS
	RSP
	SS
	FSBase
	GSBase
	DS
	ES
	FS
	GS
	numRegs int = iota
)

// RegNames are the names of the general-purpose registers, by Reg.
var RegNames = []string{
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
	"ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
}

func (r Reg) String() string {
	if r < 0 || int(r) >= len(RegNames) {
		return fmt.Sprintf("reg(%d)", int(r))
	}
	return RegNames[r]
}

var regIndex = func() map[string]Reg {
	m := make(map[string]Reg, len(RegNames))
	for i, n := range RegNames {
		m[n] = Reg(i)
	}
	return m
}()

// RegIndex returns the register of a name, or -1.
func RegIndex(name string) Reg {
	if r, ok := regIndex[name]; ok {
		return r
	}
	return -1
}

// regPtr returns a pointer to register i of r.
func regPtr(r *unix.PtraceRegs, i Reg) *uint64 {
	switch i {
	case R15:
		return &r.R15
	case R14:
		return &r.R14
	case R13:
		return &r.R13
	case R12:
		return &r.R12
	case RBP:
		return &r.Rbp
	case RBX:
		return &r.Rbx
	case R11:
		return &r.R11
	case R10:
		return &r.R10
	case R9:
		return &r.R9
	case R8:
		return &r.R8
	case RAX:
		return &r.Rax
	case RCX:
		return &r.Rcx
	case RDX:
		return &r.Rdx
	case RSI:
		return &r.Rsi
	case RDI:
		return &r.Rdi
	case OrigRAX:
		return &r.Orig_rax
	case RIP:
		return &r.Rip
	case CS:
		return &r.Cs
	case EFLAGS:
		return &r.Eflags
	case RSP:
		return &r.Rsp
	case SS:
		return &r.Ss
	case FSBase:
		return &r.Fs_base
	case GSBase:
		return &r.Gs_base
	case DS:
		return &r.Ds
	case ES:
		return &r.Es
	case FS:
		return &r.Fs
	case GS:
		return &r.Gs
	}
	return nil
}

// UnknownRegisterError names a register that does not exist.
type UnknownRegisterError struct{ Name string }

func (e *UnknownRegisterError) Error() string { return fmt.Sprintf("unknown register %q", e.Name) }

// Regs returns a copy of the thread's general-purpose registers.
func (t *Thread) Regs() (unix.PtraceRegs, error) {
	var r unix.PtraceRegs
	var err error
	t.p.e.Do(func() {
		if err = t.stoppedErr(); err != nil {
			return
		}
		if err = t.loadRegs(); err == nil {
			r = t.regs
		}
	})
	return r, err
}

// SetRegs replaces the thread's general-purpose registers; they are written back
// before the thread runs again.
func (t *Thread) SetRegs(r unix.PtraceRegs) error {
	var err error
	t.p.e.Do(func() {
		if err = t.stoppedErr(); err != nil {
			return
		}
		if err = t.loadRegs(); err != nil {
			return
		}
		if r.Rip != t.regs.Rip {
			t.stop.over = nil
		}
		t.regs, t.regsDirty = r, true
	})
	return err
}

// Reg reads one register.
func (t *Thread) Reg(i Reg) (uint64, error) {
	if t.p.e.OnTracer() {
		return t.reg(i) // without Do's closure, which costs three allocations
	}
	var v uint64
	var err error
	t.p.e.Do(func() { v, err = t.reg(i) })
	return v, err
}

func (t *Thread) reg(i Reg) (uint64, error) {
	if i < 0 || int(i) >= numRegs {
		return 0, fmt.Errorf("register index %d out of range [0, %d)", i, numRegs)
	}
	if err := t.stoppedErr(); err != nil {
		return 0, err
	}
	if err := t.loadRegs(); err != nil {
		return 0, err
	}
	return *regPtr(&t.regs, i), nil
}

// SetReg writes one register.
func (t *Thread) SetReg(i Reg, v uint64) error {
	var err error
	t.p.e.Do(func() {
		if i < 0 || int(i) >= numRegs {
			err = fmt.Errorf("register index %d out of range [0, %d)", i, numRegs)
			return
		}
		if err = t.stoppedErr(); err != nil {
			return
		}
		if err = t.loadRegs(); err != nil {
			return
		}
		if i == RIP && v != t.regs.Rip {
			t.stop.over = nil
		}
		*regPtr(&t.regs, i) = v
		t.regsDirty = true
	})
	return err
}

// RegByName reads a register by name ("rax", "rip", "fs_base", ...).
func (t *Thread) RegByName(name string) (uint64, error) {
	i := RegIndex(name)
	if i < 0 {
		return 0, &UnknownRegisterError{Name: name}
	}
	return t.Reg(i)
}

// SetRegByName writes a register by name.
func (t *Thread) SetRegByName(name string, v uint64) error {
	i := RegIndex(name)
	if i < 0 {
		return &UnknownRegisterError{Name: name}
	}
	return t.SetReg(i, v)
}

// PC is the thread's instruction pointer.
func (t *Thread) PC() (uint64, error) { return t.Reg(RIP) }

// SP is the thread's stack pointer.
func (t *Thread) SP() (uint64, error) { return t.Reg(RSP) }
