// Package emu executes one x86-64 instruction in a stopped thread's registers, so the
// debugger can step over a breakpoint without taking its 0xCC out of the text.
//
// When a thread hits an int3, the instruction the breakpoint displaced still has to run.
// Writing the original byte back and single-stepping leaves a window in which other
// running threads miss the breakpoint. Instead, the engine decodes the original
// instruction once, when it inserts the breakpoint (Decode), and on every hit executes
// it in the thread's registers (Insn.Emulate). Most function entries are a handful of
// simple instructions (endbr64, push rbp, mov rbp, rsp, sub rsp, imm, Go's stack check
// cmp rsp, [r14+0x10]), and those are what this package covers.
//
// The package is pure computation: it never calls ptrace. The caller hands it the
// original bytes, the registers (a *unix.PtraceRegs) and a Memory through which the
// instruction's loads and stores reach the target.
//
// It is not a general emulator. Insn.Emulable reports whether Emulate can run an
// instruction; for the rest (system calls, string and vector instructions, locked or
// atomic operations, anything touching state other than the general registers, rip and
// the arithmetic flags) the engine must execute the instruction for real, out of line
// or by a single-step. The same holds when Emulate fails: it leaves the registers
// untouched, and executing the instruction for real then raises the fault the program
// would have seen. Emulate writes memory at most once per instruction, as its last
// step, so a failed Emulate has changed nothing.
//
// Limits: emulated instructions are not atomic with respect to other threads (locked
// instructions are never emulated); call and ret do not update a CET shadow stack (see
// Insn.ShadowStack); Emulate needs linux/amd64.
package emu

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// Memory is the target's memory, as the engine gives it: reads show the original
// bytes, never a breakpoint's 0xCC. b is the Insn's own buffer: an
// implementation must not keep it after the call.
type Memory interface {
	ReadMem(addr uint64, b []byte) error
	WriteMem(addr uint64, b []byte) error
}

// Errors that a *DecodeError carries.
var (
	ErrTruncated = errors.New("truncated instruction")
	ErrInvalid   = errors.New("invalid or unknown instruction")
)

// Errors that an *EmulateError carries (besides a *MemoryError).
var (
	// ErrNotEmulable: Emulable reports false for the instruction.
	ErrNotEmulable = errors.New("instruction cannot be emulated")
	// ErrWrongPC: the registers' rip is not the instruction's address.
	ErrWrongPC = errors.New("rip is not at the instruction")
	// ErrBranchTarget: a taken branch goes to an address a user program cannot run
	// (non-canonical, or in the kernel's half). The CPU faults on such branches;
	// executing the instruction for real reproduces that fault exactly.
	ErrBranchTarget = errors.New("branch target is not a user-space address")
)

