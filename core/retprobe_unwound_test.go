package core

import (
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// TestReturnProbeThrowAndExit probes functions that threads leave without
// returning, while other threads keep calling them. plunge in cpp/throwing
// is unwound by C++ exceptions, in 4 threads, 100 rounds each: all six
// active calls in a third of the rounds, the inner three in another third
// (the outer three return normally). In c/retvals' exit mode, 3 of 6
// threads call pthread_exit 4 calls deep into leave, halfway through,
// while the 3 others go on calling it. Every normal return, and only those,
// runs OnReturn, with the value the program summed; while stopped after
// the unwinding, with the unwound threads still alive (throwing) or gone
// (exit), no return is pending, and none at the end either.
func TestReturnProbeThrowAndExit(t *testing.T) {
	for _, c := range []struct {
		target    string
		v         testtarget.Variant
		args      []string
		fn, after string
		entries   string // the program's count of entries of fn
		returns   string // and of its normal returns
	}{
		{"cpp/throwing", testtarget.CO0, []string{"4", "100"}, "plunge", "after_throws", "entered", "returned"},
		{"cpp/throwing", testtarget.CO2NoFP, []string{"4", "100"}, "plunge", "after_throws", "entered", "returned"},
		{"c/retvals", testtarget.CO0, []string{"exit", "6", "50"}, "leave", "after_exits", "left", "returned"},
		{"c/retvals", testtarget.CO2NoFP, []string{"exit", "6", "50"}, "leave", "after_exits", "left", "returned"},
	} {
		t.Run(c.target+"/"+c.v.String(), func(t *testing.T) {
			var pc probeCounts
			p, bp := probeUntil(t, c.target, c.v, c.args, c.fn, c.after, &pc)
			if n := bp.PendingReturns(); n != 0 {
				t.Errorf("stopped after the unwinding: %d returns pending (%d entries, %d returns)", n, pc.entries, pc.returns)
			}
			atStop := pc
			runToSuccess(t, p.Process)
			out := p.output(t)
			entries, _ := strconv.Atoi(kv(t, out, c.entries))
			returns, _ := strconv.Atoi(kv(t, out, c.returns))
			retsum, _ := strconv.ParseInt(kv(t, out, "retsum"), 10, 64)
			if entries == 0 || returns >= entries || pc.entries != entries || pc.returns != returns || pc.retsum != retsum {
				t.Errorf("program: %d entries, %d returns summing to %d; probe: %d entries, %d returns summing to %d",
					entries, returns, retsum, pc.entries, pc.returns, pc.retsum)
			}
			if atStop != pc {
				t.Errorf("calls after the stop: %+v, then %+v at the end", atStop, pc)
			}
			if pc.badDuration != 0 {
				t.Errorf("%d calls without a duration", pc.badDuration)
			}
			if n := bp.PendingReturns(); n != 0 {
				t.Errorf("%d returns pending at the end", n)
			}
		})
	}
}
