package builtins

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/systab"
)

const catchSyscallDoc = `catch_syscall(names=None, on_entry=None, on_exit=None, cond=None) -> breakpoint

Catches system calls: a breakpoint of kind "syscall" whose location is
"syscall openat, write". names is a list of x86-64 system call names, as
the kernel and strace name them ("openat", "write", "clone3",
"newfstatat"), or numbers; None catches every call. An unknown name is an
error with the closest name ("did you mean").

cond(thread, sc), if given, decides at a call's entry whether it counts
(hits); the exit of a call that did not count is not seen. on_entry(thread,
sc) runs when a thread enters a counted call, on_exit(thread, sc) when it
returns, with that thread stopped and the others running; a true result
stops the process and wait_stop returns an event of kind "syscall_entry" or
"syscall_exit" whose syscall is sc. Without callbacks every counted call
stops at its entry and at its exit, as gdb's catch syscall does. The entry
and the exit of one call are the same sc (see syscall): on_exit reads what
on_entry saw, and sc.data keeps what a callback stores there. A call whose
entry was seen has its exit seen, also when the catchpoint is disabled or
cleared in between, unless the call never returns: exit and exit_group, a
call in progress when the process ends (a Go program's futex waits), one
whose signal handler leaves with longjmp.

Every thread is caught, new ones too, and across execve: the exit of a
successful execve is seen in the new program. The calls of children (fork,
vfork, clone without CLONE_THREAD) are not: a child followed with
follow_forks is a process of its own, with catchpoints of its own. A call that a signal
interrupts is one call: its exit is what the program sees (EINTR once the
handler returns, or the result of the call the kernel restarts).

In a launched process the kernel stops only the caught calls: stardbg
installs a seccomp filter (SECCOMP_RET_TRACE for the caught numbers), so
the other calls run at full speed. A filter stays in the process for its
whole life: clearing the catchpoint lets its calls go on at once, but
detach() of such a process fails (untraced, its caught calls would fail with
ENOSYS), and the children it forks keep being traced, silently, until they
exit. A program that is not root gets no_new_privs set first, as the kernel
requires for a filter. An attached process gets no filter: every thread runs
with PTRACE_SYSCALL while a catchpoint is enabled (slower, but it can be
detached).`

const syscallTypeDoc = "A system call a catchpoint caught, from on_entry and on_exit or event.syscall: " +
	"the same object at the call's entry and at its exit. Its arguments can be changed and the call made to " +
	"fail at its entry, its result at its exit."

// Syscall is a caught system call (Starlark type "syscall").
type Syscall struct {
	p    *Process
	sc   *core.Syscall
	data *starlark.Dict
	bm   map[string]*starlark.Builtin
}

var _ starlark.HasAttrs = (*Syscall)(nil)

func (p *Process) syscall(sc *core.Syscall) *Syscall {
	if sc == nil {
		return nil
	}
	if s, ok := sc.Data.(*Syscall); ok {
		return s
	}
	s := &Syscall{p: p, sc: sc}
	sc.Data = s
	return s
}

func (s *Syscall) boundMethods() *map[string]*starlark.Builtin { return &s.bm }

// String is strace's line: openat(0xffffff9c, 0x7ffd..., 0x0, ...) = 3, or = -1 ENOENT.
func (s *Syscall) String() string {
	var b strings.Builder
	b.WriteString(s.sc.Name() + "(")
	for i, a := range s.sc.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%#x", a)
	}
	b.WriteString(")")
	if s.sc.Exited() {
		if e := errnoOf(s.sc.Ret); e != "" {
			fmt.Fprintf(&b, " = -1 %s", e)
		} else {
			fmt.Fprintf(&b, " = %d", s.sc.Ret)
		}
	}
	return b.String()
}
func (s *Syscall) Type() string          { return "syscall" }
func (s *Syscall) Freeze()               {}
func (s *Syscall) Truth() starlark.Bool  { return true }
func (s *Syscall) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: syscall") }
func (s *Syscall) Attr(name string) (starlark.Value, error) {
	return getAttr(s, syscallFields, syscallMethods, name)
}
func (s *Syscall) AttrNames() []string { return attrNames(syscallFields, syscallMethods) }

// errnoOf is the errno name of an error result, or "".
func errnoOf(ret int64) string {
	if ret >= 0 || ret < -systab.MaxErrno {
		return ""
	}
	if n := systab.ErrnoName(int(-ret)); n != "" {
		return n
	}
	return fmt.Sprintf("E%d", -ret)
}

