package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"

	"stardbg/core"
	"stardbg/core/uprobe"
)

// Hit is one record of a tracepoint (Starlark type "hit"): what the kernel
// saw when a thread entered the traced address, the program running on.
type Hit struct {
	p     *Process
	bp    *core.Breakpoint
	tid   int
	time  uint64 // ns, CLOCK_MONOTONIC
	regs  hitRegs
	frame *Frame   // for var, made on first use
	names []string // capture names, sorted
	mem   [][]byte // by name; nil where the memory could not be read
	dict  *starlark.Dict
}

var _ starlark.HasAttrs = (*Hit)(nil)

func newHit(p *Process, h *core.Hit, names []string) *Hit {
	return &Hit{p: p, bp: h.Breakpoint, tid: h.Tid, time: h.Time, regs: hitRegs{h.Regs}, names: names, mem: h.Mem}
}

func (h *Hit) String() string {
	return fmt.Sprintf("<hit of tracepoint %d by thread %d at %.9f>", h.bp.ID, h.tid, float64(h.time)/1e9)
}
func (h *Hit) Type() string          { return "hit" }
func (h *Hit) Freeze()               {}
func (h *Hit) Truth() starlark.Bool  { return true }
func (h *Hit) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: hit") }
func (h *Hit) Attr(name string) (starlark.Value, error) {
	return getAttr(h, hitFields, hitMethods, name)
}
func (h *Hit) AttrNames() []string { return attrNames(hitFields, hitMethods) }

var hitFields = fields[*Hit]{
	"tid": {func(h *Hit) (starlark.Value, error) { return starlark.MakeInt(h.tid), nil }, "tid: the thread that hit."},
	"time": {func(h *Hit) (starlark.Value, error) { return starlark.Float(float64(h.time) / 1e9), nil },
		"time: when, in seconds of the monotonic clock (CLOCK_MONOTONIC, nanosecond precision)."},
	"regs": {func(h *Hit) (starlark.Value, error) { return &h.regs, nil },
		"regs: the general registers at the hit, read-only (rip is the traced address); fs_base, gs_base and the segment selectors other than cs and ss are not recorded."},
	"mem": {func(h *Hit) (starlark.Value, error) { return h.memDict(), nil },
		"mem: a dict from the names of the tracepoint's capture to the bytes copied at the hit (None where the address could not be read)."},
	"tracepoint": {func(h *Hit) (starlark.Value, error) { return h.bp.Data.(*Breakpoint), nil }, "tracepoint: the breakpoint that made the record."},
}

var hitMethods = methods{
	"arg": {hitArg, "arg(i, abi=\"c\", signed=False) -> int\n\nInteger argument i (from 0) at the hit, from the registers " +
		"of an ABI: \"c\" (rdi, rsi, rdx, rcx, r8, r9) or \"go\" (rax, rbx, rcx, rdi, rsi, r8-r11). Arguments on the stack " +
		"are not recorded: capture them with (\"reg\", \"rsp\", n)."},
	"var": {hitVar, `var(name) -> value

An argument of the traced function by name, from its DWARF at its entry, as
frame.var reads it there: ints, pointers, enums, bools, and Go strings and
slices, from the registers the kernel recorded at the hit. The program ran
on: memory the value reaches (a string's bytes, a pointer's target) is read
when it is used, as it is then; capture what must be seen as it was at the
hit. Vector registers are not recorded: a float argument is unavailable.`},
}

func hitVar(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	h := recv[*Hit](b)
	if h.frame == nil {
		vf, err := h.p.p.HitFrame(&h.regs.r)
		if err != nil {
			return nil, wrapErr(b, err)
		}
		fs := h.p.expandFrames([]*core.VarFrame{vf}, 1)
		if len(fs) == 0 {
			return nil, errorf(b, "no function at %#x", h.regs.r.Rip)
		}
		h.frame = fs[0]
	}
	return starlark.Call(thread, frameMethods.attr(h.frame, "var"), starlark.Tuple{starlark.String(name)}, nil)
}

func (h *Hit) memDict() *starlark.Dict {
	if h.dict != nil {
		return h.dict
	}
	d := starlark.NewDict(len(h.names))
	for i, n := range h.names {
		var v starlark.Value = starlark.None
		if h.mem[i] != nil {
			v = starlark.Bytes(h.mem[i])
		}
		d.SetKey(starlark.String(n), v)
	}
	d.Freeze()
	h.dict = d
	return d
}

func hitArg(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var i int
	abi := "c"
	signed := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i", &i, "abi?", &abi, "signed?", &signed); err != nil {
		return nil, err
	}
	r, err := argReg(abi, i)
	if err != nil {
		return nil, errorf(b, "%v", err)
	}
	v := recv[*Hit](b).regs.reg(r)
	if signed {
		return starlark.MakeInt64(int64(v)), nil
	}
	return starlark.MakeUint64(v), nil
}

// hitRegs are the registers of a hit (Starlark type "regs", read-only).
type hitRegs struct{ r unix.PtraceRegs }

func (r *hitRegs) reg(i uprobe.Reg) uint64 { return core.RegOf(&r.r, core.Reg(i)) }

var (
	_ starlark.HasAttrs = (*hitRegs)(nil)
	_ starlark.Mapping  = (*hitRegs)(nil)
)

func (r *hitRegs) String() string        { return fmt.Sprintf("<regs at rip %#x>", r.r.Rip) }
func (r *hitRegs) Type() string          { return "regs" }
func (r *hitRegs) Freeze()               {}
func (r *hitRegs) Truth() starlark.Bool  { return true }
func (r *hitRegs) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: regs") }
func (r *hitRegs) AttrNames() []string {
	return append([]string(nil), core.RegNames[:uprobe.NumRegs]...)
}
func (r *hitRegs) Attr(name string) (starlark.Value, error) {
	i, ok := hitReg(name)
	if !ok {
		return nil, nil // "regs has no .name field or method", with a hint
	}
	return starlark.MakeUint64(r.reg(i)), nil
}

func (r *hitRegs) Get(k starlark.Value) (starlark.Value, bool, error) {
	name, ok := k.(starlark.String)
	if !ok {
		return nil, false, fmt.Errorf("regs: register names are strings, got %s", k.Type())
	}
	i, ok := hitReg(string(name))
	if !ok {
		return nil, false, fmt.Errorf("regs: no register %q in a hit's registers%s", string(name), hint(string(name), r.AttrNames()))
	}
	return starlark.MakeUint64(r.reg(i)), true, nil
}

// hitReg is the register of a name, if a hit records it.
func hitReg(name string) (uprobe.Reg, bool) {
	r := core.RegIndex(name)
	return uprobe.Reg(r), r >= 0 && uprobe.Reg(r) < uprobe.NumRegs
}
