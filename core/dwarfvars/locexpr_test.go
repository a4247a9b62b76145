package dwarfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// fakeCtx is a frame with registers (absent ones are unavailable), a CFA,
// memory, and a thread pointer of an executable whose TLS block is 16
// bytes.
type fakeCtx struct {
	regs map[int]uint64
	cfa  uint64
	mem  map[uint64]byte
	tp   uint64
}

func (c *fakeCtx) Reg(n int) (uint64, error) {
	v, ok := c.regs[n]
	if !ok {
		return 0, ErrUnavailable
	}
	return v, nil
}

func (c *fakeCtx) CFA() (uint64, error) { return c.cfa, nil }

func (c *fakeCtx) ReadMem(addr uint64, b []byte) error {
	for i := range b {
		v, ok := c.mem[addr+uint64(i)]
		if !ok {
			return fmt.Errorf("address %#x is not mapped", addr+uint64(i))
		}
		b[i] = v
	}
	return nil
}

func (c *fakeCtx) TLSAddr(off uint64) (uint64, error) { return ExecTLSAddr(c.tp, 12, 8, off), nil }

func newFakeCtx() *fakeCtx {
	c := &fakeCtx{regs: map[int]uint64{0: 0x10, 6: 0x7ffc0000, 7: 0x7ffb0000, 5: 0x5000}, cfa: 0x7ffc0010,
		mem: map[uint64]byte{}, tp: 0x7f0000001000}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 0x1122334455667788)
	for i := range b {
		c.mem[0x5000+uint64(i)] = b[i]
	}
	return c
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func mem(a uint64) Location { return Location{Pieces: []Piece{{Kind: InMemory, Addr: a}}} }

var optimizedOut = Location{Pieces: []Piece{{Kind: Unavailable}}}