var syscallFields = fields[*Syscall]{
	"name": {func(s *Syscall) (starlark.Value, error) { return starlark.String(s.sc.Name()), nil },
		`name: the call's name ("openat"), or "syscall_N" for a number stardbg does not know.`},
	"nr": {func(s *Syscall) (starlark.Value, error) { return starlark.MakeInt(s.sc.Nr), nil },
		"nr: the call's x86-64 number."},
	"args": {func(s *Syscall) (starlark.Value, error) {
		t := make(starlark.Tuple, 6)
		for i, a := range s.sc.Args {
			t[i] = starlark.MakeUint64(a)
		}
		return t, nil
	}, "args: the six argument registers at entry (rdi, rsi, rdx, r10, r8, r9), unsigned, as set_arg left them."},
	"ret": {func(s *Syscall) (starlark.Value, error) {
		return orNone(starlark.MakeInt64(s.sc.Ret), s.sc.Exited()), nil
	}, "ret: at the exit, the value the call returns, signed (-2 for ENOENT, as the kernel returns it); None at the entry."},
	"errno": {func(s *Syscall) (starlark.Value, error) {
		if !s.sc.Exited() {
			return starlark.None, nil
		}
		e := errnoOf(s.sc.Ret)
		return orNone(starlark.String(e), e != ""), nil
	}, `errno: at the exit, the error's name ("ENOENT") when ret is -1 to -4095, else None (success, or the entry).`},
	"exited": {func(s *Syscall) (starlark.Value, error) { return starlark.Bool(s.sc.Exited()), nil },
		"exited: whether the call has returned (ret is set)."},
	"thread": {func(s *Syscall) (starlark.Value, error) { return s.p.thread(s.sc.Thread()), nil },
		"thread: the thread that made the call."},
	"data": {func(s *Syscall) (starlark.Value, error) {
		if s.data == nil {
			s.data = new(starlark.Dict)
		}
		return s.data, nil
	}, "data: a dict for the callbacks, the same at the call's entry and exit: sc.data[\"path\"] = ..."},
}

var syscallMethods = methods{
	"arg": {syscallArg, "arg(i) -> int\n\nArgument i (0-5), unsigned: sc.args[i]."},
	"set_arg": {syscallSetArg, "set_arg(i, value)\n\nAt the entry, changes argument register i (0-5) to value " +
		"(an int; negative ones are stored in two's complement): the call runs with it. A pointer argument can be " +
		"made to point at other memory of the program (a path written with poke)."},
	"fail": {syscallFail, "fail(errno)\n\nAt the entry, makes the call not run and return the error errno, a " +
		"name (\"ENOSPC\") or a number: the program sees -1 and errno as if the kernel had failed it."},
	"skip": {syscallSkip, "skip(ret=0)\n\nAt the entry, makes the call not run and return ret (a write that " +
		"skip(len) pretends to have written)."},
	"set_ret": {syscallSetRet, "set_ret(value)\n\nAt the exit, changes the value the program sees " +
		"(-errno for an error: set_ret(-28) is ENOSPC)."},
}

func syscallArg(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var i int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i", &i); err != nil {
		return nil, err
	}
	if i < 0 || i > 5 {
		return nil, errorf(b, "argument index %d out of range 0-5", i)
	}
	return starlark.MakeUint64(recv[*Syscall](b).sc.Args[i]), nil
}

// int64Arg reads an int that fits in 64 bits, signed or unsigned.
func int64Arg(b *starlark.Builtin, what string, v starlark.Int) (int64, error) {
	if i, ok := v.Int64(); ok {
		return i, nil
	}
	if u, ok := v.Uint64(); ok {
		return int64(u), nil
	}
	return 0, errorf(b, "%s %v does not fit in 64 bits", what, v)
}

// syscallErr names the call in core's phase errors.
func syscallErr(b *starlark.Builtin, s *Syscall, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", b.Name(), s.sc.Name(), err)
}

func syscallSetArg(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var i int
	var v starlark.Int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i", &i, "value", &v); err != nil {
		return nil, err
	}
	if i < 0 || i > 5 {
		return nil, errorf(b, "argument index %d out of range 0-5", i)
	}
	n, err := int64Arg(b, "value", v)
	if err != nil {
		return nil, err
	}
	s := recv[*Syscall](b)
	return starlark.None, syscallErr(b, s, s.sc.SetArg(i, uint64(n)))
}

