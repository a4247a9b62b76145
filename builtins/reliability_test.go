package builtins

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/internal/testtarget"
	"stardbg/script"
)

// stress is set by STARDBG_STRESS=1: the heavy versions of the tests.
var stress = os.Getenv("STARDBG_STRESS") == "1"

func scale(n, heavy int) int {
	if stress {
		return heavy
	}
	return n
}

// sessionOptions adjust a script run by execScript.
type sessionOptions struct {
	maxSteps uint64
	extra    map[string]builtinFn       // more predeclared builtins
	during   func(sess *script.Session) // run in a goroutine once the script runs
	warn     func(msg string)           // the env's Warn
}

// execScript runs src (the file name when nil) as a script, with the test
// helpers, in a session of its own that ends (env.Close, then Engine.Close)
// before it returns the script's error.
func execScript(t *testing.T, name string, src any, o sessionOptions) error {
	t.Helper()
	eng := core.NewEngine()
	defer eng.Close()
	env := NewEnv(eng)
	env.Warn = o.warn
	defer eng.Do(func() { env.Close() })
	predeclared := Predeclared()
	for name, fn := range testHelpers(t) {
		predeclared[name] = starlark.NewBuiltin(name, fn)
	}
	for name, fn := range o.extra {
		predeclared[name] = starlark.NewBuiltin(name, fn)
	}
	sess := script.NewSession(script.Options{
		Predeclared: predeclared,
		Run:         eng.Do,
		InitThread:  func(th *starlark.Thread) { SetEnv(th, env) },
		Print:       func(msg string) { t.Log(msg) },
		MaxSteps:    o.maxSteps,
	})
	if o.during != nil {
		go o.during(sess)
	}
	_, err := sess.ExecFile(name, src)
	return err
}

// intBuiltin returns a builtin fn(i) that passes i to f.
func intBuiltin(f func(int)) builtinFn {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var i int
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "i", &i); err != nil {
			return nil, err
		}
		f(i)
		return starlark.None, nil
	}
}

// faultScript attaches to a running sleeper and launches hotthreads, plants
// breakpoints in both and lets them run into CALLBACK, which ends the script
// with an error (or never returns).
const faultScript = `
a = attach(ATTACHED)
l = launch([target("c/hotthreads"), "8", "100000000"], stdout = "null")
launched(l.pid)
for p in [a, l]:
    p.break_at("hot", on_hit = CALLBACK)
a.break_at("sleeper.c:%d" % source_line("c/sleeper.c", "nanosleep"), on_hit = CALLBACK)
l.break_at("worker", on_hit = CALLBACK)
hits = {"n": 0}
l.cont()
a.run()
fail("the script went on after its callback failed")
`

// Whatever ends a script (an error in a callback, fail(), the step limit, or
// Ctrl-C while a callback loops forever), the session's end kills the program
// it launched and detaches from the one it attached, which goes on running
// with every breakpoint byte restored and prints its last line.
func TestScriptFaultReleasesTargets(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	testtarget.Build(t, "c/hotthreads", testtarget.Default)
	for _, tc := range []struct {
		name     string
		callback string
		maxSteps uint64
		cancel   bool
		want     string
	}{
		{"fail", `lambda t, bp: hits.update(n = hits["n"] + 1) or (hits["n"] >= 50 and fail("boom"))`, 0, false, "boom"},
		{"error", `lambda t, bp: hits.update(n = hits["n"] + 1) or (hits["n"] >= 50 and 1 // 0)`, 0, false, "floored division by zero"},
		{"bad peek", `lambda t, bp: hits.update(n = hits["n"] + 1) or (hits["n"] >= 50 and t.process.peek(8, 8))`, 0, false, "peek: address 0x8 is not mapped"},
		{"max steps", `runaway`, 1e6, false, "too many steps"},
		{"cancel", `runaway`, 0, true, "interrupted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, err := spawn([]string{sleeper, "stdin", "4"})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { sp.cmd.Process.Kill(); sp.wait(time.Second) }()
			var lpid int
			looping := make(chan struct{})
			var once sync.Once
			src := "def runaway(t, bp):\n    looping()\n    while True:\n        pass\n" +
				strings.NewReplacer("ATTACHED", strconv.Itoa(sp.cmd.Process.Pid), "CALLBACK", tc.callback).Replace(faultScript)
			o := sessionOptions{maxSteps: tc.maxSteps, extra: map[string]builtinFn{
				"launched": intBuiltin(func(pid int) { lpid = pid }),
				"looping": func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
					once.Do(func() { close(looping) })
					return starlark.None, nil
				},
			}}
			if tc.cancel {
				o.during = func(sess *script.Session) {
					select {
					case <-looping:
						sess.Cancel("")
					case <-time.After(time.Minute):
					}
				}
			}
			done := make(chan error, 1)
			go func() { done <- execScript(t, "fault.star", src, o) }()
			var serr error
			select {
			case serr = <-done:
			case <-time.After(time.Minute):
				buf := make([]byte, 1<<20)
				panic(fmt.Sprintf("the script did not end; goroutines:\n%s", buf[:runtime.Stack(buf, true)]))
			}
			if serr == nil || !strings.Contains(serr.Error(), tc.want) {
				t.Fatalf("script error %v, want %q", serr, tc.want)
			}
			if lpid == 0 {
				t.Fatal("the script launched nothing")
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", lpid)); err == nil {
				t.Fatalf("launched process %d still exists after the session", lpid)
			}
			testtarget.TextIntact(t, sp.cmd.Process.Pid, sleeper)
			if status := sp.wait(time.Minute); status != 0 {
				t.Fatalf("the attached program ended with status %d after the session (output %q)", status, sp.out.String())
			}
			if !strings.HasSuffix(sp.out.String(), "patch_me=1\n") {
				t.Fatalf("the attached program's output after the session: %q", sp.out.String())
			}
		})
	}
}

