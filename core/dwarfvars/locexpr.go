package dwarfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A Context is what a location expression may read of a stopped frame.
// For an outer frame, the registers are those the unwinder recovered.
type Context interface {
	// Reg returns the value of a register by its DWARF number (x86-64:
	// 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15,
	// 16 the return address (rip), 17-32 xmm0-15 (low 8 bytes)). A
	// register that is not known in this frame is ErrUnavailable.
	Reg(n int) (uint64, error)
	// CFA returns the frame's canonical frame address.
	CFA() (uint64, error)
	// ReadMem fills b from the program's memory at addr.
	ReadMem(addr uint64, b []byte) error
	// TLSAddr returns the address of offset off in the thread-local
	// storage block of the module the expression belongs to, for this
	// thread (ExecTLSAddr computes it for the executable).
	TLSAddr(off uint64) (uint64, error)
}

// ErrUnavailable is what a Context returns for a register or value it
// cannot know in this frame; an expression that needs it describes an
// optimized-out value.
var ErrUnavailable = errors.New("value not available")

// An Env is the input of an evaluation beside the expression.
type Env struct {
	Ctx Context
	// Bias is the module's load bias, added to DW_OP_addr operands.
	Bias uint64
	// FrameBase returns the value of the function's DW_AT_frame_base,
	// for DW_OP_fbreg; nil if the function has none.
	FrameBase func() (uint64, error)
}

// A PieceKind says where one piece of an object is.
type PieceKind uint8

const (
	Unavailable PieceKind = iota // optimized out: the piece exists in no place
	InMemory                     // at Addr
	InRegister                   // in register Reg (DWARF numbering)
	Implicit                     // the piece's value is Bytes (DW_OP_stack_value, DW_OP_implicit_value, a constant)
)

// A Piece is where one part of an object is. Size is its size in bytes,
// 0 for the whole object (a location with a single piece).
type Piece struct {
	Kind  PieceKind
	Addr  uint64
	Reg   int
	Bytes []byte
	Size  int64
	// BitSize and BitOffset describe a DW_OP_bit_piece: BitSize bits
	// starting BitOffset bits into the location.
	BitSize, BitOffset int64
}

// A Location is where an object is: one piece for the whole object, or
// several (DW_OP_piece) in order.
type Location struct {
	Pieces []Piece
}

// OptimizedOut reports whether no part of the object exists at this pc.
func (l Location) OptimizedOut() bool {
	for _, p := range l.Pieces {
		if p.Kind != Unavailable {
			return false
		}
	}
	return true
}

// Addr returns the address of an object that lies whole in memory.
func (l Location) Addr() (uint64, bool) {
	if len(l.Pieces) == 1 && l.Pieces[0].Kind == InMemory {
		return l.Pieces[0].Addr, true
	}
	return 0, false
}

// DW_OP_* operations (DWARF 5, section 7.7.1, and GNU extensions).
const (
	opAddr            = 0x03
	opDeref           = 0x06
	opConst1u         = 0x08
	opConst1s         = 0x09
	opConst2u         = 0x0a
	opConst2s         = 0x0b
	opConst4u         = 0x0c
	opConst4s         = 0x0d
	opConst8u         = 0x0e
	opConst8s         = 0x0f
	opConstu          = 0x10
	opConsts          = 0x11
	opDup             = 0x12
	opDrop            = 0x13
	opOver            = 0x14
	opPick            = 0x15
	opSwap            = 0x16
	opRot             = 0x17
	opAbs             = 0x19
	opAnd             = 0x1a
	opDiv             = 0x1b
	opMinus           = 0x1c
	opMod             = 0x1d
	opMul             = 0x1e
	opNeg             = 0x1f
	opNot             = 0x20
	opOr              = 0x21
	opPlus            = 0x22
	opPlusUconst      = 0x23
	opShl             = 0x24
	opShr             = 0x25
	opShra            = 0x26
	opXor             = 0x27
	opBra             = 0x28
	opEq              = 0x29
	opGe              = 0x2a
	opGt              = 0x2b
	opLe              = 0x2c
	opLt              = 0x2d
	opNe              = 0x2e
	opSkip            = 0x2f
	opLit0            = 0x30
	opLit31           = 0x4f
	opReg0            = 0x50
	opReg31           = 0x6f
	opBreg0           = 0x70
	opBreg31          = 0x8f
	opRegx            = 0x90
	opFbreg           = 0x91
	opBregx           = 0x92
	opPiece           = 0x93
	opDerefSize       = 0x94
	opNop             = 0x96
	opFormTLSAddress  = 0x9b
	opCallFrameCFA    = 0x9c
	opBitPiece        = 0x9d
	opImplicitValue   = 0x9e
	opStackValue      = 0x9f
	opImplicitPointer = 0xa0
	opEntryValue      = 0xa3
	opGNUPushTLS      = 0xe0
	opGNUImplicitPtr  = 0xf2
	opGNUEntryValue   = 0xf3
)

