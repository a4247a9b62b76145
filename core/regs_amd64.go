package core

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RegNames are the general-purpose registers in the kernel's user_regs_struct
// order: a register's index is its position here.
var RegNames = []string{
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
	"ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
}

var regIndex = func() map[string]int {
	m := make(map[string]int, len(RegNames))
	for i, n := range RegNames {
		m[n] = i
	}
	return m
}()

// RegIndex returns the index of a register name, or -1.
func RegIndex(name string) int {
	if i, ok := regIndex[name]; ok {
		return i
	}
	return -1
}

// regPtr returns a pointer to register i of r.
func regPtr(r *unix.PtraceRegs, i int) *uint64 {
	switch i {
	case 0:
		return &r.R15
	case 1:
		return &r.R14
	case 2:
		return &r.R13
	case 3:
		return &r.R12
	case 4:
		return &r.Rbp
	case 5:
		return &r.Rbx
	case 6:
		return &r.R11
	case 7:
		return &r.R10
	case 8:
		return &r.R9
	case 9:
		return &r.R8
	case 10:
		return &r.Rax
	case 11:
		return &r.Rcx
	case 12:
		return &r.Rdx
	case 13:
		return &r.Rsi
	case 14:
		return &r.Rdi
	case 15:
		return &r.Orig_rax
	case 16:
		return &r.Rip
	case 17:
		return &r.Cs
	case 18:
		return &r.Eflags
	case 19:
		return &r.Rsp
	case 20:
		return &r.Ss
	case 21:
		return &r.Fs_base
	case 22:
		return &r.Gs_base
	case 23:
		return &r.Ds
	case 24:
		return &r.Es
	case 25:
		return &r.Fs
	case 26:
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

// Reg reads one register by index (see RegNames).
func (t *Thread) Reg(i int) (uint64, error) {
	if t.p.e.OnTracer() {
		return t.reg(i) // without Do's closure, which costs three allocations
	}
	var v uint64
	var err error
	t.p.e.Do(func() { v, err = t.reg(i) })
	return v, err
}

func (t *Thread) reg(i int) (uint64, error) {
	if i < 0 || i >= len(RegNames) {
		return 0, fmt.Errorf("register index %d out of range [0, %d)", i, len(RegNames))
	}
	if err := t.stoppedErr(); err != nil {
		return 0, err
	}
	if err := t.loadRegs(); err != nil {
		return 0, err
	}
	return *regPtr(&t.regs, i), nil
}

// SetReg writes one register by index.
func (t *Thread) SetReg(i int, v uint64) error {
	var err error
	t.p.e.Do(func() {
		if i < 0 || i >= len(RegNames) {
			err = fmt.Errorf("register index %d out of range [0, %d)", i, len(RegNames))
			return
		}
		if err = t.stoppedErr(); err != nil {
			return
		}
		if err = t.loadRegs(); err != nil {
			return
		}
		if i == 16 && v != t.regs.Rip {
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
func (t *Thread) PC() (uint64, error) { return t.Reg(16) }

// SP is the thread's stack pointer.
func (t *Thread) SP() (uint64, error) { return t.Reg(19) }
