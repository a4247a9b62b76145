package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/disasm"
)

const disasmDoc = `disasm(where, count=16, syntax="intel") -> list of instruction

Decodes count instructions of the process's code at where: an address, or any
location break_at takes ("hot", "hotloop.c:39", "libc:malloc"; with several
matches, the first). count=None decodes to the end of the function that
covers where: with a function's name, the whole function (its symbol's size).
syntax is "intel" (objdump -M intel) or "att" (objdump -d). The targets of
branches and calls and the addresses of rip-relative operands are named in the
text as objdump does: "call 0x401136 <hot>", "lea rax,[rip+0x2ee5]  # 0x404028
<counter_global>". Bytes under a breakpoint show the original instruction.
Bytes that do not decode are a "(bad)" instruction of one byte. Against
objdump 2.40, every instruction of libc and of the test programs has the same
boundaries and text; AMD's FMA4/XOP instructions and rdseed do not decode.`

func processDisasm(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var where starlark.Value
	var countV starlark.Value = starlark.MakeInt(16)
	syntax := "intel"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "where", &where, "count?", &countV, "syntax?", &syntax); err != nil {
		return nil, err
	}
	syn, ok := disasm.ParseSyntax(syntax)
	if !ok {
		return nil, errorf(b, "syntax must be \"intel\" or \"att\", got %q", syntax)
	}
	count := -1
	switch c := countV.(type) {
	case starlark.NoneType:
	case starlark.Int:
		n, ok := c.Int64()
		if !ok || n <= 0 || n > 1<<20 {
			return nil, errorf(b, "count must be None or in [1, %d], got %v", 1<<20, c)
		}
		count = int(n)
	default:
		return nil, errorf(b, "count must be None or an int, got %s", countV.Type())
	}
	spec, err := locationArg(b, where)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	insns, err := p.p.Disasm(spec, count, syn)
	if errors.Is(err, core.ErrNoFuncSize) {
		return nil, errorf(b, "count=None needs a function of known size, and %s is in none", where)
	}
	if err != nil {
		var me *core.MemoryError
		if errors.As(err, &me) {
			return nil, memErr(b, p, err)
		}
		return nil, notFoundErr(b, err)
	}
	vs := make([]starlark.Value, len(insns))
	for i, in := range insns {
		vs[i] = &Instruction{in}
	}
	return starlark.NewList(vs), nil
}

// Instruction is one decoded instruction, an element of p.disasm()
// (Starlark type "instruction"). str() is "0x401136 <hot+4>: mov rbp,rsp".
type Instruction struct{ in core.Instruction }

var _ starlark.HasAttrs = (*Instruction)(nil)

func (i *Instruction) String() string {
	where := ""
	if i.in.Function != "" {
		where = fmt.Sprintf(" <%s+%d>", i.in.Function, i.in.Offset)
	}
	return fmt.Sprintf("%#x%s: %s", i.in.Addr, where, i.in.Text)
}
func (i *Instruction) Type() string          { return "instruction" }
func (i *Instruction) Freeze()               {}
func (i *Instruction) Truth() starlark.Bool  { return true }
func (i *Instruction) Hash() (uint32, error) { return uint32(i.in.Addr) ^ uint32(i.in.Addr>>32), nil }
func (i *Instruction) Attr(name string) (starlark.Value, error) {
	return getAttr(i, instructionFields, nil, name)
}
func (i *Instruction) AttrNames() []string { return attrNames(instructionFields, nil) }

var instructionFields = fields[*Instruction]{
	"addr": {func(i *Instruction) (starlark.Value, error) { return starlark.MakeUint64(i.in.Addr), nil },
		"addr: the address of the instruction."},
	"size": {func(i *Instruction) (starlark.Value, error) { return starlark.MakeInt(i.in.Len), nil },
		"size: its length in bytes (1 for a byte that does not decode)."},
	"bytes": {func(i *Instruction) (starlark.Value, error) { return starlark.Bytes(i.in.Bytes), nil },
		"bytes: its encoding, as the program has it (a breakpoint's int3 is not shown)."},
	"text": {func(i *Instruction) (starlark.Value, error) { return starlark.String(i.in.Text), nil },
		`text: the instruction as objdump prints it, its target named: "call 0x401136 <hot>"; "(bad)" if it does not decode.`},
	"function": {func(i *Instruction) (starlark.Value, error) { return noneIfEmpty(i.in.Function), nil },
		"function: the name of the function it is in, or None."},
	"offset": {func(i *Instruction) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(i.in.Offset), i.in.Function != ""), nil
	}, "offset: addr minus the function's entry, or None outside any function."},
	"target": {func(i *Instruction) (starlark.Value, error) {
		return orNone(starlark.MakeUint64(i.in.Target), i.in.HasTarget), nil
	}, "target: where a relative jump or call goes, or the address a rip-relative operand refers to; else None."},
}
