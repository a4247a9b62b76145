package builtins

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/internal/testtarget"
	"stardbg/script"
)

// fuzzSkipped are the methods FuzzBuiltins does not call: those that let the
// target run (its program counter and registers are the fuzzer's, so it
// could make any system call: kill(-1, SIGKILL) as root), end it, or start
// programs and attach to arbitrary pids. bad_input.star and the other
// tests call them with bad arguments.
var fuzzSkipped = map[string]bool{
	"process.cont": true, "process.run": true, "process.wait_stop": true,
	"process.detach": true, "process.kill": true, "thread.step": true,
	"launch": true, "attach": true,
}

// A fuzzOp is one thing FuzzBuiltins can do with arbitrary arguments.
type fuzzOp struct {
	name string // "process.peek", "regs.setkey", "pack"
	call func(fz *fuzzTarget, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)
}

// fuzzOps lists every builtin and every method of the Starlark API (but the
// skipped ones), and the attribute and key access of its values.
func fuzzOps() []fuzzOp {
	var ops []fuzzOp
	method := func(typ string, ms methods, recv func(fz *fuzzTarget) starlark.Value) {
		for _, name := range ms.names() {
			full := typ + "." + name
			if typ == "" {
				full = name
			}
			if fuzzSkipped[full] {
				continue
			}
			ops = append(ops, fuzzOp{full, func(fz *fuzzTarget, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				b := starlark.NewBuiltin(name, ms[name].fn)
				if r := recv(fz); r != nil {
					b = b.BindReceiver(r)
				}
				return starlark.Call(fz.thread, b, args, kwargs)
			}})
		}
	}
	method("", globals, func(*fuzzTarget) starlark.Value { return nil })
	method("process", processMethods, func(fz *fuzzTarget) starlark.Value { return fz.p })
	method("thread", threadMethods, func(fz *fuzzTarget) starlark.Value { return fz.t })
	method("breakpoint", breakpointMethods, func(fz *fuzzTarget) starlark.Value { return fz.bp })
	values := map[string]func(fz *fuzzTarget) starlark.Value{
		"process":    func(fz *fuzzTarget) starlark.Value { return fz.p },
		"thread":     func(fz *fuzzTarget) starlark.Value { return fz.t },
		"breakpoint": func(fz *fuzzTarget) starlark.Value { return fz.bp },
		"regs":       func(fz *fuzzTarget) starlark.Value { return &Regs{t: fz.t} },
	}
	for _, typ := range []string{"breakpoint", "process", "regs", "thread"} {
		v := values[typ]
		ops = append(ops, fuzzOp{typ + ".getattr", func(fz *fuzzTarget, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			name, _ := starlark.AsString(first1(args))
			return v(fz).(starlark.HasAttrs).Attr(name)
		}})
	}
	for _, typ := range []string{"regs", "thread"} {
		v := values[typ]
		ops = append(ops, fuzzOp{typ + ".setfield", func(fz *fuzzTarget, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			name, _ := starlark.AsString(first1(args))
			val := starlark.Value(starlark.None)
			if len(args) > 1 {
				val = args[1]
			}
			return starlark.None, v(fz).(starlark.HasSetField).SetField(name, val)
		}})
	}
	ops = append(ops,
		fuzzOp{"regs.getkey", func(fz *fuzzTarget, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			v, _, err := (&Regs{t: fz.t}).Get(first1(args))
			return v, err
		}},
		fuzzOp{"regs.setkey", func(fz *fuzzTarget, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			val := starlark.Value(starlark.None)
			if len(args) > 1 {
				val = args[1]
			}
			return starlark.None, (&Regs{t: fz.t}).SetKey(first1(args), val)
		}},
	)
	return ops
}

func first1(args starlark.Tuple) starlark.Value {
	if len(args) == 0 {
		return starlark.None
	}
	return args[0]
}

// fuzzTarget is the stopped process a fuzz worker calls methods on: c/hotloop
// stopped at its first call of hot, launched once and again only when a call
// (send_signal) ended it.
type fuzzTarget struct {
	bin    string
	eng    *core.Engine
	env    *Env
	thread *starlark.Thread
	p      *Process
	t      *Thread
	bp     *Breakpoint
	fns    starlark.StringDict // functions to pass as arguments
	addrs  []uint64            // interesting addresses of the target
	inputs int
}

func (fz *fuzzTarget) launch() error {
	var err error
	fz.eng.Do(func() {
		if fz.p != nil {
			fz.p.release()
		}
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		defer devnull.Close()
		fz.p, err = fz.env.Launch(core.LaunchConfig{Path: fz.bin, Args: []string{fz.bin, "1000000"}, Stdout: devnull})
		if err != nil {
			return
		}
		var bp *core.Breakpoint
		if bp, err = fz.p.p.BreakAt("hot", nil); err != nil {
			return
		}
		if err = fz.p.p.Continue(); err != nil {
			return
		}
		var ev *core.Event
		if ev, err = fz.p.p.Wait(time.Minute); err != nil {
			return
		}
		if ev.Kind != core.EventBreakpoint {
			err = fmt.Errorf("launch for fuzzing: %v", ev)
			return
		}
		bp.Clear()
		fz.t = fz.p.thread(ev.Thread)
		regs, _ := ev.Thread.Regs()
		fz.addrs = []uint64{regs.Rip, regs.Rsp, regs.Fs_base}
		for _, name := range []string{"hot", "main", "counter_global", "patch_me", "answer"} {
			if a, err := fz.p.lookup(name); err == nil {
				fz.addrs = append(fz.addrs, a)
			}
		}
	})
	return err
}

