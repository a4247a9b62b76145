package sym

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// A Frame is one frame of a backtrace, innermost first.
type Frame struct {
	PC     uint64 // the frame's pc: where it stopped, or the return address into it
	SP     uint64 // rsp in the frame
	CFA    uint64 // canonical frame address: rsp in the caller after this frame returns (0 if unknown)
	Entry  uint64 // entry of the function, 0 if unknown
	Offset uint64 // PC minus Entry
	// Function, File, Line and Module describe the frame's pc (for a caller,
	// pc-1: the call instruction, since return addresses point after it).
	Function string
	File     string
	Line     int
	Module   string
	// ModuleAddr is PC as an address of the module's ELF file (PC minus the
	// load bias): what objdump shows and addr2line takes. 0 when Module is "".
	ModuleAddr uint64
	// Unwind says how this frame's caller was found: "cfi" (.eh_frame or
	// .debug_frame), "fp" (the frame-pointer chain), "prologue" (frame 0
	// stopped before its frame was set up), or "" for the outermost frame.
	Unwind string

	regs regSet // the frame's registers: frame 0's all, a caller's those the unwinder recovered
}

// Reg returns register n (DWARF numbering: 0 rax, 1 rdx, 2 rcx, 3 rbx,
// 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15, 16 rip) as it is in this
// frame. In frame 0 every one is known. In a caller, a callee-saved
// register is known where CFI says where it was saved (or that the callee
// kept it), and a register the callee may have clobbered (rax, rcx, rdx,
// rsi, rdi, r8-r11) is not known: ok is false.
func (f *Frame) Reg(n int) (v uint64, ok bool) {
	if n < 0 {
		return 0, false
	}
	return f.regs.get(uint64(n))
}

// WithReg returns a copy of f whose register n is v (and known), as after
// a write to the register of a stopped thread's frame 0.
func (f Frame) WithReg(n int, v uint64) Frame {
	if n >= 0 {
		f.regs.set(uint64(n), v)
	}
	return f
}

// regSet is the registers of one frame by DWARF number, each known or not.
type regSet struct {
	v  [nRegs]uint64
	ok [nRegs]bool
}

func (r *regSet) get(n uint64) (uint64, bool) {
	if n >= nRegs || !r.ok[n] {
		return 0, false
	}
	return r.v[n], true
}

func (r *regSet) set(n uint64, v uint64) {
	if n < nRegs {
		r.v[n], r.ok[n] = v, true
	}
}

func regsFromPtrace(p *unix.PtraceRegs) regSet {
	var r regSet
	for n, v := range [nRegs]uint64{
		regRAX: p.Rax, regRDX: p.Rdx, regRCX: p.Rcx, regRBX: p.Rbx,
		regRSI: p.Rsi, regRDI: p.Rdi, regRBP: p.Rbp, regRSP: p.Rsp,
		8: p.R8, 9: p.R9, 10: p.R10, 11: p.R11, 12: p.R12, 13: p.R13, 14: p.R14, 15: p.R15,
		regRIP: p.Rip,
	} {
		r.set(uint64(n), v)
	}
	return r
}

// volatile reports whether DWARF register n is caller-saved in the SysV
// ABI: its value in a caller is unknown unless CFI says where it is.
func volatile(n int) bool {
	switch n {
	case regRAX, regRDX, regRCX, regRSI, regRDI, 8, 9, 10, 11:
		return true
	}
	return false
}

// callerKeeps returns the registers a caller of this frame is known to have
// without CFI: all but the caller-saved ones.
func (r *regSet) callerKeeps() regSet {
	caller := *r
	for n := range nRegs {
		if volatile(n) {
			caller.ok[n] = false
		}
	}
	return caller
}

// outermost names functions no caller is looked for beyond.
var outermost = map[string]bool{"runtime.goexit": true, "runtime.mstart": true, "runtime.rt0_go": true}

// Backtrace unwinds the stack of a stopped thread whose registers are regs,
// reading its memory through mem (the Table's Memory when nil), for at
// most max frames. It uses CFI when an FDE covers the pc, and the frame
// pointer chain otherwise. It stops at a zero or unmapped return address,
// at a CFA that does not grow, at a function with an undefined return
// address (_start), at runtime.goexit, or after max frames. Frame 0 is
// symbolized at its pc, callers at pc-1.
func (t *Table) Backtrace(regs *unix.PtraceRegs, mem Memory, max int) []Frame {
	return t.backtrace(regsFromPtrace(regs), true, mem, max)
}

// BacktraceSaved unwinds a stack from a saved context, such as the pc, sp
// and bp a parked goroutine keeps in its g.sched: only those three
// registers are known, and pc is a return address (the context was saved
// by a call), so frame 0 is symbolized at pc-1 as a caller is.
func (t *Table) BacktraceSaved(pc, sp, bp uint64, mem Memory, max int) []Frame {
	var cur regSet
	cur.set(regRIP, pc)
	cur.set(regRSP, sp)
	cur.set(regRBP, bp)
	return t.backtrace(cur, false, mem, max)
}