// An ExprError is an expression the evaluator cannot run: malformed, or
// using an operation it does not implement.
type ExprError struct {
	Op     byte // the operation, 0 if the expression is truncated
	Offset int  // of the operation in the expression
	Msg    string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("DWARF expression: %s (operation %#x at byte %d)", e.Msg, e.Op, e.Offset)
}

// errNoValue stops an evaluation whose result is optimized out.
var errNoValue = errors.New("optimized out")

// Eval runs the DWARF location expression expr and returns the location
// it describes. An empty expression, DW_OP_entry_value, an implicit
// pointer, or a register or memory the Context reports as ErrUnavailable
// make an optimized-out location (not an error); a memory read that
// fails, a malformed expression or an unsupported operation is an error.
func Eval(expr []byte, env Env) (Location, error) {
	ev := &evaluator{expr: expr, env: env}
	loc, err := ev.run()
	if errors.Is(err, errNoValue) || errors.Is(err, ErrUnavailable) {
		return Location{Pieces: []Piece{{Kind: Unavailable}}}, nil
	}
	return loc, err
}

type evaluator struct {
	expr  []byte
	pos   int
	op    byte
	opPos int
	env   Env
	stack []uint64
}

func (ev *evaluator) fail(msg string, args ...any) error {
	return &ExprError{Op: ev.op, Offset: ev.opPos, Msg: fmt.Sprintf(msg, args...)}
}

func (ev *evaluator) need(n int) error {
	if len(ev.stack) < n {
		return ev.fail("stack underflow")
	}
	return nil
}

func (ev *evaluator) push(v uint64) { ev.stack = append(ev.stack, v) }

func (ev *evaluator) pop() uint64 {
	v := ev.stack[len(ev.stack)-1]
	ev.stack = ev.stack[:len(ev.stack)-1]
	return v
}

