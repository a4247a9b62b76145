package core

import (
	"debug/elf"
	"errors"
	"fmt"

	"stardbg/core/dwarfvars"
	"stardbg/core/sym"

	"golang.org/x/sys/unix"
)

// A VarFrame is one frame of a stopped thread with what reading its
// variables takes: the frame (its registers as the unwinder recovered
// them), the module its pc is in, that module's DWARF data model, and a
// Context that evaluates location expressions against the frame.
type VarFrame struct {
	sym.Frame
	Index int // 0 for the innermost frame
	// Saved says the frames were unwound from a saved context (a parked
	// goroutine's), not a thread's registers: frame 0's pc is a return
	// address too, and its registers but pc, sp and bp are unknown.
	Saved bool
	// Module is the module of the frame's pc (for a caller, of its call
	// instruction), or nil outside any.
	Module *sym.Module
	// Vars is Module's DWARF data model, nil when it has no DWARF (or
	// when its DWARF cannot be read: VarsErr says why).
	Vars    *dwarfvars.Data
	VarsErr error
	// Ctx reads (and writes) the frame's registers and the process's
	// memory.
	Ctx *DataContext
}

// LinkPC returns the address of the frame's code as an address of its
// module's file, for scope lookups: the pc in frame 0, the call
// instruction (pc-1) in a caller.
func (f *VarFrame) LinkPC() uint64 {
	pc := f.PC
	if f.Index > 0 || f.Saved {
		pc--
	}
	if f.Module != nil {
		pc -= f.Module.Bias
	}
	return pc
}

// A VarModule is a loaded module with DWARF and a Context for its
// variables at file scope (thread-local ones read the given thread's).
type VarModule struct {
	Module *sym.Module
	Vars   *dwarfvars.Data
	Ctx    *DataContext
}

// DataContext implements dwarfvars.Context over a stopped process: the
// registers of one frame of one thread (none for file-scope variables),
// the process's memory, and the thread-local storage of the executable.
// It also writes memory and, in frame 0, registers.
type DataContext struct {
	p     *Process
	t     *Thread     // nil: no registers, no TLS
	frame *sym.Frame  // nil: no registers
	index int         // of frame
	mod   *sym.Module // the module whose expressions are evaluated, or nil
	fp    *FPRegs     // frame 0's vector registers, read on first use
	// goCaller marks an outer frame of Go code, where only rsp and rbp
	// survive the call (Go's ABIInternal has no callee-saved registers).
	goCaller bool
}

// GoCaller returns the context of c's frame as the caller of Go code
// sees its registers: an outer frame of a Go function keeps rsp, rbp and
// the return address across the call it is in, and nothing else (the
// unwinder's CFI says "same value" for the rest, which Go does not
// promise), so variables the compiler kept in other registers there are
// optimized out. Frame 0's context is returned as it is.
func (c *DataContext) GoCaller() *DataContext {
	if c.index == 0 || c.goCaller {
		return c
	}
	d := *c
	d.goCaller = true
	return &d
}

var _ dwarfvars.Context = (*DataContext)(nil)

// Env returns the evaluation input of the context's module: the context
// and the module's load bias.
func (c *DataContext) Env() dwarfvars.Env {
	env := dwarfvars.Env{Ctx: c}
	if c.mod != nil {
		env.Bias = c.mod.Bias
	}
	return env
}

// dwarfXMM0 is the DWARF number of xmm0; xmm0-15 are 17-32.
const dwarfXMM0 = 17

// Reg returns register n (DWARF numbering) in the frame: what the
// unwinder recovered for a caller, where clobbered registers are
// dwarfvars.ErrUnavailable; the low 8 bytes of xmm0-15 in frame 0 only.
func (c *DataContext) Reg(n int) (uint64, error) {
	if c.frame == nil {
		return 0, dwarfvars.ErrUnavailable
	}
	if n >= dwarfXMM0 && n < dwarfXMM0+16 {
		if c.index != 0 || c.t == nil { // a tracepoint's hit records no vector register
			return 0, dwarfvars.ErrUnavailable
		}
		if c.fp == nil {
			fp, err := c.t.FPRegs()
			if err != nil {
				return 0, err
			}
			c.fp = fp
		}
		x := c.fp.XMM[n-dwarfXMM0]
		var v uint64
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(x[i])
		}
		return v, nil
	}
	if c.goCaller && n != 6 && n != 7 && n != 16 { // rbp, rsp, the return address
		return 0, dwarfvars.ErrUnavailable
	}
	v, ok := c.frame.Reg(n)
	if !ok {
		return 0, dwarfvars.ErrUnavailable
	}
	return v, nil
}

// CFA returns the frame's canonical frame address.
func (c *DataContext) CFA() (uint64, error) {
	if c.frame == nil || c.frame.CFA == 0 {
		return 0, dwarfvars.ErrUnavailable
	}
	return c.frame.CFA, nil
}

// ReadMem fills b from the process's memory; a short read is an error.
func (c *DataContext) ReadMem(addr uint64, b []byte) error {
	n, err := c.p.ReadMemory(addr, b)
	if n == len(b) {
		return nil
	}
	if err == nil {
		err = &MemoryError{Op: "read", Pid: c.p.pid, Addr: addr + uint64(n), N: n}
	}
	return err
}

// WriteMem writes b to the process's memory.
func (c *DataContext) WriteMem(addr uint64, b []byte) error {
	n, err := c.p.WriteMemory(addr, b)
	if n == len(b) {
		return nil
	}
	if err == nil {
		err = &MemoryError{Op: "write", Pid: c.p.pid, Addr: addr + uint64(n), N: n}
	}
	return err
}

// ErrOuterRegister is the error of writing a register of a frame other
// than the innermost: where the callee saved it is not tracked.
var ErrOuterRegister = errors.New("cannot write a register of an outer frame")