// backtrace unwinds from registers cur; exact says that the pc of frame 0
// is where it stopped, not a return address.
func (t *Table) backtrace(cur regSet, exact bool, mem Memory, max int) []Frame {
	if mem == nil {
		mem = t.mem
	}
	top := exact // the prologue analysis applies to a thread's frame 0 only
	var frames []Frame
	// exact: frame 0, or a frame interrupted by a signal: its pc is not a return address
	for i := 0; i < max; i++ {
		pc := cur.v[regRIP]
		lookup := pc
		if !exact {
			lookup = pc - 1
			if m := t.ModuleAt(pc); m != nil {
				if f := m.obj.cfiTable().find(pc - m.Bias); f != nil && f.cie.signal {
					lookup = pc
				}
			}
		}
		f := Frame{PC: pc, SP: cur.v[regRSP], regs: cur}
		t.symbolize(&f, lookup)
		var caller regSet
		var cfa uint64
		var how string
		var signal bool
		var err error
		switched := false
		if !exact && f.Function == "runtime.asmcgocall" && strings.HasSuffix(f.File, ".s") && t.goStackHi != nil {
			// (the assembly function, not its ABI wrapper of the same name)
			// Back from a C call: the goroutine's stack continues the chain.
			caller, cfa, err = t.cgoCaller(&cur, mem)
			how, switched = "cgo", err == nil
		}
		if !switched {
			caller, cfa, how, signal, err = t.unwindStep(&cur, lookup, i == 0 && top, mem)
		}
		if err == nil {
			f.CFA = cfa
		}
		grows := switched || len(frames) == 0 || cfa > frames[len(frames)-1].CFA || frames[len(frames)-1].Unwind == "cgo"
		valid := err == nil && caller.ok[regRIP] && caller.v[regRIP] != 0 && (cfa > cur.v[regRSP] || switched) &&
			grows && t.executable(caller.v[regRIP]) && !outermost[f.Function]
		if valid {
			f.Unwind = how
		}
		frames = append(frames, f)
		if !valid {
			break
		}
		cur, exact = caller, signal
	}
	return frames
}

func (t *Table) symbolize(f *Frame, pc uint64) {
	if m := t.ModuleAt(pc); m != nil {
		f.Module, f.ModuleAddr = m.Name, f.PC-m.Bias
		// A frame has no error of its own: one whose module's line table
		// cannot be read shows no file (PCToLine says why).
		f.File, f.Line, _ = m.pcToLine(pc - m.Bias)
	}
	if s := t.PCToFunc(pc); s != nil {
		f.Function, f.Entry = s.Name, s.Entry
		f.Offset = f.PC - s.Entry
	}
}

// executable reports whether addr is in executable memory.
func (t *Table) executable(addr uint64) bool {
	if len(t.maps) == 0 {
		return t.ModuleAt(addr) != nil
	}
	for _, m := range t.maps {
		if m.Contains(addr) {
			return m.Executable()
		}
	}
	return false
}

// unwindStep computes the registers of the caller of the frame cur, whose
// pc for lookups is pc. signal says the caller's pc is exact (this frame
// is a signal trampoline).
func (t *Table) unwindStep(cur *regSet, pc uint64, frame0 bool, mem Memory) (caller regSet, cfa uint64, how string, signal bool, err error) {
	m := t.ModuleAt(pc)
	if m != nil && !t.noCFI {
		if f := m.obj.cfiTable().find(pc - m.Bias); f != nil {
			row, err := f.rowAt(pc - m.Bias)
			if err == nil {
				caller, cfa, err = applyRow(&row, f.cie, cur, mem)
				if err == nil {
					return caller, cfa, "cfi", f.cie.signal, nil
				}
			}
		}
	}
	if frame0 && m != nil {
		if st, ok := t.prologueState(m, pc); ok && !st.frameSet {
			caller, cfa, err = st.unwind(cur, mem)
			return caller, cfa, "prologue", false, err
		}
	}
	caller, cfa, err = fpUnwind(cur, mem)
	return caller, cfa, "fp", false, err
}

// cgoCaller returns the caller of runtime.asmcgocall back from the C
// function it ran on the system stack: asmcgocall left the g at sp+8 and
// the depth of the goroutine's sp below the g's stack.hi at sp; the
// goroutine's sp there points at the frame pointer asmcgocall pushed, with
// the return address into its caller above it.
func (t *Table) cgoCaller(cur *regSet, mem Memory) (regSet, uint64, error) {
	sp := cur.v[regRSP]
	depth, err := readWord(mem, sp)
	if err != nil {
		return regSet{}, 0, err
	}
	g, err := readWord(mem, sp+8)
	if err != nil {
		return regSet{}, 0, err
	}
	hi, err := t.goStackHi(g)
	if err != nil {
		return regSet{}, 0, err
	}
	gsp := hi - depth
	bp, err := readWord(mem, gsp)
	if err != nil {
		return regSet{}, 0, err
	}
	ra, err := readWord(mem, gsp+8)
	if err != nil {
		return regSet{}, 0, err
	}
	caller := cur.callerKeeps()
	caller.set(regRBP, bp)
	caller.set(regRIP, ra)
	caller.set(regRSP, gsp+16)
	return caller, gsp + 16, nil
}