func (ev *evaluator) fixed(n int) (uint64, error) {
	if ev.pos+n > len(ev.expr) {
		return 0, ev.fail("truncated operand")
	}
	var b [8]byte
	copy(b[:], ev.expr[ev.pos:ev.pos+n])
	ev.pos += n
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (ev *evaluator) uleb() (uint64, error) {
	v, n, ok := readULEB(ev.expr[ev.pos:])
	if !ok {
		return 0, ev.fail("truncated operand")
	}
	ev.pos += n
	return v, nil
}

func (ev *evaluator) sleb() (int64, error) {
	v, n, ok := readSLEB(ev.expr[ev.pos:])
	if !ok {
		return 0, ev.fail("truncated operand")
	}
	ev.pos += n
	return v, nil
}

// signExtend extends the low n bytes of v.
func signExtend(v uint64, n int) uint64 {
	shift := 64 - 8*uint(n)
	return uint64(int64(v<<shift) >> shift)
}

func (ev *evaluator) run() (Location, error) {
	var loc Location
	// The location of the piece being described: a register, an
	// implicit value, or (by default) the address on top of the stack.
	reg, implicit := -1, []byte(nil)
	stackValue := false
	finish := func(size, bitSize, bitOffset int64) error {
		var p Piece
		switch {
		case reg >= 0:
			p = Piece{Kind: InRegister, Reg: reg}
		case implicit != nil:
			p = Piece{Kind: Implicit, Bytes: implicit}
		case stackValue:
			if err := ev.need(1); err != nil {
				return err
			}
			p = Piece{Kind: Implicit, Bytes: binary.LittleEndian.AppendUint64(nil, ev.pop())}
		case len(ev.stack) == 0:
			p = Piece{Kind: Unavailable}
		default:
			p = Piece{Kind: InMemory, Addr: ev.pop()}
		}
		p.Size, p.BitSize, p.BitOffset = size, bitSize, bitOffset
		loc.Pieces = append(loc.Pieces, p)
		reg, implicit, stackValue = -1, nil, false
		ev.stack = ev.stack[:0]
		return nil
	}
	for ev.pos < len(ev.expr) {
		ev.opPos, ev.op = ev.pos, ev.expr[ev.pos]
		ev.pos++
		op := ev.op
		if (reg >= 0 || implicit != nil || stackValue) && op != opPiece && op != opBitPiece {
			return loc, ev.fail("operation after a register, implicit or stack value location")
		}
		var err error
		switch {
		case op >= opLit0 && op <= opLit31:
			ev.push(uint64(op - opLit0))
		case op >= opReg0 && op <= opReg31:
			reg = int(op - opReg0)
		case op >= opBreg0 && op <= opBreg31:
			err = ev.breg(int(op - opBreg0))
		default:
			err = ev.step(op, &reg, &implicit, &stackValue, finish)
		}
		if err != nil {
			return loc, err
		}
	}
	if len(loc.Pieces) == 0 {
		if err := finish(0, 0, 0); err != nil {
			return loc, err
		}
	} else if reg >= 0 || implicit != nil || stackValue || len(ev.stack) > 0 {
		return loc, ev.fail("location after the last piece")
	}
	return loc, nil
}

func (ev *evaluator) breg(r int) error {
	off, err := ev.sleb()
	if err != nil {
		return err
	}
	v, err := ev.env.Ctx.Reg(r)
	if err != nil {
		return err
	}
	ev.push(v + uint64(off))
	return nil
}

// step runs one operation that is not a literal, reg or breg.
func (ev *evaluator) step(op byte, reg *int, implicit *[]byte, stackValue *bool, finish func(size, bitSize, bitOffset int64) error) error {
	switch op {
	case opAddr:
		a, err := ev.fixed(8)
		if err != nil {
			return err
		}
		ev.push(a + ev.env.Bias)
	case opConst1u, opConst1s, opConst2u, opConst2s, opConst4u, opConst4s, opConst8u, opConst8s:
		n := 1 << ((op - opConst1u) / 2)
		v, err := ev.fixed(n)
		if err != nil {
			return err
		}
		if (op-opConst1u)%2 == 1 {
			v = signExtend(v, n)
		}
		ev.push(v)
	case opConstu:
		v, err := ev.uleb()
		if err != nil {
			return err
		}
		ev.push(v)
	case opConsts:
		v, err := ev.sleb()
		if err != nil {
			return err
		}
		ev.push(uint64(v))
	case opDup, opDrop, opOver, opSwap, opRot, opPick:
		return ev.stackOp(op)
	case opDeref, opDerefSize:
		n := 8
		if op == opDerefSize {
			v, err := ev.fixed(1)
			if err != nil {
				return err
			}
			n = int(v)
			if n < 1 || n > 8 {
				return ev.fail("bad size %d", n)
			}
		}
		if err := ev.need(1); err != nil {
			return err
		}
		var b [8]byte
		if err := ev.env.Ctx.ReadMem(ev.pop(), b[:n]); err != nil {
			return err
		}
		ev.push(binary.LittleEndian.Uint64(b[:]))
	case opAbs, opNeg, opNot:
		if err := ev.need(1); err != nil {
			return err
		}
		v := int64(ev.pop())
		switch op {
		case opAbs:
			v = max(v, -v)
		case opNeg:
			v = -v
		default:
			v = ^v
		}
		ev.push(uint64(v))
	case opAnd, opDiv, opMinus, opMod, opMul, opOr, opPlus, opShl, opShr, opShra, opXor,
		opEq, opGe, opGt, opLe, opLt, opNe:
		return ev.binary(op)
	case opPlusUconst:
		v, err := ev.uleb()
		if err != nil {
			return err
		}
		if err := ev.need(1); err != nil {
			return err
		}
		ev.push(ev.pop() + v)
	case opSkip, opBra:
		v, err := ev.fixed(2)
		if err != nil {
			return err
		}
		jump := op == opSkip
		if op == opBra {
			if err := ev.need(1); err != nil {
				return err
			}
			jump = ev.pop() != 0
		}
		if jump {
			to := ev.pos + int(int16(v))
			if to < 0 || to > len(ev.expr) {
				return ev.fail("branch out of the expression")
			}
			ev.pos = to
		}
	case opRegx:
		v, err := ev.uleb()
		if err != nil {
			return err
		}
		*reg = int(v)
	case opBregx:
		r, err := ev.uleb()
		if err != nil {
			return err
		}
		return ev.breg(int(r))
	case opFbreg:
		off, err := ev.sleb()
		if err != nil {
			return err
		}
		if ev.env.FrameBase == nil {
			return ev.fail("DW_OP_fbreg without a frame base")
		}
		fb, err := ev.env.FrameBase()
		if err != nil {
			return err
		}
		ev.push(fb + uint64(off))
	case opCallFrameCFA:
		cfa, err := ev.env.Ctx.CFA()
		if err != nil {
			return err
		}
		ev.push(cfa)
	case opFormTLSAddress, opGNUPushTLS:
		if err := ev.need(1); err != nil {
			return err
		}
		a, err := ev.env.Ctx.TLSAddr(ev.pop())
		if err != nil {
			return err
		}
		ev.push(a)
	case opNop:
	case opStackValue:
		*stackValue = true
	case opImplicitValue:
		n, err := ev.uleb()
		if err != nil {
			return err
		}
		if uint64(len(ev.expr)-ev.pos) < n {
			return ev.fail("truncated operand")
		}
		*implicit = append([]byte{}, ev.expr[ev.pos:ev.pos+int(n)]...)
		ev.pos += int(n)
	case opPiece:
		n, err := ev.uleb()
		if err != nil {
			return err
		}
		return finish(int64(n), 0, 0)
	case opBitPiece:
		bits, err := ev.uleb()
		if err != nil {
			return err
		}
		off, err := ev.uleb()
		if err != nil {
			return err
		}
		return finish(int64(bits+7)/8, int64(bits), int64(off))
	case opEntryValue, opGNUEntryValue, opImplicitPointer, opGNUImplicitPtr:
		// The value at function entry, or an object that exists only as
		// the target of a pointer: not recovered.
		return errNoValue
	default:
		return ev.fail("unsupported operation")
	}
	return nil
}

func (ev *evaluator) stackOp(op byte) error {
	s := ev.stack
	switch op {
	case opDup:
		if err := ev.need(1); err != nil {
			return err
		}
		ev.push(s[len(s)-1])
	case opDrop:
		if err := ev.need(1); err != nil {
			return err
		}
		ev.pop()
	case opOver:
		if err := ev.need(2); err != nil {
			return err
		}
		ev.push(s[len(s)-2])
	case opPick:
		i, err := ev.fixed(1)
		if err != nil {
			return err
		}
		if err := ev.need(int(i) + 1); err != nil {
			return err
		}
		ev.push(s[len(s)-1-int(i)])
	case opSwap:
		if err := ev.need(2); err != nil {
			return err
		}
		s[len(s)-1], s[len(s)-2] = s[len(s)-2], s[len(s)-1]
	case opRot:
		if err := ev.need(3); err != nil {
			return err
		}
		n := len(s)
		s[n-1], s[n-2], s[n-3] = s[n-2], s[n-3], s[n-1]
	}
	return nil
}

func (ev *evaluator) binary(op byte) error {
	if err := ev.need(2); err != nil {
		return err
	}
	b, a := ev.pop(), ev.pop()
	var r uint64
	cmp := func(ok bool) uint64 {
		if ok {
			return 1
		}
		return 0
	}
	switch op {
	case opAnd:
		r = a & b
	case opOr:
		r = a | b
	case opXor:
		r = a ^ b
	case opPlus:
		r = a + b
	case opMinus:
		r = a - b
	case opMul:
		r = a * b
	case opDiv:
		if b == 0 {
			return ev.fail("division by zero")
		}
		r = uint64(int64(a) / int64(b))
	case opMod:
		if b == 0 {
			return ev.fail("division by zero")
		}
		r = a % b
	case opShl:
		r = a << b
	case opShr:
		r = a >> b
	case opShra:
		r = uint64(int64(a) >> b)
	case opEq:
		r = cmp(int64(a) == int64(b))
	case opGe:
		r = cmp(int64(a) >= int64(b))
	case opGt:
		r = cmp(int64(a) > int64(b))
	case opLe:
		r = cmp(int64(a) <= int64(b))
	case opLt:
		r = cmp(int64(a) < int64(b))
	case opNe:
		r = cmp(a != b)
	}
	ev.push(r)
	return nil
}

// readULEB decodes an unsigned LEB128 number: its value, its length, and
// false if b ends first.
func readULEB(b []byte) (uint64, int, bool) {
	var v uint64
	for i, c := range b {
		if i < 10 {
			v |= uint64(c&0x7f) << (7 * uint(i))
		}
		if c&0x80 == 0 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// readSLEB decodes a signed LEB128 number.
func readSLEB(b []byte) (int64, int, bool) {
	var v int64
	var shift uint
	for i, c := range b {
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// ExecTLSAddr returns the address of offset off in the executable's
// thread-local block, for a thread whose thread pointer (fs_base) is tp:
// on x86-64 (TLS variant II) the executable's block ends where the thread
// pointer points, rounded up to the PT_TLS segment's alignment.
func ExecTLSAddr(tp, memsz, align, off uint64) uint64 {
	if align == 0 {
		align = 1
	}
	size := (memsz + align - 1) / align * align
	return tp - size + off
}