func newFuzzTarget(bin string) (*fuzzTarget, error) {
	fz := &fuzzTarget{bin: bin, eng: core.NewEngine()}
	fz.env = NewEnv(fz.eng)
	fz.thread = &starlark.Thread{Name: "fuzz"}
	SetEnv(fz.thread, fz.env)
	var err error
	fz.eng.Do(func() {
		fz.fns, err = starlark.ExecFileOptions(script.FileOptions(), fz.thread, "fuzz.star", `
def f_fail(*args, **kwargs):
    fail("callback failed")
f_none = lambda *args, **kwargs: None
f_true = lambda *args, **kwargs: True
`, starlark.StringDict{})
	})
	if err != nil {
		return nil, err
	}
	fz.fns["len"] = starlark.Universe["len"]
	return fz, fz.launch()
}

// healthy reports why the target cannot take the next input, or "".
func (fz *fuzzTarget) healthy() string {
	cp := fz.p.p
	if s := cp.State(); s != core.Stopped {
		return "the process is " + s.String()
	}
	for _, th := range cp.Threads() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", cp.Pid(), th.Tid()))
		if err != nil {
			return err.Error()
		}
		if i := strings.LastIndexByte(string(b), ')'); i < 0 || i+2 >= len(b) || b[i+2] != 't' {
			return fmt.Sprintf("thread %d is not in a ptrace-stop: %s", th.Tid(), b)
		}
	}
	return ""
}

// fuzzReader hands out the fuzz input's bytes, then zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = r.byte()
	}
	return out
}

func (r *fuzzReader) u64() uint64 { return binary.LittleEndian.Uint64(r.bytes(8)) }

var (
	fuzzStrings = []string{"", "hot", "main", "counter_global", "patch_me", "hotloop.c:27", "libc:malloc", "libc.so.6:free",
		"rax", "rip", "rsp", "cs", "eflags", "fs_base", "orig_rax", "signal", "pc", "SIGUSR1", "SIGKILL", "SIGSTOP",
		"usr2", "9", "c", "go", "w", "rw", "x", "exit", "thread_create", "thread_exit", "<Q", "@8s", "0x10", "*", ":",
		"main.(*T).Method", "no_such_symbol", "process.peek", "thread", "\x00", "\xff\xfe", strings.Repeat("a", 5000)}
	fuzzKwargs = []string{"addr", "n", "data", "value", "size", "signed", "max", "where", "on_hit", "cond", "once",
		"hardware", "kind", "fn", "name", "stop", "deliver", "all", "timeout", "i", "abi", "tid", "x", "fmt", "bogus"}
	fuzzInts = []uint64{0, 1, 2, 3, 4, 7, 8, 15, 16, 64, 4095, 4096, 1 << 20, 1<<31 - 1, 1 << 31, 1 << 32, 1<<63 - 1,
		1 << 63, math.MaxUint64, 0x10}
)

// value decodes one Starlark value: ints (small, huge, negative, the target's
// addresses), strings, bytes, None, bools, floats, lists, tuples, dicts,
// functions and the API's own values.
func (fz *fuzzTarget) value(r *fuzzReader, depth int) starlark.Value {
	kind := r.byte()
	switch kind % 16 {
	case 0:
		return starlark.MakeInt(int(int8(r.byte())))
	case 1:
		return starlark.MakeInt64(int64(r.u64()))
	case 2:
		v := starlark.MakeUint64(r.u64()).Lsh(uint(r.byte() % 80))
		if kind&0x80 != 0 {
			return starlark.MakeInt(0).Sub(v)
		}
		return v
	case 3:
		v := starlark.MakeUint64(fuzzInts[int(r.byte())%len(fuzzInts)])
		if kind&0x80 != 0 {
			return starlark.MakeInt(0).Sub(v)
		}
		return v
	case 4:
		a := fz.addrs[int(r.byte())%len(fz.addrs)]
		return starlark.MakeUint64(a + uint64(int64(int8(r.byte()))))
	case 5:
		return starlark.String(r.bytes(int(r.byte() % 24)))
	case 6:
		return starlark.String(fuzzStrings[int(r.byte())%len(fuzzStrings)])
	case 7:
		return starlark.Bytes(r.bytes(int(r.byte() % 40)))
	case 8:
		return starlark.None
	case 9:
		return starlark.Bool(r.byte()&1 == 1)
	case 10:
		return starlark.Float(math.Float64frombits(r.u64()))
	case 11, 12:
		var vs []starlark.Value
		if depth < 3 {
			for n := r.byte() % 5; n > 0; n-- {
				vs = append(vs, fz.value(r, depth+1))
			}
		}
		if kind%16 == 11 {
			return starlark.NewList(vs)
		}
		return starlark.Tuple(vs)
	case 13:
		d := starlark.NewDict(0)
		if depth < 3 {
			for n := r.byte() % 4; n > 0; n-- {
				k := fz.value(r, depth+1)
				if _, err := k.Hash(); err == nil {
					d.SetKey(k, fz.value(r, depth+1))
				}
			}
		}
		return d
	case 14:
		names := []string{"f_fail", "f_none", "f_true", "len"}
		return fz.fns[names[int(r.byte())%len(names)]]
	default:
		switch r.byte() % 5 {
		case 0:
			return fz.p
		case 1:
			return fz.t
		case 2:
			return fz.bp
		case 3:
			return &Regs{t: fz.t}
		}
		return starlark.NewBuiltin("help", help)
	}
}

