package sym

import "fmt"

// DWARF register numbers on amd64.
const (
	regRAX = 0
	regRDX = 1
	regRCX = 2
	regRBX = 3
	regRSI = 4
	regRDI = 5
	regRBP = 6
	regRSP = 7
	regR8  = 8
	regR15 = 15
	regRIP = 16 // the return address column
	nRegs  = 17
)

type ruleKind uint8

const (
	ruleSame      ruleKind = iota // unspecified or DW_CFA_same_value: the caller's value is the callee's
	ruleUndef                     // DW_CFA_undefined: no value (the return address of the outermost frame)
	ruleOffset                    // saved at CFA+off
	ruleValOffset                 // the value is CFA+off
	ruleRegister                  // the value is in register reg
	ruleExpr                      // saved at the address an expression computes
	ruleValExpr                   // the value is what an expression computes
)

type rule struct {
	kind ruleKind
	reg  uint16
	off  int64
	expr []byte
}

// A cfaRow is one row of the CFI table: how to find the CFA (canonical
// frame address: the caller's rsp after the call returns) and each
// register of the caller.
type cfaRow struct {
	cfaReg  uint64
	cfaOff  int64
	cfaExpr []byte
	regs    [nRegs]rule
}

// rowAt runs the CIE's and FDE's instructions up to link-time address pc.
func (f *fde) rowAt(pc uint64) (cfaRow, error) {
	var row cfaRow
	c := f.cie
	if err := execCFA(c, c.initial, &row, nil, f.lo, ^uint64(0)); err != nil {
		return row, err
	}
	initial := row
	err := execCFA(c, f.instrs, &row, &initial, f.lo, pc)
	return row, err
}

// execCFA runs CFA instructions from location loc until the location
// passes pc. initial is the row after the CIE's instructions, for
// DW_CFA_restore (nil while running them).
func execCFA(c *cie, code []byte, row *cfaRow, initial *cfaRow, loc, pc uint64) error {
	r := &reader{b: code}
	var stack []cfaRow
	set := func(reg uint64, rl rule) {
		if reg < nRegs {
			row.regs[reg] = rl
		}
	}
	restore := func(reg uint64) {
		if reg < nRegs {
			if initial != nil {
				row.regs[reg] = initial.regs[reg]
			} else {
				row.regs[reg] = rule{}
			}
		}
	}
	advance := func(delta uint64) bool {
		loc += delta * c.codeAlign
		return loc > pc
	}
	for r.left() > 0 && r.err == nil {
		op := r.u8()
		switch op & 0xc0 {
		case 0x40: // DW_CFA_advance_loc
			if advance(uint64(op & 0x3f)) {
				return nil
			}
			continue
		case 0x80: // DW_CFA_offset
			set(uint64(op&0x3f), rule{kind: ruleOffset, off: int64(r.uleb()) * c.dataAlign})
			continue
		case 0xc0: // DW_CFA_restore
			restore(uint64(op & 0x3f))
			continue
		}
		switch op {
		case 0x00: // DW_CFA_nop
		case 0x01: // DW_CFA_set_loc
			loc = r.u64()
			if loc > pc {
				return nil
			}
		case 0x02: // DW_CFA_advance_loc1
			if advance(uint64(r.u8())) {
				return nil
			}
		case 0x03: // DW_CFA_advance_loc2
			if advance(uint64(r.u16())) {
				return nil
			}
		case 0x04: // DW_CFA_advance_loc4
			if advance(uint64(r.u32())) {
				return nil
			}
		case 0x05: // DW_CFA_offset_extended
			reg := r.uleb()
			set(reg, rule{kind: ruleOffset, off: int64(r.uleb()) * c.dataAlign})
		case 0x06: // DW_CFA_restore_extended
			restore(r.uleb())
		case 0x07: // DW_CFA_undefined
			set(r.uleb(), rule{kind: ruleUndef})
		case 0x08: // DW_CFA_same_value
			set(r.uleb(), rule{kind: ruleSame})
		case 0x09: // DW_CFA_register
			reg := r.uleb()
			set(reg, rule{kind: ruleRegister, reg: uint16(r.uleb())})
		case 0x0a: // DW_CFA_remember_state
			stack = append(stack, *row)
		case 0x0b: // DW_CFA_restore_state
			if len(stack) == 0 {
				return fmt.Errorf("DW_CFA_restore_state with nothing remembered")
			}
			*row, stack = stack[len(stack)-1], stack[:len(stack)-1]
		case 0x0c: // DW_CFA_def_cfa
			row.cfaReg, row.cfaOff, row.cfaExpr = r.uleb(), int64(r.uleb()), nil
		case 0x0d: // DW_CFA_def_cfa_register
			row.cfaReg, row.cfaExpr = r.uleb(), nil
		case 0x0e: // DW_CFA_def_cfa_offset
			row.cfaOff = int64(r.uleb())
		case 0x0f: // DW_CFA_def_cfa_expression
			row.cfaExpr = r.bytes(int(r.uleb()))
		case 0x10: // DW_CFA_expression
			reg := r.uleb()
			set(reg, rule{kind: ruleExpr, expr: r.bytes(int(r.uleb()))})
		case 0x11: // DW_CFA_offset_extended_sf
			reg := r.uleb()
			set(reg, rule{kind: ruleOffset, off: r.sleb() * c.dataAlign})
		case 0x12: // DW_CFA_def_cfa_sf
			row.cfaReg, row.cfaOff, row.cfaExpr = r.uleb(), r.sleb()*c.dataAlign, nil
		case 0x13: // DW_CFA_def_cfa_offset_sf
			row.cfaOff = r.sleb() * c.dataAlign
		case 0x14: // DW_CFA_val_offset
			reg := r.uleb()
			set(reg, rule{kind: ruleValOffset, off: int64(r.uleb()) * c.dataAlign})
		case 0x15: // DW_CFA_val_offset_sf
			reg := r.uleb()
			set(reg, rule{kind: ruleValOffset, off: r.sleb() * c.dataAlign})
		case 0x16: // DW_CFA_val_expression
			reg := r.uleb()
			set(reg, rule{kind: ruleValExpr, expr: r.bytes(int(r.uleb()))})
		case 0x2e: // DW_CFA_GNU_args_size
			r.uleb()
		case 0x2f: // DW_CFA_GNU_negative_offset_extended
			reg := r.uleb()
			set(reg, rule{kind: ruleOffset, off: -int64(r.uleb()) * c.dataAlign})
		default:
			return fmt.Errorf("unknown CFA instruction %#x", op)
		}
	}
	return r.err
}