// A DecodeError reports bytes that Decode could not decode.
type DecodeError struct {
	PC    uint64 // address of the bytes
	Bytes []byte // the bytes given to Decode (at most 15)
	Err   error  // ErrTruncated or ErrInvalid
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode at %#x: %v (% x)", e.PC, e.Err, e.Bytes)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// An EmulateError reports an instruction that Emulate did not execute. The registers
// and memory are as they were before the call.
type EmulateError struct {
	PC   uint64 // address of the instruction
	Insn string // the instruction, in Intel syntax
	Err  error  // one of the Err sentinels of this package, or a *MemoryError
}

func (e *EmulateError) Error() string {
	return fmt.Sprintf("emulate %q at %#x: %v", e.Insn, e.PC, e.Err)
}

func (e *EmulateError) Unwrap() error { return e.Err }

// A MemoryError reports a load or store of the instruction that Memory refused.
type MemoryError struct {
	Op   string // "read" or "write"
	Addr uint64
	Len  int
	Err  error // as returned by Memory
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("%s of %d bytes at %#x: %v", e.Op, e.Len, e.Addr, e.Err)
}

func (e *MemoryError) Unwrap() error { return e.Err }

// maxLen is the longest x86 instruction, in bytes.
const maxLen = 15

// An Insn is a decoded instruction at a known address. It is a plain value: decode it
// once when a breakpoint is inserted and keep it.
type Insn struct {
	pc       uint64
	n        uint8 // length in bytes
	raw      [maxLen]byte
	inst     x86asm.Inst // x86asm's decoding; Op is 0 for endbr64 and endbr32
	cet      bool        // endbr64 or endbr32, which x86asm does not know
	emulable bool

	// buf holds a memory operand on its way to or from Memory: a buffer on the
	// stack would escape through the interface and cost an allocation at
	// every emulated push. So an Insn is emulated by one goroutine at a time.
	buf [8]byte
}

// Decode decodes the instruction at the start of code, located at address pc. Pass up
// to 15 bytes of original text (fewer if the mapping ends there); extra bytes are
// ignored. The error, if any, is a *DecodeError.
func Decode(code []byte, pc uint64) (Insn, error) {
	if len(code) > maxLen {
		code = code[:maxLen]
	}
	in := Insn{pc: pc}
	if isEndbr(code) {
		in.n = 4
		copy(in.raw[:], code[:4])
		in.cet = true
		in.emulable = true
		return in, nil
	}
	inst, err := x86asm.Decode(code, 64)
	if err != nil || inst.Op == 0 || inst.Len <= 0 || inst.Len > len(code) {
		// x86asm reports a truncated or invalid instruction after a prefix as an
		// instruction made of the lone prefix byte, with Op 0.
		return Insn{}, &DecodeError{PC: pc, Bytes: append([]byte(nil), code...), Err: decodeFailure(code)}
	}
	in.n = uint8(inst.Len)
	copy(in.raw[:], code[:inst.Len])
	in.inst = inst
	in.emulable = emulable(&in.inst, in.raw[:in.n])
	return in, nil
}

// isEndbr reports whether code starts with endbr64 (f3 0f 1e fa) or endbr32
// (f3 0f 1e fb), both no-ops in 64-bit mode for everything Emulate models.
func isEndbr(code []byte) bool {
	return len(code) >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e &&
		(code[3] == 0xfa || code[3] == 0xfb)
}

// decodeFailure tells a truncated instruction (one that more bytes would complete)
// from an invalid one.
func decodeFailure(code []byte) error {
	if len(code) < 4 && bytes.HasPrefix([]byte{0xf3, 0x0f, 0x1e, 0xfa}, code) {
		return ErrTruncated // x86asm does not know endbr64
	}
	if len(code) < maxLen {
		var padded [maxLen]byte
		copy(padded[:], code)
		inst, err := x86asm.Decode(padded[:], 64)
		if err == nil && inst.Op != 0 && inst.Len > len(code) {
			return ErrTruncated
		}
	}
	return ErrInvalid
}

// PC returns the address of the instruction.
func (in *Insn) PC() uint64 { return in.pc }

// Len returns the length of the instruction in bytes.
func (in *Insn) Len() int { return int(in.n) }

// Bytes returns a copy of the instruction's bytes.
func (in *Insn) Bytes() []byte { return append([]byte(nil), in.raw[:in.n]...) }

// Inst returns x86asm's decoding of the instruction, with its operands and the
// position of any pc-relative field (PCRel, PCRelOff). Its Op is 0 for endbr64 and
// endbr32, which x86asm does not know.
func (in *Insn) Inst() x86asm.Inst { return in.inst }

// String returns the instruction in Intel syntax, branch targets as absolute addresses.
func (in *Insn) String() string {
	switch {
	case in.n == 0:
		return "(bad)"
	case in.cet && in.raw[3] == 0xfa:
		return "endbr64"
	case in.cet:
		return "endbr32"
	}
	return x86asm.IntelSyntax(in.inst, in.pc, nil)
}

// Emulable reports whether Emulate can execute this instruction.
func (in *Insn) Emulable() bool { return in.emulable }

// RIPRelative reports whether a memory operand of the instruction is addressed
// relative to rip (or eip). A copy executed at another address (displaced stepping)
// must have that displacement rewritten; Inst().PCRelOff and PCRel locate it for
// 64-bit addressing.
func (in *Insn) RIPRelative() bool {
	for _, a := range in.inst.Args {
		if m, ok := a.(x86asm.Mem); ok && (m.Base == x86asm.RIP || m.Base == x86asm.EIP) {
			return true
		}
	}
	return false
}

// ShadowStack reports whether the instruction pushes or pops a return address (call,
// ret). With CET shadow stacks enabled, the CPU records return addresses on the shadow
// stack too, which Emulate cannot reach: in such a thread the engine must execute these
// instructions for real.
func (in *Insn) ShadowStack() bool {
	return in.inst.Op == x86asm.CALL || in.inst.Op == x86asm.RET
}
