package main

import (
	"context"
	"fmt"
)

// Family g: the per-hit cost of reading a struct field by name through the
// DWARF data model (t.frame().var("o").qty) against reading it at a known
// offset (p.peek_int(t.arg(0) + 16, 4)), on the same target in the same
// run. The bound is 1.5x.

func (b *bench) hitsTyped(ctx context.Context) []*Row {
	t := hitTarget{exe: b.tools.hotorder, fn: "hot", abi: "c", reg: "rdi"}
	w := newWorkload(t, int64(b.cfg.typedCalls), b.cfg.typedCalls)
	rows := b.hitRows(ctx, t, []hitRun{
		{tool: toolUntraced, w: w},
		{tool: toolStardbg, mode: "peek", w: w},
		{tool: toolStardbg, mode: "var", w: w},
	})
	costNote(rows[2], rows[1])
	return rows
}

// costNote notes on the row by name its per-hit cost relative to the
// peek_int row: for each repetition (the two rows run one after the other),
// the peek row's in-script rate over the var row's, so p.run() alone and
// not start-up. The note gives the median and the range.
func costNote(byName, peek *Row) {
	a, p := byName.extra["in_script_hits_per_s"], peek.extra["in_script_hits_per_s"]
	n := min(len(a), len(p))
	if n == 0 || !byName.ok() || !peek.ok() {
		return
	}
	rs := make([]float64, n)
	for i := range n {
		rs[i] = p[i] / a[i]
		byName.addExtra("cost_vs_peek", rs[i])
	}
	lo, hi := rs[0], rs[0]
	for _, r := range rs {
		lo, hi = min(lo, r), max(hi, r)
	}
	byName.Note = fmt.Sprintf("per-hit cost %.2fx the peek_int row's (%.2f..%.2f over %d reps; bound 1.5x)", median(rs), lo, hi, n)
}
