package main

import (
	"context"
	"fmt"
	"strconv"
)

// Family e: attaching to every thread of a process of many threads and
// detaching again, timed as the wall time of each whole tool run (start-up
// included). testdata/c/manythreads keeps its threads blocked in read() while
// the tools take turns; after each turn every thread must be running and
// untraced, and at the end the target must join all its threads normally.

func (b *bench) attach(ctx context.Context) []*Row {
	n := b.cfg.attachThreads
	workload := fmt.Sprintf("manythreads %d", n)
	sdE := newRow(toolStardbg, "stardbg attach -e 'p.detach()' PID", workload, "s", false)
	sd := newRow(toolStardbg, "stardbg run: attach(), detach()", workload, "s", false)
	sd.Note = "also times attach and detach inside the script"
	raw := newRow(toolRaw, "raw C SEIZE+INTERRUPT, DETACH", workload, "s", false)
	gdb := newRow(toolGDB, "gdb -batch -p PID", workload, "s", false)
	rows := []*Row{sdE, sd, raw, gdb}
	if b.tools.gdb == "" {
		gdb.Skipped = b.tools.gdbMissing
	}

	// The target's own timeout is a safety net: it ends when stdin closes.
	h, kv, err := b.hold(ctx, "ready", b.tools.manythreads, strconv.Itoa(n), "900")
	if err != nil {
		for _, r := range rows {
			r.add(0, err)
		}
		return rows
	}
	if kv["threads"] != strconv.Itoa(n) {
		h.kill()
		for _, r := range rows {
			r.add(0, fmt.Errorf("manythreads: ready with threads=%s, want %d", kv["threads"], n))
		}
		return rows
	}
	pid := strconv.Itoa(h.pid)
	tasks := n + 1 // and the main thread
	// run times one tool run, checks the thread count it reports and that
	// it left the target running.
	run := func(row *Row, prefix string, argv ...string) (float64, error) {
		res, err := b.exec(ctx, argv...)
		if err != nil {
			return 0, err
		}
		kv, err := keyValues(res.stdout, prefix, "threads")
		if err != nil {
			return 0, err
		}
		if kv["threads"] != strconv.Itoa(tasks) {
			return 0, fmt.Errorf("attached %s threads, want %d", kv["threads"], tasks)
		}
		for _, k := range []string{"attach", "detach"} {
			if v, err := float(kv, k); err == nil {
				row.addExtra(k+"_s", v)
			}
		}
		return res.wall.Seconds(), checkRunning(h.pid, tasks)
	}
	b.repeat(ctx, []step{
		{sdE, func(ctx context.Context) (float64, error) {
			return run(sdE, "stardbg-bench", b.tools.stardbg, "attach", "-e",
				`print("stardbg-bench threads=%d" % len(p.threads())); p.detach()`, pid)
		}},
		{sd, func(ctx context.Context) (float64, error) {
			return run(sd, "stardbg-bench", b.tools.stardbg, "run", b.script("attach.star"), pid, strconv.Itoa(tasks))
		}},
		{raw, func(ctx context.Context) (float64, error) {
			return run(raw, "rawattach", b.tools.rawattach, pid)
		}},
		{gdb, func(ctx context.Context) (float64, error) {
			return run(gdb, "gdbbench", b.tools.gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off", "-p", pid,
				"-ex", `python print("gdbbench threads=%d" % len(gdb.selected_inferior().threads()))`)
		}},
	})
	out, err := h.release(b.cfg.timeout)
	if err == nil {
		if kv, kerr := keyValues(out, "", "joined", "reason"); kerr != nil || kv["joined"] != strconv.Itoa(n) || kv["reason"] != "eof" {
			err = fmt.Errorf("manythreads ended with %q, want \"joined=%d reason=eof\"", out, n)
		}
	}
	if err != nil {
		for _, r := range rows {
			if r.ok() {
				r.add(0, err)
			}
		}
	}
	return rows
}
