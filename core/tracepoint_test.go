package core

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

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

// argSum is 0 + 1 + ... + n-1.
func argSum(n int) uint64 { return uint64(n) * uint64(n-1) / 2 }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

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
				bin := testtarget.Build(t, c.target, testtarget.Default)
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
				calls := uint64(atoi(t, kv(t, out, "calls")))
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