// ErrHitRegister is the error of writing a register of a frame made from
// recorded registers (HitFrame: a tracepoint's hit, a return probe's call
// at its entry or return): the thread ran on.
var ErrHitRegister = errors.New("cannot write a register of a recorded stop: the thread ran on")

// dwarfRegs maps DWARF register numbers 0-16 to the thread's registers.
var dwarfRegs = [...]Reg{RAX, RDX, RCX, RBX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15, RIP}

// SetReg writes register n (DWARF numbering, 0-16) of frame 0.
func (c *DataContext) SetReg(n int, v uint64) error {
	if c.frame == nil || c.index != 0 {
		return ErrOuterRegister
	}
	if n < 0 || n >= len(dwarfRegs) {
		return fmt.Errorf("cannot write DWARF register %d", n)
	}
	if c.t == nil {
		return ErrHitRegister
	}
	if err := c.t.SetReg(dwarfRegs[n], v); err != nil {
		return err
	}
	c.frame = cloneWithReg(c.frame, n, v)
	return nil
}

// cloneWithReg keeps the context's view of frame 0 in step with a write.
func cloneWithReg(f *sym.Frame, n int, v uint64) *sym.Frame {
	g := f.WithReg(n, v)
	return &g
}

// TLSAddr returns the address of offset off in the executable's
// thread-local block of the context's thread (TLS variant II: the block
// ends at fs_base). Thread-local variables of libraries are not supported.
func (c *DataContext) TLSAddr(off uint64) (uint64, error) {
	if c.t == nil {
		return 0, errors.New("thread-local storage needs a thread")
	}
	if c.mod == nil || !c.mod.Exec {
		return 0, errors.New("thread-local storage of a shared library is not supported")
	}
	f := c.mod.ELF()
	if f == nil {
		return 0, errors.New("no ELF file for thread-local storage")
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_TLS {
			tp, err := c.t.Reg(FSBase)
			if err != nil {
				return 0, err
			}
			return dwarfvars.ExecTLSAddr(tp, p.Memsz, p.Align, off), nil
		}
	}
	return 0, errors.New("the executable has no PT_TLS segment")
}

// VarFrames unwinds the stack of a stopped thread, as Backtrace does, and
// gives each of at most max frames its module, DWARF data model and
// Context. With max 1, frame 0 is made from the registers alone where the
// CFI allows (sym.Table.InnerFrame).
func (t *Thread) VarFrames(max int) ([]*VarFrame, error) {
	var out []*VarFrame
	var err error
	t.p.e.Do(func() {
		var tab *sym.Table
		var regs unix.PtraceRegs
		if tab, regs, err = t.unwindStart(); err != nil {
			return
		}
		var frames []sym.Frame
		if max == 1 {
			// t.frame() in a callback: no read of the stack for a caller
			// nobody asked for.
			frames = []sym.Frame{tab.InnerFrame(&regs, symMemory{t.p})}
		} else {
			frames = tab.Backtrace(&regs, symMemory{t.p}, max)
		}
		out = t.p.varFrames(tab, frames, t)
	})
	return out, err
}

// varFrames gives frames their modules, DWARF and Contexts: those of thread
// t, or with t nil those of a saved context (BacktraceSaved), where even
// frame 0 is a caller.
func (p *Process) varFrames(tab *sym.Table, frames []sym.Frame, t *Thread) []*VarFrame {
	out := make([]*VarFrame, 0, len(frames))
	for i := range frames {
		f := &VarFrame{Frame: frames[i], Index: i, Saved: t == nil}
		f.Module = tab.ModuleAt(f.LinkPC()) // no module yet: the pc looked up, unbiased
		if f.Module != nil {
			f.Vars, f.VarsErr = p.e.varsOf(f.Module)
		}
		ctxIndex := i
		if t == nil {
			ctxIndex = i + 1 // no register of frame 0 but pc, sp and bp
		}
		f.Ctx = &DataContext{p: p, t: t, frame: &f.Frame, index: ctxIndex, mod: f.Module}
		out = append(out, f)
	}
	return out
}

// VarModules returns the loaded modules that have DWARF, the executable
// first, with a Context for their file-scope variables; thread-local ones
// are read in thread t (nil: none).
func (p *Process) VarModules(t *Thread) ([]VarModule, error) {
	var out []VarModule
	var err error
	p.e.Do(func() {
		var tab *sym.Table
		if tab, err = p.symbols(); err != nil {
			return
		}
		mods := tab.Modules()
		for _, pass := range []bool{true, false} {
			for _, m := range mods {
				if m.Exec != pass {
					continue
				}
				d, derr := p.e.varsOf(m)
				if derr != nil || d == nil {
					continue
				}
				out = append(out, VarModule{Module: m, Vars: d, Ctx: &DataContext{p: p, t: t, mod: m}})
			}
		}
	})
	return out, err
}

// varsOf returns the DWARF data model of m, made once per ELF file of the
// engine's cache, or nil when m has no DWARF. It runs on the tracer
// thread.
func (e *Engine) varsOf(m *sym.Module) (*dwarfvars.Data, error) {
	f := m.DebugELF()
	if f == nil {
		return nil, nil
	}
	if e.vars == nil {
		e.vars = map[*elf.File]varsEntry{}
	}
	if v, ok := e.vars[f]; ok {
		return v.d, v.err
	}
	d, err := dwarfvars.FromELF(f)
	if err != nil {
		err = fmt.Errorf("DWARF of %s: %w", m.Name, err)
		d = nil
	}
	e.vars[f] = varsEntry{d, err}
	return d, err
}

type varsEntry struct {
	d   *dwarfvars.Data
	err error
}
