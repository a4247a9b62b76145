package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"

	"stardbg/core"
)

// Thread is one thread of a traced process (Starlark type "thread").
type Thread struct {
	proc  *Process
	t     *core.Thread
	gone  bool
	bound map[string]*starlark.Builtin
}

func (t *Thread) boundMethods() *map[string]*starlark.Builtin { return &t.bound }

var (
	_ starlark.HasAttrs    = (*Thread)(nil)
	_ starlark.HasSetField = (*Thread)(nil)
)

func (t *Thread) String() string {
	return fmt.Sprintf("<thread %d of process %d>", t.t.Tid(), t.proc.p.Pid())
}
func (t *Thread) Type() string          { return "thread" }
func (t *Thread) Freeze()               {}
func (t *Thread) Truth() starlark.Bool  { return true }
func (t *Thread) Hash() (uint32, error) { return uint32(t.t.Tid()), nil }
func (t *Thread) Attr(name string) (starlark.Value, error) {
	return getAttr(t, threadFields, threadMethods, name)
}
func (t *Thread) AttrNames() []string { return attrNames(threadFields, threadMethods) }

// SetField assigns t.signal (the signal delivered when the thread resumes).
func (t *Thread) SetField(name string, v starlark.Value) error {
	if name != "signal" {
		if _, ok := threadFields[name]; ok {
			return fmt.Errorf("thread.%s is read-only", name)
		}
		return starlark.NoSuchAttrError(fmt.Sprintf("thread has no .%s field", name))
	}
	if v == starlark.None {
		t.t.SetSignal(0)
		return nil
	}
	var sig signalArg
	if err := sig.Unpack(v); err != nil {
		return fmt.Errorf("thread.signal: %w", err)
	}
	t.t.SetSignal(unix.Signal(sig))
	return nil
}

var threadFields = fields[*Thread]{
	"tid":     {func(t *Thread) (starlark.Value, error) { return starlark.MakeInt(t.t.Tid()), nil }, "tid: the thread id."},
	"name":    {func(t *Thread) (starlark.Value, error) { return starlark.String(t.t.Name()), nil }, "name: the thread's name (its comm)."},
	"process": {func(t *Thread) (starlark.Value, error) { return t.proc, nil }, "process: the process of the thread."},
	"state": {func(t *Thread) (starlark.Value, error) { return starlark.String(t.t.State()), nil },
		`state: "stopped", "running", "exiting" or "exited".`},
	"pc": {func(t *Thread) (starlark.Value, error) { return t.reg("pc", core.RIP) }, "pc: the instruction pointer (rip)."},
	"sp": {func(t *Thread) (starlark.Value, error) { return t.reg("sp", core.RSP) }, "sp: the stack pointer (rsp)."},
	"regs": {func(t *Thread) (starlark.Value, error) { return &Regs{t: t}, nil },
		"regs: the general-purpose registers, by attribute or key (t.regs.rax, t.regs[\"rip\"]); assigning one " +
			"(t.regs.rax = 0) writes it. dir(t.regs) lists the names. In a callback, the registers (and pc, sp, " +
			"arg, fpregs, backtrace) of another thread, which is running, stop that thread until the callback returns."},
	"fpregs": {func(t *Thread) (starlark.Value, error) { return t.fpregs() },
		"fpregs: a snapshot of the x87, SSE and AVX registers: st0..st7 (10 bytes each), xmm0..xmm15 (16 bytes), " +
			"ymm0..ymm15 (32 bytes), mxcsr (int)."},
	"goroutine": {func(t *Thread) (starlark.Value, error) { return t.goroutine() }, threadGoroutineDoc},
	"signal": {func(t *Thread) (starlark.Value, error) {
		if s := t.t.Signal(); s != 0 {
			return starlark.String(core.SignalName(s)), nil
		}
		return starlark.None, nil
	}, "signal: the signal delivered to the thread when it resumes, or None; assign None to suppress it."},
}

var threadMethods = methods{
	"step": {threadStep, "step() -> event\n\nExecutes exactly one instruction of this thread while the others stay " +
		"stopped (stepping over a breakpoint under it) and returns the event: normally \"step\"."},
	"arg": {threadArg, "arg(i, abi=\"c\", signed=False) -> int\n\nInteger argument i (from 0) at a function's entry: " +
		"abi \"c\" is the SysV ABI (rdi, rsi, rdx, rcx, r8, r9, then the stack), \"go\" is Go's register ABI (rax, " +
		"rbx, rcx, rdi, rsi, r8, r9, r10, r11, then the stack). The 64 bits are read as unsigned, or with " +
		"signed=True as a signed (two's complement) int: an int or long argument of -1 is then -1, not 2**64-1. " +
		"A narrower argument (a C int) fills only the low bits: t.arg(0) & 0xffffffff."},
	"next":        {threadNext, nextDoc},
	"step_in":     {threadStepIn, stepInDoc},
	"finish":      {threadFinish, finishDoc},
	"until":       {threadUntil, untilDoc},
	"backtrace":   {threadBacktrace, backtraceDoc},
	"frame":       {threadFrame, frameDoc},
	"send_signal": {threadSendSignal, "send_signal(name)\n\nSends a signal to this thread (tgkill)."},
}

func (t *Thread) reg(what string, i core.Reg) (starlark.Value, error) {
	v, err := t.t.Reg(i)
	if err != nil {
		return nil, fmt.Errorf("thread.%s: %w", what, err)
	}
	return starlark.MakeUint64(v), nil
}

func threadStep(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	t := recv[*Thread](b)
	ev, err := t.t.Step()
	if err != nil {
		return nil, wrapErr(b, err)
	}
	if cbErr := env.takeCallbackError(); cbErr != nil {
		return nil, cbErr
	}
	return t.proc.event(ev), nil
}

// argRegs are the registers of the integer arguments, by ABI.
var argRegs = map[string][]core.Reg{
	"c":  {core.RDI, core.RSI, core.RDX, core.RCX, core.R8, core.R9},
	"go": {core.RAX, core.RBX, core.RCX, core.RDI, core.RSI, core.R8, core.R9, core.R10, core.R11},
}

func threadArg(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var i int
	abi := "c"
	signed := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i", &i, "abi?", &abi, "signed?", &signed); err != nil {
		return nil, err
	}
	regs, ok := argRegs[abi]
	if !ok {
		return nil, errorf(b, "unknown abi %q (want \"c\" or \"go\")", abi)
	}
	if i < 0 || i > 64 {
		return nil, errorf(b, "argument index %d is out of range [0, 64]", i)
	}
	t := recv[*Thread](b)
	if i < len(regs) {
		v, err := t.t.Reg(regs[i])
		if err != nil {
			return nil, wrapErr(b, err)
		}
		if signed {
			return starlark.MakeInt64(int64(v)), nil
		}
		return starlark.MakeUint64(v), nil
	}
	// On the stack, above the return address.
	sp, err := t.t.SP()
	if err != nil {
		return nil, wrapErr(b, err)
	}
	var buf [8]byte
	if _, err := t.proc.p.ReadMemory(sp+8*uint64(i-len(regs)+1), buf[:]); err != nil {
		return nil, memErr(b, t.proc, err)
	}
	return decodeInt(buf[:], signed), nil
}

func threadSendSignal(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sig signalArg
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &sig); err != nil {
		return nil, err
	}
	return starlark.None, wrapErr(b, recv[*Thread](b).t.SendSignal(unix.Signal(sig)))
}
