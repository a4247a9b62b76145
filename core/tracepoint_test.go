package core

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/core/uprobe"
	"stardbg/internal/testtarget"
)

// needTracepoints skips a test where the kernel or the capabilities do not
// allow eBPF uprobes (CI runs as root, where they do).
func needTracepoints(t testing.TB) {
	t.Helper()
	if err := uprobe.Supported(); err != nil {
		t.Skipf("tracepoints are not available here: %v", err)
	}
}

// ownCopy builds a target and copies it into the test's directory: a
// uprobe is set in a file, and fires in every process that maps it, so a
// tracepoint on the shared build would put an int3 under the breakpoints of
// other tests running the same target at the same time.
func ownCopy(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(testtarget.Build(t, name, testtarget.Default))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), path.Base(name))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// argSum is 0 + 1 + ... + n-1.
func argSum(n int) uint64 { return uint64(n) * uint64(n-1) / 2 }

// TestTracepointCounts counts the calls of hot in C (threads) and Go
// (goroutines) targets, without and with a callback, against the program's
// own count; the callback sums hot's argument, read from the registers the
// kernel recorded.
func TestTracepointCounts(t *testing.T) {
	needTracepoints(t)
	cases := []struct {
		target, fn string
		args       []string
		arg        func(h *Hit) uint64
	}{
		{"c/traced", "hot", []string{"1", "20000"}, func(h *Hit) uint64 { return h.Regs.Rdi }},
		{"c/traced", "hot", []string{"4", "5000"}, func(h *Hit) uint64 { return h.Regs.Rdi }},
		{"go/hotgo", "main.hot", []string{"8", "2500"}, func(h *Hit) uint64 { return h.Regs.Rax }},
	}
	for _, c := range cases {
		for _, withCallback := range []bool{false, true} {
			name := fmt.Sprintf("%s/%s/callback=%v", c.target, strings.Join(c.args, "x"), withCallback)
			t.Run(name, func(t *testing.T) {
				bin := ownCopy(t, c.target)
				p := launch(t, newEngine(t), bin, c.args...)
				var cfg TracepointConfig
				var records, sum uint64
				if withCallback {
					cfg.OnHit = func(h *Hit) bool { records++; sum += c.arg(h); return false }
				}
				bp, err := p.TraceAt(c.fn, cfg)
				if err != nil {
					t.Fatal(err)
				}
				runToSuccess(t, p.Process)
				out := p.output(t)
				calls, err := strconv.ParseUint(kv(t, out, "calls"), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				if got := bp.Hits(); got != calls {
					t.Errorf("hits %d, the program made %d calls", got, calls)
				}
				if lost := bp.Lost(); lost != 0 {
					t.Errorf("lost %d records", lost)
				}
				if !withCallback {
					return
				}
				if records != calls || sum != argSum(int(calls)) {
					t.Errorf("%d records summing %d, want %d summing %d", records, sum, calls, argSum(int(calls)))
				}
			})
		}
	}
}

// uprobeEvents is the text of tracefs's uprobe_events, where uprobes set
// without the PMU are listed.
func uprobeEvents(t *testing.T) string {
	b, err := os.ReadFile("/sys/kernel/tracing/uprobe_events")
	if err != nil {
		return ""
	}
	return string(b)
}

// TestTracepointWithBreakpoint has a tracepoint on hot and a breakpoint on
// note, two functions of one page of one process, at once, set in either
// order: every call of hot is counted and delivered while the breakpoint's
// hits stop the process as usual.
func TestTracepointWithBreakpoint(t *testing.T) {
	needTracepoints(t)
	for _, traceFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("traceFirst=%v", traceFirst), func(t *testing.T) {
			bin := ownCopy(t, "c/traced")
			p := launch(t, newEngine(t), bin, "2", "3000")
			var records int
			setTrace := func() *Breakpoint {
				tp, err := p.TraceAt("hot", TracepointConfig{OnHit: func(h *Hit) bool { records++; return false }})
				if err != nil {
					t.Fatal(err)
				}
				return tp
			}
			var tp *Breakpoint
			if traceFirst {
				tp = setTrace()
			}
			notes := 0
			bp, err := p.BreakAt("note", func(th *Thread, bp *Breakpoint) bool { notes++; return notes == 2 })
			if err != nil {
				t.Fatal(err)
			}
			if !traceFirst {
				tp = setTrace()
			}
			if a, b := tp.Addrs()[0], bp.Addrs()[0]; a>>12 != b>>12 {
				t.Fatalf("hot at %#x and note at %#x are not in one page, which this test needs", a, b)
			}
			if err := p.Continue(); err != nil {
				t.Fatal(err)
			}
			ev := waitKind(t, p.Process, EventBreakpoint)
			if ev.Breakpoint != bp || notes != 2 {
				t.Fatalf("stopped at %v after %d notes, want the second note", ev, notes)
			}
			if got := tp.Hits(); got != 6000 || records != 6000 {
				t.Errorf("at the second note: %d hits and %d records of hot, want 6000", got, records)
			}
			runToSuccess(t, p.Process)
			if bp.Hits() != 4 {
				t.Errorf("note hit %d times, want 4", bp.Hits())
			}
		})
	}
}