func syscallFail(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "errno", &e); err != nil {
		return nil, err
	}
	var n int
	switch e := e.(type) {
	case starlark.String:
		var ok bool
		if n, ok = systab.Errno(strings.ToUpper(string(e))); !ok {
			return nil, errorf(b, "unknown errno %q%s", string(e), hint(string(e), systab.ErrnoNames()))
		}
	case starlark.Int:
		v, ok := e.Int64()
		if !ok || v < 1 || v > systab.MaxErrno {
			return nil, errorf(b, "errno %v out of range 1-%d", e, systab.MaxErrno)
		}
		n = int(v)
	default:
		return nil, errorf(b, "errno must be a name (\"ENOENT\") or a number, got %s", e.Type())
	}
	s := recv[*Syscall](b)
	return starlark.None, syscallErr(b, s, s.sc.Skip(-int64(n)))
}

// syscallIntMethod is a method of one int argument, param ("ret?" for an
// optional one, 0 by default), that do applies to the call.
func syscallIntMethod(param string, do func(*core.Syscall, int64) error) builtinFn {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		v := starlark.MakeInt(0)
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, param, &v); err != nil {
			return nil, err
		}
		n, err := int64Arg(b, strings.TrimSuffix(param, "?"), v)
		if err != nil {
			return nil, err
		}
		s := recv[*Syscall](b)
		return starlark.None, syscallErr(b, s, do(s.sc, n))
	}
}

var (
	syscallSkip   = syscallIntMethod("ret?", (*core.Syscall).Skip)
	syscallSetRet = syscallIntMethod("value", (*core.Syscall).SetRet)
)

// syscallNumbers reads catch_syscall's names: nil for None (every call).
func syscallNumbers(b *starlark.Builtin, names starlark.Value) ([]int, error) {
	if names == nil || names == starlark.None {
		return nil, nil
	}
	it, ok := names.(starlark.Iterable)
	if !ok || names.Type() == "string" {
		return nil, errorf(b, "names must be a list of system call names or numbers, or None, got %s", names.Type())
	}
	nrs := []int{}
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		switch x := x.(type) {
		case starlark.String:
			nr, ok := systab.Number(string(x))
			if !ok {
				return nil, errorf(b, "unknown system call %q%s", string(x), hint(string(x), systab.Names()))
			}
			nrs = append(nrs, nr)
		case starlark.Int:
			v, ok := x.Int64()
			if !ok || v < 0 || v > int64(systab.Max) {
				return nil, errorf(b, "system call number %v out of range 0-%d", x, systab.Max)
			}
			nrs = append(nrs, int(v))
		default:
			return nil, errorf(b, "a system call is a name or a number, got %s", x.Type())
		}
	}
	if len(nrs) == 0 {
		return nil, errorf(b, "names is empty (None catches every call)")
	}
	sort.Ints(nrs)
	return nrs, nil
}

func processCatchSyscall(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var names, onEntry, onExit, cond starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "names?", &names, "on_entry?", &onEntry,
		"on_exit?", &onExit, "cond?", &cond); err != nil {
		return nil, err
	}
	if _, err := envOf(thread, b); err != nil {
		return nil, err
	}
	nrs, err := syscallNumbers(b, names)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	bp, err := newBreakpoint(b, p, nil, cond, false)
	if err != nil {
		return nil, err
	}
	bp.sys = true
	if bp.onEntry, err = callableArg(b, "on_entry", onEntry); err != nil {
		return nil, err
	}
	if bp.onExit, err = callableArg(b, "on_exit", onExit); err != nil {
		return nil, err
	}
	cbp, err := p.p.CatchSyscall(nrs, bp.sysHit)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return bp.bind(cbp, bp.sysCondHolds), nil
}

// sysCondHolds is the engine's Cond for a catchpoint with a cond, at a call's entry.
func (bp *Breakpoint) sysCondHolds(ct *core.Thread, _ *core.Breakpoint) bool {
	env := bp.p.env
	pending := env.cbErr
	holds := env.call(bp.cond, bp.p.thread(ct), bp.p.syscall(ct.Syscall()))
	bp.condFailed = pending == nil && env.cbErr != nil
	return holds
}

// sysHit is the engine's callback of a catchpoint, at the entry and at the
// exit of each call that counted.
func (bp *Breakpoint) sysHit(ct *core.Thread, _ *core.Breakpoint) bool {
	sc := bp.p.syscall(ct.Syscall())
	exit := sc.sc.Exited()
	if !exit {
		bp.hits++
	}
	if bp.condFailed {
		bp.condFailed = false
		return true
	}
	fn := bp.onEntry
	if exit {
		fn = bp.onExit
	}
	if fn == nil {
		// Without callbacks, every call stops at both ends; with one, the
		// other end runs on.
		return bp.onEntry == nil && bp.onExit == nil
	}
	return bp.p.env.call(fn, bp.p.thread(ct), sc)
}
