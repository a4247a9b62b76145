package core

import (
	"errors"
	"fmt"

	"stardbg/core/disasm"
	"stardbg/core/sym"
)

// An Instruction is one instruction of a process's code, decoded and named.
type Instruction struct {
	disasm.Inst
	Function string // the function covering Addr, or ""
	Offset   uint64 // Addr minus the function's entry
}

// ErrNoFuncSize says that a disassembly to the end of a function found no
// function of known size at the address.
var ErrNoFuncSize = errors.New("no function of known size there")

// maxDisasmBytes bounds what one Disasm reads: a whole function of a few
// megabytes is the most a person or a test wants.
const maxDisasmBytes = 16 << 20

// Disasm decodes the code at the first place spec names (a location spec
// as BreakAt takes: an address, a function, file:line, lib:function), in
// syntax syn: count instructions, or with count < 0 every instruction from
// there to the end of the function that covers it (its ELF symbol's size;
// for a function name, the whole function). The bytes are read as
// ReadMemory reads them, so an instruction under a breakpoint shows its
// original bytes. The targets of branches and rip-relative operands are
// named by the process's symbols. Decoding stops early at memory that
// cannot be read, with no error if at least one instruction was decoded.
func (p *Process) Disasm(spec string, count int, syn disasm.Syntax) ([]Instruction, error) {
	var out []Instruction
	var err error
	p.e.Do(func() { out, err = p.disasm(spec, count, syn) })
	return out, err
}

func (p *Process) disasm(spec string, count int, syn disasm.Syntax) ([]Instruction, error) {
	if err := p.live(); err != nil {
		return nil, err
	}
	tab, err := p.symbols()
	if err != nil {
		return nil, err
	}
	locs, err := tab.Resolve(spec)
	if err != nil {
		return nil, err
	}
	loc := locs[0]
	if loc.Pending || loc.Unloaded {
		return nil, fmt.Errorf("%s is not loaded yet", spec)
	}
	start := loc.Addr
	var n uint64
	if count < 0 {
		fn := tab.PCToFunc(start)
		if fn == nil || fn.Size == 0 {
			return nil, fmt.Errorf("%#x: %w", start, ErrNoFuncSize)
		}
		n = fn.Entry + fn.Size - start
	} else {
		n = uint64(count) * disasm.MaxLen
	}
	n = min(n, maxDisasmBytes)
	code := make([]byte, n)
	got, rerr := p.readMemory(start, code)
	code = code[:got]
	insts := disasm.DecodeAll(code, start, count, syn, symbolizer(tab))
	if len(insts) == 0 && rerr != nil {
		return nil, rerr
	}
	out := make([]Instruction, len(insts))
	var fn *sym.Symbol
	for i, in := range insts {
		out[i].Inst = in
		if fn == nil || in.Addr < fn.Entry || fn.Size != 0 && in.Addr >= fn.Entry+fn.Size {
			fn = tab.PCToFunc(in.Addr)
		}
		if fn != nil {
			out[i].Function, out[i].Offset = fn.Name, in.Addr-fn.Entry
		}
	}
	return out, nil
}

// symbolizer names addresses by the functions and data symbols of tab.
func symbolizer(tab *sym.Table) disasm.Symbolizer {
	return func(addr uint64) (string, uint64, bool) {
		s := tab.SymbolAt(addr)
		if s == nil {
			return "", 0, false
		}
		return s.Name, addr - s.Entry, true
	}
}