// TestTracepointSameAddress refuses a tracepoint and a breakpoint at one
// address, whichever comes first.
func TestTracepointSameAddress(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	p := launch(t, newEngine(t), bin, "1", "10")
	bp, err := p.BreakAt("hot", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.TraceAt("hot", TracepointConfig{}); !errors.Is(err, ErrTraceCollision) {
		t.Errorf("tracepoint where a breakpoint is: %v, want ErrTraceCollision", err)
	}
	// Where the breakpoint was, the page is the process's own copy now: the
	// uprobe fires there all the same.
	bp.Clear()
	tp, err := p.TraceAt("hot", TracepointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.BreakAt("hot", nil); !errors.Is(err, ErrTraceCollision) {
		t.Errorf("breakpoint where a tracepoint is: %v, want ErrTraceCollision", err)
	}
	runToSuccess(t, p.Process)
	if tp.Hits() != 10 {
		t.Errorf("hits %d, want 10", tp.Hits())
	}
}

// TestTracepointCaptures compares what the kernel copied at each call of
// note(s, buf, n) with what the program passed: the string (also one longer
// than the capture, cut), the buffer's first n bytes, and a NULL pointer,
// which cannot be read.
func TestTracepointCaptures(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	p := launch(t, newEngine(t), bin, "1", "10")
	type call struct {
		s, buf   []byte
		n        uint64
		sOK, bOK bool
	}
	var calls []call
	_, err := p.TraceAt("note", TracepointConfig{
		Captures: []uprobe.Capture{
			{Kind: uprobe.CaptureString, Reg: uprobe.Reg(RDI), Size: 256},
			{Kind: uprobe.CaptureMem, Reg: uprobe.Reg(RSI), Size: 64},
		},
		OnHit: func(h *Hit) bool {
			calls = append(calls, call{h.Mem[0], h.Mem[1], h.Regs.Rdx, h.Mem[0] != nil, h.Mem[1] != nil})
			return false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	seq := func(n int, f func(i int) byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = f(i)
		}
		return b
	}
	want := []call{
		{[]byte("hello, tracepoint"), seq(32, func(i int) byte { return byte(i) }), 32, true, true},
		{[]byte{}, seq(8, func(int) byte { return 0xff }), 8, true, true},
		{bytes.Repeat([]byte("x"), 256), seq(64, func(i int) byte { return byte(7 * i) }), 64, true, true},
		{nil, nil, 0, false, false},
	}
	if len(calls) != len(want) {
		t.Fatalf("%d records of note, want %d", len(calls), len(want))
	}
	for i, w := range want {
		c := calls[i]
		if c.sOK != w.sOK || c.bOK != w.bOK || c.n != w.n || !bytes.Equal(c.s, w.s) || (w.bOK && !bytes.Equal(c.buf[:c.n], w.buf)) {
			t.Errorf("note %d: string %q (%v), buffer % x (%v), n %d; want %q, % x, %d", i, c.s, c.sOK, c.buf, c.bOK, c.n, w.s, w.buf, w.n)
		}
	}
}

// startTraced starts c/traced in its wait mode, untraced, and returns it
// with its stdin (a line there starts its calls) and a function that waits
// for its end and returns its output.
func startTraced(t *testing.T, bin string, args ...string) (*exec.Cmd, io.WriteCloser, func() (string, error)) {
	t.Helper()
	cmd, r, stdin := testtarget.StartReady(t, bin, append(args, "wait")...)
	var rest bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&rest, r); close(copied) }()
	return cmd, stdin, func() (string, error) {
		<-copied // Wait closes the pipe: read it to its end first
		err := cmd.Wait()
		return rest.String(), err
	}
}

// loaded counts the probe programs of process pid.
func loaded(t *testing.T, pid int) int {
	t.Helper()
	n, err := uprobe.Loaded(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTracepointAttached traces an attached process while another instance
// of the same program calls the same function: the uprobe is in the file, so
// it fires in both, and only the traced process's calls count.
func TestTracepointAttached(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	cmd, stdin, _ := startTraced(t, bin, "2", "20000")
	otherCmd, otherIn, otherOut := startTraced(t, bin, "1", "30000")
	p, err := newEngine(t).Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var records, sum uint64
	tp, err := p.TraceAt("hot", TracepointConfig{OnHit: func(h *Hit) bool { records++; sum += h.Regs.Rdi; return false }})
	if err != nil {
		t.Fatal(err)
	}
	// The uprobe is the traced process's alone: the kernel wrote its int3
	// into that process's text, not into the other instance's.
	other := otherCmd.Process.Pid
	if b := textByte(t, p.Pid(), tp.Addrs()[0]); b != 0xcc {
		t.Errorf("traced process: byte %#x at hot, want the uprobe's int3", b)
	}
	if b := textByte(t, other, tp.Addrs()[0]-loadBase(t, p.Pid(), bin)+loadBase(t, other, bin)); b == 0xcc {
		t.Errorf("the other instance of %s has an int3 at hot", bin)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	otherIn.Write([]byte("go\n"))
	stdin.Write([]byte("go\n"))
	if out, err := otherOut(); err != nil || !strings.Contains(out, "calls=30000") {
		t.Fatalf("the other instance: %v, %q", err, out)
	}
	ev := waitKind(t, p, EventExited)
	if ev.Status != 0 {
		t.Fatalf("exit status %d", ev.Status)
	}
	if tp.Hits() != 40000 || records != 40000 || sum != argSum(40000) {
		t.Errorf("%d hits, %d records summing %d; want 40000 calls summing %d", tp.Hits(), records, sum, argSum(40000))
	}
	if n := loaded(t, p.Pid()); n != 0 {
		t.Errorf("%d programs left after the process exited", n)
	}
}

// TestTracepointMainExit checks that the counts stay exact when the main
// thread calls pthread_exit while the workers go on calling hot: the kernel's
// filter of a uprobe set for one process is its main thread's address space,
// so at that thread's exit stop the engine sets the uprobes for every process
// instead, the other threads stopped meanwhile; without that, the kernel
// takes the uprobes out and most hits go uncounted.
func TestTracepointMainExit(t *testing.T) {
	needTracepoints(t)
	const n = 200000
	bin := ownCopy(t, "c/mainexit")
	p := launch(t, newEngine(t), bin, fmt.Sprint(n))
	count, err := p.TraceAt("hot", TracepointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var records, sum uint64
	rec, err := p.TraceAt("hot", TracepointConfig{OnHit: func(h *Hit) bool { records++; sum += h.Regs.Rdi; return false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	if ev := waitKind(t, p.Process, EventExited); ev.Status != 0 {
		t.Fatalf("exit status %d", ev.Status)
	}
	if count.Hits() != 3*n || rec.Hits() != 3*n || records != 3*n || sum != argSum(3*n) {
		t.Errorf("%d and %d hits, %d records summing %d; want %d calls summing %d",
			count.Hits(), rec.Hits(), records, sum, 3*n, argSum(3*n))
	}
	if rec.Lost() != 0 {
		t.Errorf("%d records lost", rec.Lost())
	}
	if m := loaded(t, p.Pid()); m != 0 {
		t.Errorf("%d programs left after the process exited", m)
	}
}

// TestTracepointMainGone checks a tracepoint set in a process attached after
// its main thread called pthread_exit: the uprobes are set for every process
// from the start (a filter on the main thread's address space would never
// match). Each worker calls hot with consecutive arguments up to the end of
// its range, so the records of each must be every call from its first
// recorded one to its last, and the count their number.
func TestTracepointMainGone(t *testing.T) {
	needTracepoints(t)
	const n = 1000000
	bin := ownCopy(t, "c/mainexit")
	cmd := exec.Command(bin, fmt.Sprint(n))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); taskState(pid, pid) != 'Z'; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("main thread never became a zombie")
		}
	}
	p, err := newEngine(t).Attach(pid)
	if err != nil {
		t.Fatal(err)
	}
	var count, first, last [3]uint64
	tp, err := p.TraceAt("hot", TracepointConfig{OnHit: func(h *Hit) bool {
		w := h.Regs.Rdi / n
		if w < 3 {
			if count[w] == 0 {
				first[w] = h.Regs.Rdi
			}
			count[w]++
			last[w] = h.Regs.Rdi
		}
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p, EventExited)
	total := count[0] + count[1] + count[2]
	if total == 0 || tp.Hits() != total {
		t.Fatalf("%d hits, %d records of workers' calls; want as many, at least one", tp.Hits(), total)
	}
	for w := range uint64(3) {
		if count[w] > 0 && (last[w] != w*n+n-1 || count[w] != last[w]-first[w]+1) {
			t.Errorf("worker %d: %d records from hot(%d) to hot(%d), want every call from the first to hot(%d)",
				w, count[w], first[w], last[w], w*n+n-1)
		}
	}
}

// TestTracepointDetach checks that a detach removes every uprobe: the
// programs are unloaded, tracefs lists what it listed before, and the
// program goes on to the end untraced with its own output.
func TestTracepointDetach(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	before := uprobeEvents(t)
	cmd, stdin, out := startTraced(t, bin, "1", "1000")
	p, err := newEngine(t).Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.TraceAt("hot", TracepointConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.TraceAt("note", TracepointConfig{OnHit: func(*Hit) bool { return false }}); err != nil {
		t.Fatal(err)
	}
	if n := loaded(t, p.Pid()); n != 2 {
		t.Fatalf("%d programs loaded for 2 tracepoints", n)
	}
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	if n := loaded(t, p.Pid()); n != 0 {
		t.Errorf("%d programs left after detach", n)
	}
	if after := uprobeEvents(t); after != before {
		t.Errorf("uprobe_events was %q, is %q after detach", before, after)
	}
	stdin.Write([]byte("go\n"))
	if out, err := out(); err != nil || !strings.Contains(out, "notes=4 noted=421") {
		t.Fatalf("after detach: %v, %q", err, out)
	}
}

// TestTracepointCond filters hits in the kernel: an argument comparison
// counts exactly the calls whose argument passes, and a thread filter only
// that thread's.
func TestTracepointCond(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	for _, c := range []struct {
		cond uprobe.Cond
		want uint64
	}{
		{uprobe.Cond{Op: uprobe.OpLt, Reg: uprobe.Reg(RDI), Value: 100}, 100},
		{uprobe.Cond{Op: uprobe.OpGe, Reg: uprobe.Reg(RDI), Value: 7900}, 100},
		{uprobe.Cond{Op: uprobe.OpEq, Reg: uprobe.Reg(RDI), Value: 4242}, 1},
		{uprobe.Cond{Op: uprobe.OpNe, Reg: uprobe.Reg(RDI), Value: 4242}, 7999},
		{uprobe.Cond{Op: uprobe.OpLe, Reg: uprobe.Reg(RDI), Value: -1}, 0},
		{uprobe.Cond{Op: uprobe.OpGt, Reg: uprobe.Reg(RDI), Value: 0}, 7999},
	} {
		p := launch(t, newEngine(t), bin, "4", "2000")
		var records uint64
		tp, err := p.TraceAt("hot", TracepointConfig{Cond: c.cond, OnHit: func(*Hit) bool { records++; return false }})
		if err != nil {
			t.Fatal(err)
		}
		runToSuccess(t, p.Process)
		if tp.Hits() != c.want || records != c.want {
			t.Errorf("%+v: %d hits, %d records, want %d", c.cond, tp.Hits(), records, c.want)
		}
	}
	// A thread filter: the calls of the first worker thread, stopped at its
	// entry to learn its tid, while another tracepoint at the same place
	// counts every call.
	p := launch(t, newEngine(t), bin, "4", "2000")
	workers := 0
	if _, err := p.BreakAt("worker", func(*Thread, *Breakpoint) bool { workers++; return workers == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	tid := waitKind(t, p.Process, EventBreakpoint).Thread.Tid()
	others := 0
	mine, err := p.TraceAt("hot", TracepointConfig{Cond: uprobe.Cond{Tid: tid}, OnHit: func(h *Hit) bool {
		if h.Tid != tid {
			others++
		}
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := p.TraceAt("hot", TracepointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bp := range p.Breakpoints() {
		if !bp.IsTracepoint() {
			bp.Clear()
		}
	}
	runToSuccess(t, p.Process)
	if mine.Hits() != 2000 || others != 0 || all.Hits() != 8000 {
		t.Errorf("thread %d: %d hits (%d records of other threads), all threads %d; want 2000, 0, 8000", tid, mine.Hits(), others, all.Hits())
	}
}

// TestTracepointOrder has 8 threads call hot at once: the count is exact,
// and each thread's records come in the order of their timestamps, with its
// arguments in the order it passed them.
func TestTracepointOrder(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/traced")
	p := launch(t, newEngine(t), bin, "8", "20000")
	type last struct{ time, arg uint64 }
	seen := map[int]*last{}
	var records, bad int
	tp, err := p.TraceAt("hot", TracepointConfig{OnHit: func(h *Hit) bool {
		records++
		l := seen[h.Tid]
		if l == nil {
			seen[h.Tid] = &last{h.Time, h.Regs.Rdi}
			return false
		}
		if h.Time < l.time || h.Regs.Rdi != l.arg+1 {
			bad++
		}
		l.time, l.arg = h.Time, h.Regs.Rdi
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if tp.Hits() != 160000 || records != 160000 || len(seen) != 8 || bad != 0 || tp.Lost() != 0 {
		t.Errorf("%d hits, %d records from %d threads, %d out of order, %d lost; want 160000 from 8 threads, in order", tp.Hits(), records, len(seen), bad, tp.Lost())
	}
}

// waitTracingStop waits until process pid is in a ptrace stop ("t" in
// /proc/PID/stat): hotloop's only one is at its exit.
func waitTracingStop(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if _, rest, ok := strings.Cut(string(b), ") "); ok && strings.HasPrefix(rest, "t") {
			return
		}
	}
	t.Fatalf("process %d never stopped", pid)
}

// TestTracepointLost lets hotloop make 100,000 records into a ring of one
// page while nothing reads it (no Wait runs until it stops at its exit):
// what did not fit is lost and counted, and hits still counts every call.
func TestTracepointLost(t *testing.T) {
	needTracepoints(t)
	bin := ownCopy(t, "c/hotloop")
	p := launch(t, newEngine(t), bin, "100000")
	// Run to main first: the dynamic linker's stops are behind.
	m, err := p.BreakAt("main", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventBreakpoint)
	m.Clear()
	if err := p.SetTraceRingSize(4096); err != nil {
		t.Fatal(err)
	}
	var records uint64
	tp, err := p.TraceAt("hot", TracepointConfig{OnHit: func(*Hit) bool { records++; return false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetTraceRingSize(8192); err == nil {
		t.Error("the ring's size changed once it was made")
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitTracingStop(t, p.Pid())
	waitKind(t, p.Process, EventExited)
	if tp.Hits() != 100000 || records == 0 || records > 4096/192 || records+tp.Lost() != 100000 {
		t.Errorf("%d hits, %d records, %d lost: want 100000 hits, at most a page of records, and the rest lost", tp.Hits(), records, tp.Lost())
	}
}

// textByte reads the byte at addr in process pid's memory as the process
// sees it (not as a tracer's reads, which hide breakpoints).
func textByte(t *testing.T, pid int, addr uint64) byte {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, int64(addr)); err != nil {
		t.Fatal(err)
	}
	return b[0]
}

// loadBase returns the address at which process pid maps the start of file
// bin.
func loadBase(t *testing.T, pid int, bin string) uint64 {
	t.Helper()
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[5] == bin && f[2] == "00000000" {
			base, err := strconv.ParseUint(strings.Split(f[0], "-")[0], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return base
		}
	}
	t.Fatalf("%s is not mapped in process %d", bin, pid)
	return 0
}