var fuzzOpList = sync.OnceValue(fuzzOps)

// run decodes one input into an operation and its arguments, calls it on the
// tracer thread, and checks that it returned (a value or an error) in time and
// left the target stopped and alive, unless it sent the target a signal.
func (fz *fuzzTarget) run(t *testing.T, data []byte) {
	ops := fuzzOpList()
	r := &fuzzReader{b: data}
	op := ops[int(r.byte())%len(ops)]
	shape := r.byte()
	var args starlark.Tuple
	var kwargs []starlark.Tuple
	fz.eng.Do(func() {
		for _, bp := range fz.p.p.Breakpoints() {
			bp.Clear()
		}
		cbp, err := fz.p.p.BreakAt("answer", nil)
		if err != nil {
			t.Fatalf("breakpoint for the input: %v", err)
		}
		fz.bp = &Breakpoint{p: fz.p, bp: cbp}
		cbp.Data = fz.bp
		for n := shape % 4; n > 0; n-- {
			args = append(args, fz.value(r, 0))
		}
		for n := (shape >> 2) % 3; n > 0; n-- {
			kwargs = append(kwargs, starlark.Tuple{starlark.String(fuzzKwargs[int(r.byte())%len(fuzzKwargs)]), fz.value(r, 0)})
		}
	})
	done := make(chan struct{})
	var v starlark.Value
	var err error
	go func() {
		defer close(done)
		fz.eng.Do(func() {
			fz.thread.SetMaxExecutionSteps(1 << 20)
			v, err = op.call(fz, args, kwargs)
		})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s%v %v did not return within 20s", op.name, args, kwargs)
	}
	if err == nil && v == nil && !strings.HasSuffix(op.name, ".getattr") { // Attr says "no such field" so
		t.Fatalf("%s%v %v returned neither a value nor an error", op.name, args, kwargs)
	}
	if err != nil && !errorNames(op.name, err) {
		t.Fatalf("%s%v %v: the error does not name what failed: %v", op.name, args, kwargs, err)
	}
	fz.inputs++
	if why := fz.healthy(); why != "" {
		if !strings.HasSuffix(op.name, ".send_signal") {
			t.Fatalf("after %s%v %v: %s", op.name, args, kwargs, why)
		}
		if err := fz.launch(); err != nil {
			t.Fatal(err)
		}
	} else if fz.inputs%500 == 0 {
		if err := fz.launch(); err != nil { // start afresh now and then
			t.Fatal(err)
		}
	}
}

// errorNames reports whether an error of op starts with the name of the
// builtin, method or value it came from: "peek: ...", "regs.rax: ...".
func errorNames(op string, err error) bool {
	typ, name, ok := strings.Cut(op, ".")
	if !ok {
		name = op
	}
	switch name {
	case "getattr", "setfield", "getkey", "setkey":
		name = typ
	}
	msg := err.Error()
	return strings.HasPrefix(msg, name+":") || strings.HasPrefix(msg, name+".") || strings.HasPrefix(msg, name+" ")
}

// FuzzBuiltins calls every builtin and method of the API, and the attribute
// and key access of its values, with arbitrary arguments (see value) on a live
// stopped process, launched once per fuzz worker. Each call returns a value
// or an error that names it in time, never panics, and leaves the process as
// it was (but for what the call was for): stopped, traced and alive. The seed corpus is in
// testdata/fuzz/FuzzBuiltins.
func FuzzBuiltins(f *testing.F) {
	bin := testtarget.Build(f, "c/hotloop", testtarget.Default)
	// One target for this run of FuzzBuiltins, closed at its end: with
	// -count=N the next run launches its own.
	var (
		once   sync.Once
		shared *fuzzTarget
		err    error
	)
	f.Cleanup(func() {
		if shared != nil {
			shared.eng.Do(func() { shared.env.Close() })
			shared.eng.Close()
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		once.Do(func() { shared, err = newFuzzTarget(bin) })
		if err != nil {
			t.Fatal(err)
		}
		shared.run(t, data)
	})
}
