package main

import "context"

// Family r: the per-call cost of a breakpoint with on_return (two stops a
// call: the entry and the return, whose result the second row reads)
// against one with an empty on_hit (one stop), on hotloop in the same run.
// The bound is 2x: the second stop, and little more. The ratio is
// of CPU time per call (stardbg's and the target's, which stardbg waits
// for), repetition by repetition: on a loaded machine wall time mostly
// measures the wait for a CPU, which two stops a call wait for twice.

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
		costNote(r, rows[1], "cpu_s_per_hit", "cpu_vs_on_hit",
			"CPU per call %.2fx the empty on_hit row's (%.2f..%.2f over %d reps; bound 2x)")
	}
	return rows
}
