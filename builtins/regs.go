package builtins

import (
	"fmt"
	"math/big"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"stardbg/core"
)

// Regs is a live view of a thread's general-purpose registers (Starlark type
// "regs"): reading an attribute or key reads the register, assigning writes it.
type Regs struct{ t *Thread }

var (
	_ starlark.HasAttrs    = (*Regs)(nil)
	_ starlark.HasSetField = (*Regs)(nil)
	_ starlark.Mapping     = (*Regs)(nil)
	_ starlark.HasSetKey   = (*Regs)(nil)
)

// readOnlyRegs are the segment selectors: the kernel refuses most values.
var readOnlyRegs = map[string]bool{"cs": true, "ss": true, "ds": true, "es": true, "fs": true, "gs": true}

func (r *Regs) String() string        { return fmt.Sprintf("<regs of thread %d>", r.t.t.Tid()) }
func (r *Regs) Type() string          { return "regs" }
func (r *Regs) Freeze()               {}
func (r *Regs) Truth() starlark.Bool  { return true }
func (r *Regs) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: regs") }
func (r *Regs) AttrNames() []string   { return append([]string(nil), core.RegNames...) }

func (r *Regs) Attr(name string) (starlark.Value, error) {
	i := core.RegIndex(name)
	if i < 0 {
		return nil, nil // "regs has no .name field or method", with a hint
	}
	v, err := r.t.t.Reg(i)
	if err != nil {
		return nil, fmt.Errorf("regs.%s: %w", name, err)
	}
	return starlark.MakeUint64(v), nil
}

func (r *Regs) Get(k starlark.Value) (starlark.Value, bool, error) {
	name, ok := k.(starlark.String)
	if !ok {
		return nil, false, fmt.Errorf("regs: register names are strings, got %s", k.Type())
	}
	if core.RegIndex(string(name)) < 0 {
		return nil, false, fmt.Errorf("regs: %w%s", &core.UnknownRegisterError{Name: string(name)}, hint(string(name), core.RegNames))
	}
	v, err := r.Attr(string(name))
	return v, err == nil, err
}

func (r *Regs) SetField(name string, v starlark.Value) error {
	i := core.RegIndex(name)
	if i < 0 {
		return fmt.Errorf("regs: %w%s", &core.UnknownRegisterError{Name: name}, hint(name, core.RegNames))
	}
	if readOnlyRegs[name] {
		return fmt.Errorf("regs.%s: segment register is read-only", name)
	}
	n, ok := v.(starlark.Int)
	if !ok {
		return fmt.Errorf("regs.%s: want an int, got %s", name, v.Type())
	}
	u, err := regValue(n)
	if err != nil {
		return fmt.Errorf("regs.%s: %v", name, err)
	}
	if err := r.t.t.SetReg(i, u); err != nil {
		return fmt.Errorf("regs.%s: %w", name, err)
	}
	return nil
}

func (r *Regs) SetKey(k, v starlark.Value) error {
	name, ok := k.(starlark.String)
	if !ok {
		return fmt.Errorf("regs: register names are strings, got %s", k.Type())
	}
	return r.SetField(string(name), v)
}

var (
	minReg = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63))
	maxReg = new(big.Int).Lsh(big.NewInt(1), 64)
)

// regValue accepts [-2**63, 2**64): negative values are stored in two's complement.
func regValue(n starlark.Int) (uint64, error) {
	x := n.BigInt()
	if x.Cmp(minReg) < 0 || x.Cmp(maxReg) >= 0 {
		return 0, fmt.Errorf("value %v is out of range [-2**63, 2**64)", n)
	}
	if x.Sign() < 0 {
		x.Add(x, maxReg)
	}
	return x.Uint64(), nil
}

func (t *Thread) fpregs() (starlark.Value, error) {
	fp, err := t.t.FPRegs()
	if err != nil {
		return nil, fmt.Errorf("thread.fpregs: %w", err)
	}
	d := starlark.StringDict{"mxcsr": starlark.MakeUint64(uint64(fp.MXCSR)), "avx": starlark.Bool(fp.HasAVX)}
	for i := range fp.ST {
		d[fmt.Sprintf("st%d", i)] = starlark.Bytes(fp.ST[i][:])
	}
	for i := range fp.XMM {
		d[fmt.Sprintf("xmm%d", i)] = starlark.Bytes(fp.XMM[i][:])
		d[fmt.Sprintf("ymm%d", i)] = starlark.Bytes(fp.YMM[i][:])
	}
	return starlarkstruct.FromStringDict(starlark.String("fpregs"), d), nil
}