// applyRow computes the caller's registers from a CFI row.
func applyRow(row *cfaRow, c *cie, cur *regSet, mem Memory) (regSet, uint64, error) {
	var cfa uint64
	if row.cfaExpr != nil {
		v, err := evalExpr(row.cfaExpr, cur, mem, 0, false)
		if err != nil {
			return regSet{}, 0, err
		}
		cfa = v
	} else {
		v, ok := cur.get(row.cfaReg)
		if !ok {
			return regSet{}, 0, fmt.Errorf("CFA register %d unknown", row.cfaReg)
		}
		cfa = v + uint64(row.cfaOff)
	}
	caller := *cur
	for n := range nRegs {
		rl := row.regs[n]
		switch rl.kind {
		case ruleSame:
			if volatile(n) {
				caller.ok[n] = false
			}
		case ruleUndef:
			caller.ok[n] = false
		case ruleOffset:
			v, err := readWord(mem, cfa+uint64(rl.off))
			if err != nil {
				return regSet{}, 0, err
			}
			caller.set(uint64(n), v)
		case ruleValOffset:
			caller.set(uint64(n), cfa+uint64(rl.off))
		case ruleRegister:
			v, ok := cur.get(uint64(rl.reg))
			caller.v[n], caller.ok[n] = v, ok
		case ruleExpr, ruleValExpr:
			v, err := evalExpr(rl.expr, cur, mem, cfa, true)
			if err != nil {
				return regSet{}, 0, err
			}
			if rl.kind == ruleExpr {
				if v, err = readWord(mem, v); err != nil {
					return regSet{}, 0, err
				}
			}
			caller.set(uint64(n), v)
		}
	}
	switch ra := c.raReg; {
	case ra >= nRegs:
		return regSet{}, 0, fmt.Errorf("return address column %d", ra)
	case row.regs[ra].kind == ruleSame && ra == regRIP:
		caller.ok[regRIP] = false // no rule for the return address: outermost
	case ra != regRIP:
		caller.v[regRIP], caller.ok[regRIP] = caller.v[ra], caller.ok[ra]
	}
	caller.set(regRSP, cfa)
	return caller, cfa, nil
}

// fpUnwind follows the frame-pointer chain: the caller's rbp is at [rbp],
// its return address at [rbp+8].
func fpUnwind(cur *regSet, mem Memory) (regSet, uint64, error) {
	rbp, ok := cur.get(regRBP)
	if !ok || rbp == 0 || rbp%8 != 0 {
		return regSet{}, 0, errors.New("no frame pointer")
	}
	if rsp, ok := cur.get(regRSP); ok && rbp < rsp {
		return regSet{}, 0, errors.New("frame pointer below the stack pointer")
	}
	saved, err := readWord(mem, rbp)
	if err != nil {
		return regSet{}, 0, err
	}
	ra, err := readWord(mem, rbp+8)
	if err != nil {
		return regSet{}, 0, err
	}
	caller := cur.callerKeeps()
	caller.set(regRBP, saved)
	caller.set(regRIP, ra)
	caller.set(regRSP, rbp+16)
	return caller, rbp + 16, nil
}

func readWord(mem Memory, addr uint64) (uint64, error) {
	if mem == nil {
		return 0, ErrNoProcess
	}
	var b [8]byte
	if n, err := mem.ReadMem(addr, b[:]); n < len(b) {
		if err == nil {
			err = fmt.Errorf("short read at %#x", addr)
		}
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// InnerFrame returns the innermost frame of a stopped thread, as
// Backtrace(regs, mem, 1)[0] does but without its Unwind: where the CFI
// gives the CFA as a register plus an offset (the usual case), the frame
// is made from the registers alone, without reading the caller's saved
// registers from memory. A callback that wants only frame 0 on every hit
// then costs no read of the stack.
func (t *Table) InnerFrame(regs *unix.PtraceRegs, mem Memory) Frame {
	cur := regsFromPtrace(regs)
	pc := cur.v[regRIP]
	if m := t.ModuleAt(pc); m != nil && !t.noCFI {
		if fd := m.obj.cfiTable().find(pc - m.Bias); fd != nil {
			if row, err := fd.rowAt(pc - m.Bias); err == nil && row.cfaExpr == nil {
				if v, ok := cur.get(row.cfaReg); ok {
					f := Frame{PC: pc, SP: cur.v[regRSP], regs: cur, CFA: v + uint64(row.cfaOff)}
					t.symbolize(&f, pc)
					return f
				}
			}
		}
	}
	f := t.Backtrace(regs, mem, 1)[0]
	f.Unwind = ""
	return f
}
