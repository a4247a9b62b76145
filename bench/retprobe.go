package main

import (
	"context"
	"fmt"
)

// Family r: the per-call cost of a breakpoint with on_return (two stops a
// call: the entry, whose arguments are copied, and the return, whose
// result is read) against one with an empty on_hit (one stop), on hotloop
// in the same run. The bound is 2x: the second stop, and little
// more. The ratio is of CPU time per call (stardbg's and the target's,
// which stardbg waits for), measured per repetition: on a loaded machine
// wall time mostly measures the wait for a CPU, twice as often for two
// stops.

func (b *bench) hitsReturn(ctx context.Context) []*Row {
	t := hitTarget{exe: b.tools.hotloop, fn: "hot", abi: "c", reg: "rdi"}
	w := newWorkload(t, int64(b.cfg.returnCalls), b.cfg.returnCalls)
	rows := b.hitRows(ctx, t, []hitRun{
		{tool: toolUntraced, w: w},
		{tool: toolStardbg, mode: "empty", w: w},
		{tool: toolStardbg, mode: "return", w: w},
		{tool: toolStardbg, mode: "retval", w: w},
	})
	for _, r := range rows[2:] {
		cpuNote(r, rows[1])
	}
	return rows
}

// cpuNote notes on row its CPU time per call relative to the row ref's,
// repetition by repetition: the median, the range, and the bound.
func cpuNote(row, ref *Row) {
	a, p := row.extra["cpu_s_per_hit"], ref.extra["cpu_s_per_hit"]
	n := min(len(a), len(p))
	if n == 0 || !row.ok() || !ref.ok() {
		return
	}
	rs := make([]float64, n)
	for i := range n {
		rs[i] = a[i] / p[i]
		row.addExtra("cpu_vs_on_hit", rs[i])
	}
	lo, hi := rs[0], rs[0]
	for _, r := range rs {
		lo, hi = min(lo, r), max(hi, r)
	}
	row.Note = fmt.Sprintf("CPU per call %.2fx the empty on_hit row's (%.2f..%.2f over %d reps; bound 2x), %.1f us a call",
		median(rs), lo, hi, n, 1e6*median(a))
}
