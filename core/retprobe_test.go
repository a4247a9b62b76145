package core

import (
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// probeCounts is what a return probe on one function saw.
type probeCounts struct {
	entries, returns int
	retsum           int64
	maxDepth         int
	badDuration      int
}

// probe sets a return probe on fn that counts entries and returns and sums
// the value returned in rax.
func probe(t *testing.T, p *Process, addr uint64, pc *probeCounts) *Breakpoint {
	t.Helper()
	bp, err := p.SetBreakpoint(addr, func(th *Thread, bp *Breakpoint) bool {
		pc.entries++
		if c := bp.EntryCall(); c == nil {
			t.Errorf("no call at an entry hit")
		} else {
			pc.maxDepth = max(pc.maxDepth, c.Depth)
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	bp.OnReturn = func(th *Thread, bp *Breakpoint, c *Call) bool {
		pc.returns++
		rax, _ := th.Reg(RAX)
		pc.retsum += int64(rax)
		if pc, _ := th.PC(); pc != c.RetAddr {
			t.Errorf("return hit at %#x, want %#x", pc, c.RetAddr)
		}
		if c.Duration() < 0 || c.End.IsZero() {
			pc.badDuration++
		}
		return false
	}
	return bp
}

// TestReturnProbeFib probes fib in c/retvals and go/retgo, computed by 8
// threads (goroutines) at once: every entry has its return, the values
// returned sum to what the program summed, and the deepest call of each
// fib(20) is 19 calls deep.
func TestReturnProbeFib(t *testing.T) {
	for _, c := range []struct {
		target string
		v      testtarget.Variant
		fn     string
	}{
		{"c/retvals", testtarget.CO0, "fib"},
		{"c/retvals", testtarget.CO2NoFP, "fib"},
		{"go/retgo", testtarget.Go, "main.fib"},
	} {
		t.Run(c.target+"/"+c.v.String(), func(t *testing.T) {
			bin := testtarget.Build(t, c.target, c.v)
			e := newEngine(t)
			p := launch(t, e, bin, "fib", "20", "8")
			var pc probeCounts
			bp := probe(t, p.Process, symAddr(t, p.Process, bin, c.fn), &pc)
			runToSuccess(t, p.Process)
			out := p.output(t)
			calls, _ := strconv.Atoi(kv(t, out, "calls"))
			retsum, _ := strconv.ParseInt(kv(t, out, "retsum"), 10, 64)
			if calls != 8*21891 || pc.entries != calls || pc.returns != calls || pc.retsum != retsum {
				t.Errorf("program: %d calls, return values sum to %d; probe: %d entries, %d returns summing to %d",
					calls, retsum, pc.entries, pc.returns, pc.retsum)
			}
			if pc.maxDepth != 19 || pc.badDuration != 0 {
				t.Errorf("deepest call %d deep (want 19), %d calls without a duration", pc.maxDepth, pc.badDuration)
			}
			if n := bp.PendingReturns(); n != 0 {
				t.Errorf("%d returns pending at the end", n)
			}
		})
	}
}

// TestReturnProbeUnwound probes functions that never return normally:
// dive in c/retvals longjmps out of six active calls, risky in go/retgo
// panics out of six (recovered by the caller). At the function the
// program calls afterwards no return is pending, none ran, and the program
// ends normally.
func TestReturnProbeUnwound(t *testing.T) {
	for _, c := range []struct {
		target    string
		v         testtarget.Variant
		mode      string
		fn, after string
		count     string // the program's count of entries of fn
	}{
		{"c/retvals", testtarget.CO0, "longjmp", "dive", "after_jumps", "dived"},
		{"c/retvals", testtarget.CO2NoFP, "longjmp", "dive", "after_jumps", "dived"},
		{"go/retgo", testtarget.Go, "panic", "main.risky", "main.afterPanics", "risky"},
	} {
		t.Run(c.target+"/"+c.v.String(), func(t *testing.T) {
			var pc probeCounts
			p, bp := probeUntil(t, c.target, c.v, []string{c.mode, "50"}, c.fn, c.after, &pc)
			if n := bp.PendingReturns(); n != 0 || pc.returns != 0 || pc.entries != 300 {
				t.Errorf("%d entries, %d returns, %d pending; want 300, 0, 0", pc.entries, pc.returns, n)
			}
			runToSuccess(t, p.Process)
			if got := kv(t, p.output(t), c.count); got != "300" {
				t.Errorf("the program says %s=%s, want 300", c.count, got)
			}
		})
	}
}

// probeUntil launches target in variant v with args, probes its function
// fn into pc, and runs it to its first stop, which must be at function
// after.
func probeUntil(t *testing.T, target string, v testtarget.Variant, args []string, fn, after string, pc *probeCounts) (*launched, *Breakpoint) {
	t.Helper()
	bin := testtarget.Build(t, target, v)
	p := launch(t, newEngine(t), bin, args...)
	bp := probe(t, p.Process, symAddr(t, p.Process, bin, fn), pc)
	stop, err := p.SetBreakpoint(symAddr(t, p.Process, bin, after), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	if ev := waitKind(t, p.Process, EventBreakpoint); ev.Breakpoint != stop {
		t.Fatalf("stopped at breakpoint %d, want %d at %s", ev.Breakpoint.ID, stop.ID, after)
	}
	return p, bp
}

// TestReturnProbeStackMoves probes deep in go/retgo, which recurses 1000
// deep with 2 KiB frames on a new goroutine: its stack grows, and moves,
// many times while calls are pending, and runtime.morestack runs the
// growing call's entry again. Every call is counted once and pairs with
// its return, whose value the program summed too, and some calls return
// on another stack than the one they started on.
func TestReturnProbeStackMoves(t *testing.T) {
	bin := testtarget.Build(t, "go/retgo", testtarget.Go)
	e := newEngine(t)
	p := launch(t, e, bin, "deep", "1000")
	var pc probeCounts
	bp := probe(t, p.Process, symAddr(t, p.Process, bin, "main.deep"), &pc)
	stackAt := map[*Call]uint64{}
	moved := 0
	onHit, onReturn := bp.OnHit, bp.OnReturn
	bp.OnHit = func(th *Thread, b *Breakpoint) bool {
		if g, err := th.CurrentG(); err == nil && g != nil {
			stackAt[b.EntryCall()] = g.StackHi
		}
		return onHit(th, b)
	}
	bp.OnReturn = func(th *Thread, b *Breakpoint, c *Call) bool {
		if g, err := th.CurrentG(); err == nil && g != nil && g.StackHi != stackAt[c] {
			moved++
		}
		return onReturn(th, b, c)
	}
	runToSuccess(t, p.Process)
	out := p.output(t)
	retsum, _ := strconv.ParseInt(kv(t, out, "retsum"), 10, 64)
	if kv(t, out, "calls") != "1001" || pc.entries != 1001 || pc.returns != 1001 || pc.retsum != retsum {
		t.Errorf("program: %s calls, return values sum to %d; probe: %d entries, %d returns summing to %d",
			kv(t, out, "calls"), retsum, pc.entries, pc.returns, pc.retsum)
	}
	if pc.maxDepth != 1000 || moved == 0 {
		t.Errorf("deepest call %d deep (want 1000); %d calls returned on a moved stack (want some)", pc.maxDepth, moved)
	}
}
