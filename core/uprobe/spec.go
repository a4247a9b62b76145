package uprobe

import "fmt"

// Reg is a general register: its index in the kernel's struct pt_regs,
// whose order is also that of the first fields of unix.PtraceRegs and of
// core.Reg (r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx,
// rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss).
type Reg int

// NumRegs is the number of registers in struct pt_regs: what a record holds.
const NumRegs Reg = 21

// Op compares a register with a Cond's value, as signed 64-bit integers.
type Op int

// The comparisons of a Cond.
const (
	OpNone Op = iota // no register test
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

// Ops are the names of the comparisons, as scripts write them.
var Ops = map[string]Op{"eq": OpEq, "ne": OpNe, "lt": OpLt, "le": OpLe, "gt": OpGt, "ge": OpGe}

// Cond is the filter a hit must pass to count and be recorded.
type Cond struct {
	Tid   int   // only this thread, if not 0
	Op    Op    // OpNone, or: Reg Op Value
	Reg   Reg   // the register compared
	Value int64 // the constant it is compared with
}

// CaptureKind says how a capture copies memory.
type CaptureKind int

const (
	CaptureMem    CaptureKind = iota // Size bytes at the address in Reg
	CaptureString                    // a NUL-terminated string at the address in Reg, at most Size bytes before the NUL
)

// MaxCapture is the largest Size of a Capture.
const MaxCapture = 4096

// Capture is memory to copy at each hit, at the address a register holds.
type Capture struct {
	Kind CaptureKind
	Reg  Reg
	Size int
}

// Spec says what a probe's program does at each hit.
type Spec struct {
	Tgid     int       // the traced process: hits of other processes are ignored
	Cond     Cond      // the filter
	Ring     *Ring     // where records go; nil counts only
	ID       uint32    // the probe's id in its records
	Captures []Capture // what each record carries besides the registers
}

// Record layout: a header, the registers, then each capture as a 4-byte
// status (the helper's result), 4 bytes of padding and its bytes, rounded up
// to 8.
const (
	offID   = 0
	offTid  = 4
	offTime = 8
	offRegs = 16
	hdrSize = offRegs + 8*int(NumRegs)
)

// bufSize is the room a capture takes in a record after its status: a
// string gets one more byte for its NUL.
func (c Capture) bufSize() int {
	n := c.Size
	if c.Kind == CaptureString {
		n++
	}
	return n
}

// layout returns the offset of each capture's status in a record, and the
// record's size.
func layout(cs []Capture) (offs []int, size int) {
	size = hdrSize
	for _, c := range cs {
		offs = append(offs, size)
		size += 8 + (c.bufSize()+7)&^7
	}
	return offs, size
}

func (s *Spec) check() error {
	if s.Tgid <= 0 {
		return fmt.Errorf("uprobe: no process to trace (tgid %d)", s.Tgid)
	}
	if s.Cond.Op < OpNone || s.Cond.Op > OpGe || s.Cond.Reg < 0 || s.Cond.Reg >= NumRegs {
		return fmt.Errorf("uprobe: bad filter %+v", s.Cond)
	}
	if len(s.Captures) > 0 && s.Ring == nil {
		return fmt.Errorf("uprobe: captures need a ring buffer")
	}
	for _, c := range s.Captures {
		if c.Size < 1 || c.Size > MaxCapture {
			return fmt.Errorf("uprobe: capture size %d is not in [1, %d]", c.Size, MaxCapture)
		}
		if c.Reg < 0 || c.Reg >= NumRegs {
			return fmt.Errorf("uprobe: capture register %d does not exist", c.Reg)
		}
	}
	if _, size := layout(s.Captures); s.Ring != nil && size > s.Ring.size/8 {
		return fmt.Errorf("uprobe: a record of %d bytes is too large for a ring buffer of %d", size, s.Ring.size)
	}
	return nil
}