func TestEval(t *testing.T) {
	env := Env{Ctx: newFakeCtx(), Bias: 0x555555554000, FrameBase: func() (uint64, error) { return 0x7ffc0010, nil }}
	for _, c := range []struct {
		name string
		expr []byte
		want Location
	}{
		{"addr+bias", []byte{opAddr, 0x50, 0x40, 0, 0, 0, 0, 0, 0}, mem(0x555555558050)},
		{"fbreg -20", []byte{opFbreg, 0x6c}, mem(0x7ffc0010 - 20)},
		{"call_frame_cfa", []byte{opCallFrameCFA}, mem(0x7ffc0010)},
		{"breg6 16", []byte{opBreg0 + 6, 16}, mem(0x7ffc0010)},
		{"bregx 7 -8", []byte{opBregx, 7, 0x78}, mem(0x7ffb0000 - 8)},
		{"reg5", []byte{opReg0 + 5}, Location{Pieces: []Piece{{Kind: InRegister, Reg: 5}}}},
		{"regx 17", []byte{opRegx, 17}, Location{Pieces: []Piece{{Kind: InRegister, Reg: 17}}}},
		{"lit arithmetic stack_value", []byte{opLit0 + 7, opLit0 + 3, opMinus, opLit0 + 5, opMul, opStackValue},
			Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(20)}}}},
		{"const1s -3 neg", []byte{opConst1s, 0xfd, opNeg, opStackValue}, Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(3)}}}},
		{"const2u plus_uconst", []byte{opConst2u, 0x34, 0x12, opPlusUconst, 0x81, 0x01, opStackValue},
			Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(0x1234 + 129)}}}},
		{"consts shra", []byte{opConsts, 0x70, opLit0 + 2, opShra, opStackValue}, Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(^uint64(3))}}}},
		{"deref", []byte{opBreg0 + 5, 0, opDeref}, mem(0x1122334455667788)},
		{"deref_size 2", []byte{opBreg0 + 5, 0, opDerefSize, 2, opStackValue}, Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(0x7788)}}}},
		{"dup over swap rot drop pick", []byte{opLit0 + 1, opLit0 + 2, opLit0 + 3, opRot, opSwap, opOver, opDrop, opPick, 1, opPlus, opStackValue},
			// 1 2 3 -rot-> 3 1 2 -swap-> 3 2 1 -over-> 3 2 1 2 -drop-> 3 2 1 -pick 1-> 3 2 1 2 -plus-> 3 2 3
			Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(3)}}}},
		{"bra taken", []byte{opLit0 + 1, opBra, 2, 0, opLit0 + 9, opStackValue, opLit0 + 4, opStackValue},
			Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(4)}}}},
		{"skip", []byte{opSkip, 1, 0, opNop, opLit0 + 6, opStackValue}, Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(6)}}}},
		{"comparisons", []byte{opConst1s, 0xff, opLit0, opLt, opLit0 + 2, opLit0 + 2, opEq, opAnd, opStackValue},
			Location{Pieces: []Piece{{Kind: Implicit, Bytes: le64(1)}}}},
		{"implicit_value", []byte{opImplicitValue, 3, 1, 2, 3}, Location{Pieces: []Piece{{Kind: Implicit, Bytes: []byte{1, 2, 3}}}}},
		{"pieces", []byte{opReg0 + 0, opPiece, 4, opPiece, 2, opFbreg, 0x70, opPiece, 2, opLit0 + 9, opStackValue, opPiece, 8},
			Location{Pieces: []Piece{
				{Kind: InRegister, Reg: 0, Size: 4},
				{Kind: Unavailable, Size: 2},
				{Kind: InMemory, Addr: 0x7ffc0000, Size: 2},
				{Kind: Implicit, Bytes: le64(9), Size: 8},
			}}},
		{"bit_piece", []byte{opReg0 + 1, opBitPiece, 3, 5}, Location{Pieces: []Piece{{Kind: InRegister, Reg: 1, Size: 1, BitSize: 3, BitOffset: 5}}}},
		{"form_tls_address", []byte{opConst8u, 4, 0, 0, 0, 0, 0, 0, 0, opFormTLSAddress}, mem(0x7f0000001000 - 16 + 4)},
		{"GNU_push_tls_address", []byte{opConst4u, 0, 0, 0, 0, opGNUPushTLS}, mem(0x7f0000001000 - 16)},
		{"empty", nil, optimizedOut},
		{"entry_value", []byte{opEntryValue, 1, opReg0 + 5, opStackValue}, optimizedOut},
		{"GNU_entry_value", []byte{opGNUEntryValue, 1, opReg0 + 5, opStackValue}, optimizedOut},
		{"implicit_pointer", []byte{opImplicitPointer, 0, 0, 0, 0, 0}, optimizedOut},
		{"unavailable register", []byte{opBreg0 + 3, 0}, optimizedOut},
	} {
		got, err := Eval(c.expr, env)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		if got.OptimizedOut() != reflect.DeepEqual(c.want, optimizedOut) {
			t.Errorf("%s: OptimizedOut() = %v", c.name, got.OptimizedOut())
		}
	}
}

func TestEvalErrors(t *testing.T) {
	env := Env{Ctx: newFakeCtx()}
	for _, c := range []struct {
		name string
		expr []byte
		want string
	}{
		{"truncated addr", []byte{opAddr, 1, 2}, "DWARF expression: truncated operand (operation 0x3 at byte 0)"},
		{"underflow", []byte{opLit0, opPlus}, "DWARF expression: stack underflow (operation 0x22 at byte 1)"},
		{"after reg", []byte{opReg0, opLit0}, "DWARF expression: operation after a register, implicit or stack value location (operation 0x30 at byte 1)"},
		{"no frame base", []byte{opFbreg, 0}, "DWARF expression: DW_OP_fbreg without a frame base (operation 0x91 at byte 0)"},
		{"unsupported", []byte{0xa1, 0}, "DWARF expression: unsupported operation (operation 0xa1 at byte 0)"},
		{"division by zero", []byte{opLit0 + 1, opLit0, opDiv}, "DWARF expression: division by zero (operation 0x1b at byte 2)"},
		{"bad branch", []byte{opSkip, 0x10, 0}, "DWARF expression: branch out of the expression (operation 0x2f at byte 0)"},
		{"unmapped", []byte{opLit0 + 8, opDeref}, "address 0x8 is not mapped"},
	} {
		_, err := Eval(c.expr, env)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %s", c.name, err, c.want)
		}
		var ee *ExprError
		if c.name != "unmapped" && !errors.As(err, &ee) {
			t.Errorf("%s: %T is not an *ExprError", c.name, err)
		}
	}
}
