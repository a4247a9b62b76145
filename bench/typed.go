package main

import (
	"context"
	"fmt"
	"strings"
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
	// The in-script rates: p.run() alone, not start-up.
	costNote(rows[2], rows[1], "in_script_hits_per_s", "cost_vs_peek",
		"per-hit cost %.2fx the peek_int row's (%.2f..%.2f over %d reps; bound 1.5x)")
	return rows
}

// costNote notes on row its cost relative to the row ref, repetition by
// repetition (the rows run one after the other): from the extra key, a
// rate (..._per_s: ref's over row's) or a cost (row's over ref's). The
// ratios go in the extra name; the note is format with their median,
// range and count.
func costNote(row, ref *Row, key, name, format string) {
	a, p := row.extra[key], ref.extra[key]
	n := min(len(a), len(p))
	if n == 0 || !row.ok() || !ref.ok() {
		return
	}
	rs := make([]float64, n)
	for i := range n {
		rs[i] = a[i] / p[i]
		if strings.HasSuffix(key, "_per_s") {
			rs[i] = p[i] / a[i]
		}
		row.addExtra(name, rs[i])
	}
	lo, hi := rs[0], rs[0]
	for _, r := range rs {
		lo, hi = min(lo, r), max(hi, r)
	}
	row.Note = fmt.Sprintf(format, median(rs), lo, hi, n)
}
