package sym

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var errExprStack = errors.New("DWARF expression stack underflow")

// evalExpr evaluates a DWARF expression of CFI (DW_CFA_def_cfa_expression,
// DW_CFA_expression, DW_CFA_val_expression) over the registers of the
// frame being unwound, starting with init on the stack when push is set.
// It supports the operations compilers use there: constants, registers
// (bregN, bregx), arithmetic and logic, comparisons, branches and
// dereferences.
func evalExpr(expr []byte, regs *regSet, mem Memory, init uint64, push bool) (uint64, error) {
	r := &reader{b: expr}
	var st []uint64
	if push {
		st = append(st, init)
	}
	pop := func() uint64 {
		if len(st) == 0 {
			r.err = errExprStack
			return 0
		}
		v := st[len(st)-1]
		st = st[:len(st)-1]
		return v
	}
	reg := func(n uint64) uint64 {
		v, ok := regs.get(n)
		if !ok && r.err == nil {
			r.err = fmt.Errorf("DWARF expression reads unknown register %d", n)
		}
		return v
	}
	deref := func(addr uint64, size int) uint64 {
		var b [8]byte
		if mem == nil || size < 1 || size > 8 {
			r.err = fmt.Errorf("cannot read memory at %#x", addr)
			return 0
		}
		if n, _ := mem.ReadMem(addr, b[:size]); n < size {
			r.err = fmt.Errorf("cannot read memory at %#x", addr)
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	for r.left() > 0 && r.err == nil {
		op := r.u8()
		switch {
		case op >= 0x30 && op <= 0x4f: // DW_OP_lit0..31
			st = append(st, uint64(op-0x30))
			continue
		case op >= 0x70 && op <= 0x8f: // DW_OP_breg0..31
			st = append(st, reg(uint64(op-0x70))+uint64(r.sleb()))
			continue
		}
		switch op {
		case 0x03: // addr
			st = append(st, r.u64())
		case 0x06: // deref
			st = append(st, deref(pop(), 8))
		case 0x08:
			st = append(st, uint64(r.u8()))
		case 0x09:
			st = append(st, uint64(int64(int8(r.u8()))))
		case 0x0a:
			st = append(st, uint64(r.u16()))
		case 0x0b:
			st = append(st, uint64(int64(int16(r.u16()))))
		case 0x0c:
			st = append(st, uint64(r.u32()))
		case 0x0d:
			st = append(st, uint64(int64(int32(r.u32()))))
		case 0x0e, 0x0f:
			st = append(st, r.u64())
		case 0x10:
			st = append(st, r.uleb())
		case 0x11:
			st = append(st, uint64(r.sleb()))
		case 0x12: // dup
			v := pop()
			st = append(st, v, v)
		case 0x13: // drop
			pop()
		case 0x14: // over
			if len(st) < 2 {
				return 0, errExprStack
			}
			st = append(st, st[len(st)-2])
		case 0x15: // pick
			i := int(r.u8())
			if i >= len(st) {
				return 0, errExprStack
			}
			st = append(st, st[len(st)-1-i])
		case 0x16: // swap
			b, a := pop(), pop()
			st = append(st, b, a)
		case 0x17: // rot
			c, b, a := pop(), pop(), pop()
			st = append(st, c, a, b)
		case 0x19: // abs
			v := int64(pop())
			if v < 0 {
				v = -v
			}
			st = append(st, uint64(v))
		case 0x1f: // neg
			st = append(st, -pop())
		case 0x20: // not
			st = append(st, ^pop())
		case 0x23: // plus_uconst
			st = append(st, pop()+r.uleb())
		case 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27,
			0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e:
			b, a := pop(), pop()
			v, err := binop(op, a, b)
			if err != nil {
				return 0, err
			}
			st = append(st, v)
		case 0x28: // bra
			off := int16(r.u16())
			if pop() != 0 {
				r.off += int(off)
			}
		case 0x2f: // skip
			r.off += int(int16(r.u16()))
		case 0x92: // bregx
			n := r.uleb()
			st = append(st, reg(n)+uint64(r.sleb()))
		case 0x94: // deref_size
			size := int(r.u8())
			st = append(st, deref(pop(), size))
		case 0x96: // nop
		default:
			return 0, fmt.Errorf("unsupported DWARF expression operation %#x", op)
		}
		if r.off < 0 || r.off > len(r.b) {
			return 0, errors.New("DWARF expression branches out of range")
		}
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(st) == 0 {
		return 0, errExprStack
	}
	return st[len(st)-1], nil
}

func binop(op byte, a, b uint64) (uint64, error) {
	bool2 := func(c bool) uint64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case 0x1a:
		return a & b, nil
	case 0x1b:
		if b == 0 {
			return 0, errors.New("DWARF expression divides by zero")
		}
		return uint64(int64(a) / int64(b)), nil
	case 0x1c:
		return a - b, nil
	case 0x1d:
		if b == 0 {
			return 0, errors.New("DWARF expression divides by zero")
		}
		return a % b, nil
	case 0x1e:
		return a * b, nil
	case 0x21:
		return a | b, nil
	case 0x22:
		return a + b, nil
	case 0x24:
		return a << (b & 63), nil
	case 0x25:
		return a >> (b & 63), nil
	case 0x26:
		return uint64(int64(a) >> (b & 63)), nil
	case 0x27:
		return a ^ b, nil
	case 0x29:
		return bool2(a == b), nil
	case 0x2a:
		return bool2(int64(a) >= int64(b)), nil
	case 0x2b:
		return bool2(int64(a) > int64(b)), nil
	case 0x2c:
		return bool2(int64(a) <= int64(b)), nil
	case 0x2d:
		return bool2(int64(a) < int64(b)), nil
	case 0x2e:
		return bool2(a != b), nil
	}
	return 0, fmt.Errorf("unsupported DWARF expression operation %#x", op)
}
