package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Family h: tracepoints (kernel uprobes with eBPF, the program never
// stopped) against bpftrace counting the same 1,000,000 calls, and against
// stardbg's own break_at, which stops the program at each hit. Rates are
// hits per second of the whole run (start-up included), counts are checked
// exactly in every run. The bounds: counting at least 0.8x
// bpftrace's rate and 15x break_at's with an empty callback; summing
// arg(0) in on_hit at least 5x break_at with the same callback, with no
// record lost; 8 threads exact, each thread's records in time order.

const toolBpftrace = "bpftrace"

func (b *bench) tracepoints(ctx context.Context) []*Row {
	c := b.cfg
	t := hitTarget{exe: b.tools.hotloop, fn: "hot", abi: "c", reg: "rdi"}
	w := newWorkload(t, int64(c.traceCalls), c.traceCalls)
	wb := newWorkload(t, int64(c.loopCalls), c.loopCalls) // break_at is slower: fewer calls
	tt := hitTarget{exe: b.tools.hotthreads, fn: "hot", abi: "c", reg: "rdi"}
	w8 := newWorkload(tt, int64(8*(c.traceCalls/8)), 8, c.traceCalls/8)
	type run struct {
		row  *Row
		mode string
		w    workload
	}
	runs := []run{
		{newRow(toolUntraced, "untraced", w.name, "s", false), "", w},
		{newRow(toolBpftrace, "bpftrace uprobe { @c = count(); }", w.name, "hits/s", true), "", w},
		{newRow(toolStardbg, "stardbg, tracepoint, count only", w.name, "hits/s", true), "trace", w},
		{newRow(toolStardbg, "stardbg, break_at, empty callback", wb.name, "hits/s", true), "break", wb},
		{newRow(toolStardbg, "stardbg, tracepoint, on_hit sums arg(0)", w.name, "hits/s", true), "trace-sum", w},
		{newRow(toolStardbg, "stardbg, break_at, callback sums arg(0)", wb.name, "hits/s", true), "break-sum", wb},
		{newRow(toolStardbg, "stardbg, tracepoint, on_hit sums arg(0), checks time order", w8.name, "hits/s", true), "trace-order", w8},
	}
	runs[0].row.Note = "wall time, for context"
	if b.tools.bpftrace == "" {
		runs[1].row.Skipped = "bpftrace is not installed"
	}
	var steps []step
	for _, r := range runs {
		r := r
		var fn func(ctx context.Context) (float64, error)
		switch {
		case r.row.Tool == toolUntraced:
			fn = func(ctx context.Context) (float64, error) { return b.untraced(ctx, r.w) }
		case r.row.Tool == toolBpftrace:
			fn = func(ctx context.Context) (float64, error) { return b.bpftraceHits(ctx, r.w, t) }
		default:
			fn = func(ctx context.Context) (float64, error) { return b.traceHits(ctx, r.row, t, r.w, r.mode) }
		}
		steps = append(steps, step{r.row, fn})
	}
	b.repeat(ctx, steps)
	rows := make([]*Row, len(runs))
	for i, r := range runs {
		rows[i] = r.row
	}
	ratioNote(rows[2], map[string]*Row{"bpftrace": rows[1], "break_at": rows[3]}, "bounds 0.8x bpftrace, 15x break_at")
	ratioNote(rows[4], map[string]*Row{"break_at": rows[5]}, "bound 5x break_at with the same callback; lost 0")
	return rows
}

// ratioNote notes a row's median rate over each reference row's, from
// their samples (the rows' medians are computed later, by finish).
func ratioNote(r *Row, refs map[string]*Row, bounds string) {
	if !r.ok() || len(r.Samples) == 0 {
		return
	}
	var parts []string
	for _, name := range []string{"bpftrace", "break_at"} {
		ref := refs[name]
		if ref == nil || !ref.ok() || len(ref.Samples) == 0 {
			continue
		}
		ratio := median(r.Samples) / median(ref.Samples)
		r.addExtra("ratio_vs_"+name, ratio)
		parts = append(parts, fmt.Sprintf("%.1fx %s", ratio, name))
	}
	if len(parts) > 0 {
		r.Note = strings.Join(parts, ", ") + " (" + bounds + ")"
	}
}

// traceHits runs scripts/trace.star in one of its modes.
func (b *bench) traceHits(ctx context.Context, row *Row, t hitTarget, w workload, mode string) (float64, error) {
	argv := []string{b.tools.stardbg, "run", b.script("trace.star"), t.fn, mode, t.abi,
		strconv.FormatInt(w.calls, 10), strconv.FormatInt(w.argsum(), 10)}
	res, err := b.exec(ctx, append(argv, w.argv...)...)
	if err != nil {
		return 0, err
	}
	kv, err := keyValues(res.stdout, "stardbg-bench", "hits", "seconds")
	if err != nil {
		return 0, err
	}
	v, err := ints(kv, "hits")
	if err != nil {
		return 0, err
	}
	if v[0] != w.calls {
		return 0, fmt.Errorf("stardbg counted %d hits, want %d", v[0], w.calls)
	}
	if err := w.check(res.stdout); err != nil {
		return 0, err
	}
	if s, err := float(kv, "seconds"); err == nil && s > 0 {
		row.addExtra("in_script_hits_per_s", float64(v[0])/s)
	}
	return float64(v[0]) / res.wall.Seconds(), nil
}

// bpftraceHits counts the calls with bpftrace, which prints "@c: N" when
// the program it ran has exited.
func (b *bench) bpftraceHits(ctx context.Context, w workload, t hitTarget) (float64, error) {
	prog := fmt.Sprintf("uprobe:%s:%s { @c = count(); }", t.exe, t.fn)
	res, err := b.exec(ctx, b.tools.bpftrace, "-e", prog, "-c", strings.Join(w.argv, " "))
	if err != nil {
		return 0, err
	}
	var hits int64 = -1
	for _, line := range strings.Split(res.stdout, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "@c: "); ok {
			hits, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if hits != w.calls {
		return 0, fmt.Errorf("bpftrace counted %d hits, want %d", hits, w.calls)
	}
	if err := w.check(res.stdout); err != nil {
		return 0, err
	}
	return float64(hits) / res.wall.Seconds(), nil
}

// findBpftrace sets tools.bpftrace if bpftrace is installed.
func (b *bench) findBpftrace() {
	if path, err := exec.LookPath("bpftrace"); err == nil {
		b.tools.bpftrace = path
	}
}