// A script with a syntax error reports file:line:col, and runs nothing.
func TestScriptSyntaxError(t *testing.T) {
	err := execScript(t, "broken.star", "p = launch([target(\"c/hotloop\")])\nif p.pid\n    p.kill()\n", sessionOptions{})
	if got, want := script.FormatError(err), "broken.star:3:1: syntax error: got newline, want ':'"; got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

// socketInodes returns the inodes of the sockets the test process has open.
func socketInodes(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	return inodes
}

// stardbg opens no network port: after a script has launched, attached,
// stopped and counted, the test process has no socket, and no TCP or UDP
// socket of the system is its.
func TestNoSockets(t *testing.T) {
	src := `
pid = spawn([target("c/sleeper"), "stdin", "1"])
a = attach(pid)
a.break_at("hot")
assert.eq(a.run().kind, "breakpoint")
a.detach()
p = launch([target("c/hotthreads"), "2", "100"], stdout = "null")
bp = p.break_at("hot", on_hit = lambda t, bp: None)
assert.eq(p.run().kind, "exited")
assert.eq(bp.hits, 200)
`
	if err := execScript(t, "net.star", src, sessionOptions{}); err != nil {
		t.Fatal(script.FormatError(err))
	}
	ours := socketInodes(t)
	for inode := range ours {
		t.Errorf("the test process has socket %s open", inode)
	}
	for _, table := range []string{"tcp", "tcp6", "udp", "udp6", "raw", "raw6"} {
		b, err := os.ReadFile("/proc/self/net/" + table)
		if err != nil {
			continue // no IPv6, say
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Fields(line); len(f) >= 10 && ours[f[9]] {
				t.Errorf("%s socket of the test process: %s", table, line)
			}
		}
	}
}

// memory returns the Go heap in use and the resident set size, after a
// collection that returns freed memory to the system.
func memory() (heap, rss uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := os.ReadFile("/proc/self/statm")
	f := strings.Fields(string(b))
	if len(f) > 1 {
		pages, _ := strconv.ParseUint(f[1], 10, 64)
		rss = pages * uint64(os.Getpagesize())
	}
	return ms.HeapInuse, rss
}

// A Starlark callback that reads registers, memory and symbols at each of
// 100,000 hits (a million with STARDBG_STRESS=1) leaves the Go heap and the
// resident size of stardbg where they were after the first thousand.
func TestNoLeakOverManyHits(t *testing.T) {
	n := scale(100000, 1000000)
	type sample struct{ hits, heap, rss uint64 }
	var samples []sample
	measure := func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var hits int
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "hits", &hits); err != nil {
			return nil, err
		}
		heap, rss := memory()
		samples = append(samples, sample{uint64(hits), heap, rss})
		return starlark.None, nil
	}
	src := fmt.Sprintf(`
N = %d
p = launch([target("c/hotloop"), str(N)], stdout = tmp("out"))
g = p.lookup("counter_global")
acc = {"n": 0, "sum": 0}

def on_hot(t, bp):
    acc["n"] += 1
    acc["sum"] += t.arg(0) + t.regs.rdi - t.regs["rdi"]
    if p.peek_int(g) != 42 or len(p.peek(t.sp, 16)) != 16:
        fail("bad read")
    if acc["n"] in (1000, N // 2, N):
        measure(acc["n"])

bp = p.break_at("hot", on_hit = on_hot)
assert.eq(p.run().kind, "exited")
assert.eq(acc["n"], N)
assert.eq(bp.hits, N)
assert.eq(str(acc["sum"]), str(N * (N - 1) // 2))
assert.eq(kv(read(tmp("out")))["calls"], str(N))
`, n)
	if err := execScript(t, "leak.star", src, sessionOptions{extra: map[string]builtinFn{"measure": measure}}); err != nil {
		t.Fatal(script.FormatError(err))
	}
	if len(samples) != 3 {
		t.Fatalf("%d samples, want 3", len(samples))
	}
	const slack = 4 << 20
	first := samples[0]
	for _, s := range samples[1:] {
		t.Logf("after %d hits: heap %d KiB (%+d), rss %d KiB (%+d)", s.hits, s.heap>>10, (int64(s.heap)-int64(first.heap))>>10, s.rss>>10, (int64(s.rss)-int64(first.rss))>>10)
		if s.heap > first.heap+slack || s.rss > first.rss+slack {
			t.Errorf("after %d hits the heap is %d KiB and the rss %d KiB; after %d hits they were %d KiB and %d KiB",
				s.hits, s.heap>>10, s.rss>>10, first.hits, first.heap>>10, first.rss>>10)
		}
	}
}

// A peek of an unmapped gigabyte fails without allocating its buffer: a typo
// in a script's size must not cost stardbg a gigabyte of memory.
func TestLargePeekRefusedFirst(t *testing.T) {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	src := `
p = launch([target("c/hotloop"), "3"], stdout="null")
assert.fails(lambda: p.peek(0x10, 1 << 30), "peek: address 0x10 is not mapped")
`
	if err := execScript(t, "bigpeek.star", src, sessionOptions{}); err != nil {
		t.Fatal(script.FormatError(err))
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("the failed peek allocated %d MiB", grew>>20)
	}
}
