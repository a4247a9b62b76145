package builtins

import (
	"errors"
	"fmt"
	"sort"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/uprobe"
)

const tracepointDoc = `tracepoint(where, on_hit=None, capture=None, cond=None) -> breakpoint

A breakpoint that never stops the program: a kernel uprobe at where (any
location break_at accepts, resolved the same way, pending ones included)
whose eBPF program counts each hit in the kernel and, with on_hit, records
the thread, a timestamp, the general registers and the memory capture asks
for. Function entries only; C and Go functions, launched and attached
processes (only the traced process's hits count, not those of other
processes running the same file). It returns a breakpoint of kind
"tracepoint": hits is the kernel's exact count, also without on_hit;
enabled, enable(), disable(), clear() and location are as for others.

on_hit(rec) gets each hit record (type "hit") in the order the hits
happened, on the debugger's thread, while the program runs: during
wait_stop (and run), as fast as the script consumes them. Records wait in a
256 MiB ring buffer (about 1,400,000 records without captures): those that do
not fit are dropped and counted in bp.lost, and stardbg run warns about
them. Without on_hit, nothing is recorded and nothing is lost. An error in
on_hit stops the process and is raised by wait_stop; on_hit's result is
ignored.

capture is a dict from names to what to copy at the hit, in the kernel, so
that rec.mem[name] is the memory as it was then (bytes; None if it could
not be read):
  ("arg", i, n)        n bytes at the address in argument i
  ("string", i, max)   the NUL-terminated string at the address in argument
                       i, at most max bytes of it, without the NUL
  ("reg", "rsi", n)    n bytes at the address in a register
An "arg" or "string" tuple may end with the ABI, "c" (default) or "go".
n and max are at most 4096.

cond is a filter evaluated in the kernel, a dict with any of:
  "tid": N                       only thread N's hits
  "arg": i, or "reg": "rdi"      and one comparison of it (signed 64-bit):
  "eq", "ne", "lt", "le", "gt", "ge": value
  "abi": "c" or "go"             the ABI of "arg" (default "c")
{"arg": 0, "eq": 42} keeps the calls whose first argument is 42. A hit that
fails cond is neither counted nor recorded.

It needs eBPF and uprobes: root, or CAP_BPF with CAP_PERFMON, and a kernel
with the uprobe PMU (or tracefs) and BPF ring buffers (Linux 5.8). Where
they are missing, tracepoint fails and says what is missing; break_at does
the same work with stops. A tracepoint and a breakpoint cannot share an
address (one of them is refused), but may be set on two functions of one
process at once. Detaching, killing or the end of the script removes every
uprobe. A uprobe is set for the traced process alone: other processes
running the same file (a library: every process using it) are untouched.
The kernel follows the process by its main thread: when that thread exits
while others run on (pthread_exit in main), stardbg stops the other threads
and sets the uprobes again for every process, so no hit is missed or counted
twice (in a process attached after its main thread exited, they are set so
from the start); from then on other processes running the file trap too,
and their hits are not counted.`

func processTracepoint(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var where, onHit starlark.Value
	var capture, cond *starlark.Dict
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "where", &where, "on_hit?", &onHit, "capture?", &capture, "cond?", &cond); err != nil {
		return nil, err
	}
	env, err := envOf(thread, b)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	fn, err := callableArg(b, "on_hit", onHit)
	if err != nil {
		return nil, err
	}
	spec, err := locationArg(b, where)
	if err != nil {
		return nil, err
	}
	var cfg core.TracepointConfig
	var names []string
	if capture != nil && capture.Len() > 0 {
		if fn == nil {
			return nil, errorf(b, "capture needs on_hit: the captured memory is given to it")
		}
		if names, cfg.Captures, err = captureArg(b, capture); err != nil {
			return nil, err
		}
	}
	if cond != nil {
		if cfg.Cond, err = condArg(b, cond); err != nil {
			return nil, err
		}
	}
	bp := &Breakpoint{p: p}
	if fn != nil {
		cfg.OnHit = func(h *core.Hit) bool {
			pending := env.cbErr
			env.call(fn, newHit(p, h, names))
			return pending == nil && env.cbErr != nil
		}
	}
	cbp, err := p.p.TraceAt(spec, cfg)
	if err != nil {
		if errors.Is(err, uprobe.ErrUnsupported) {
			return nil, fmt.Errorf("%s: %w; break_at does the same work with stops", b.Name(), err)
		}
		return nil, notFoundErr(b, err)
	}
	cbp.Data = bp
	bp.bp = cbp
	return bp, nil
}

// captureArg reads tracepoint's capture dict: the names, sorted, and what
// each copies.
func captureArg(b *starlark.Builtin, d *starlark.Dict) ([]string, []uprobe.Capture, error) {
	byName := map[string]uprobe.Capture{}
	for _, item := range d.Items() {
		name, ok := starlark.AsString(item[0])
		if !ok {
			return nil, nil, errorf(b, "capture names are strings, got %s", item[0].Type())
		}
		c, err := captureSpec(b, name, item[1])
		if err != nil {
			return nil, nil, err
		}
		byName[name] = c
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	cs := make([]uprobe.Capture, len(names))
	for i, n := range names {
		cs[i] = byName[n]
	}
	return names, cs, nil
}

// captureSpec reads one capture: ("arg", i, n), ("string", i, max) or
// ("reg", name, n).
func captureSpec(b *starlark.Builtin, name string, v starlark.Value) (uprobe.Capture, error) {
	bad := func(why string) (uprobe.Capture, error) {
		return uprobe.Capture{}, errorf(b, "capture %q: %s, got %s (want (\"arg\", i, n), (\"string\", i, max) or (\"reg\", name, n))", name, why, v)
	}
	t, ok := v.(starlark.Tuple)
	if !ok || len(t) < 3 || len(t) > 4 {
		return bad("not a tuple of 3")
	}
	kind, _ := starlark.AsString(t[0])
	var c uprobe.Capture
	switch kind {
	case "arg", "string":
		c.Kind = uprobe.CaptureMem
		if kind == "string" {
			c.Kind = uprobe.CaptureString
		}
		abi := "c"
		if len(t) == 4 {
			abi, _ = starlark.AsString(t[3])
		}
		i, err := starlark.AsInt32(t[1])
		if err != nil {
			return bad("the argument index is not an int")
		}
		r, err := argReg(abi, i)
		if err != nil {
			return bad(err.Error())
		}
		c.Reg = r
	case "reg":
		rn, _ := starlark.AsString(t[1])
		r, ok := hitReg(rn)
		if !ok || len(t) != 3 {
			return bad(fmt.Sprintf("no register %q in a hit's registers", rn))
		}
		c.Reg = r
	default:
		return bad(fmt.Sprintf("unknown kind %q", kind))
	}
	n, err := starlark.AsInt32(t[2])
	if err != nil || n < 1 || n > uprobe.MaxCapture {
		return bad(fmt.Sprintf("the size must be an int in [1, %d]", uprobe.MaxCapture))
	}
	c.Size = n
	return c, nil
}

// argReg is the register of integer argument i in an ABI.
func argReg(abi string, i int) (uprobe.Reg, error) {
	regs, ok := argRegs[abi]
	if !ok {
		return 0, fmt.Errorf("unknown abi %q (want \"c\" or \"go\")", abi)
	}
	if i < 0 || i >= len(regs) {
		return 0, fmt.Errorf("argument %d is not in a register in the %s ABI (0 to %d are)", i, abi, len(regs)-1)
	}
	return uprobe.Reg(regs[i]), nil
}

// condArg reads tracepoint's cond dict.
func condArg(b *starlark.Builtin, d *starlark.Dict) (uprobe.Cond, error) {
	var c uprobe.Cond
	abi := "c"
	argIdx, regName, hasArg, hasReg := 0, "", false, false
	for _, item := range d.Items() {
		k, ok := starlark.AsString(item[0])
		if !ok {
			return c, errorf(b, "cond keys are strings, got %s", item[0].Type())
		}
		var err error
		switch k {
		case "tid":
			c.Tid, err = starlark.AsInt32(item[1])
			if err == nil && c.Tid <= 0 {
				err = fmt.Errorf("not a thread id")
			}
		case "arg":
			argIdx, err = starlark.AsInt32(item[1])
			hasArg = true
		case "reg":
			regName, ok = starlark.AsString(item[1])
			if !ok {
				err = fmt.Errorf("not a register name")
			}
			hasReg = true
		case "abi":
			if abi, ok = starlark.AsString(item[1]); !ok {
				err = fmt.Errorf("not a string")
			}
		default:
			op, ok := uprobe.Ops[k]
			if !ok {
				return c, errorf(b, "cond: unknown key %q (want \"tid\", \"arg\" or \"reg\" with one of \"eq\", \"ne\", \"lt\", \"le\", \"gt\", \"ge\", and \"abi\")", k)
			}
			if c.Op != uprobe.OpNone {
				return c, errorf(b, "cond: one comparison at most, got two")
			}
			c.Op = op
			var n starlark.Int
			if n, ok = item[1].(starlark.Int); !ok {
				err = fmt.Errorf("not an int")
			} else if v, ok := n.Int64(); ok {
				c.Value = v
			} else if u, ok := n.Uint64(); ok {
				c.Value = int64(u)
			} else {
				err = fmt.Errorf("out of range")
			}
		}
		if err != nil {
			return c, errorf(b, "cond: %q: %v, got %s", k, err, item[1])
		}
	}
	if hasArg && hasReg {
		return c, errorf(b, "cond: \"arg\" and \"reg\" both given; compare one of them")
	}
	if (hasArg || hasReg) != (c.Op != uprobe.OpNone) {
		return c, errorf(b, "cond: a comparison needs both \"arg\" (or \"reg\") and one of \"eq\", \"ne\", \"lt\", \"le\", \"gt\", \"ge\"")
	}
	var err error
	switch {
	case hasArg:
		if c.Reg, err = argReg(abi, argIdx); err != nil {
			return c, errorf(b, "cond: %v", err)
		}
	case hasReg:
		r, ok := hitReg(regName)
		if !ok {
			return c, errorf(b, "cond: no register %q in a hit's registers", regName)
		}
		c.Reg = r
	}
	return c, nil
}
