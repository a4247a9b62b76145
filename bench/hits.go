package main

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"strconv"
)

// Families a, b and c: breakpoint hits per second. Every tool runs a target
// that calls a function a known number of times with a breakpoint on it that
// resumes at once; the figure is the hits counted divided by the wall time of
// the whole traced run (start-up included). The untraced run of the same
// target is shown for context.

// A hitTarget is a program whose calls of one function are counted.
type hitTarget struct {
	exe string // absolute path
	fn  string // the function: "hot", "main.hot"
	abi string // the ABI of its first argument for t.arg: "c" or "go"
	reg string // the register of its first argument, for gdb: "rdi", "rax"
}

// A workload is one run of a hit target: its arguments and the calls of the
// function it makes. The targets call it with the arguments 0 .. calls-1,
// each once, and print "calls=N checksum=C" with C the sum of 3*i+1.
type workload struct {
	name  string   // for the table: "hotthreads 8 5000"
	argv  []string // the executable and its arguments
	calls int64
}

func newWorkload(t hitTarget, calls int64, args ...int) workload {
	w := workload{argv: []string{t.exe}, calls: calls}
	for _, a := range args {
		w.argv = append(w.argv, strconv.Itoa(a))
	}
	w.name = shortCmd(w.argv)
	return w
}

func (w workload) argsum() int64   { return w.calls * (w.calls - 1) / 2 }
func (w workload) checksum() int64 { return 3*w.argsum() + w.calls }

// check verifies the target's own report of its run.
func (w workload) check(out string) error {
	kv, err := keyValues(out, "", "calls", "checksum")
	if err != nil {
		return fmt.Errorf("target: %v", err)
	}
	v, err := ints(kv, "calls", "checksum")
	if err != nil {
		return fmt.Errorf("target: %v", err)
	}
	if v[0] != w.calls || v[1] != w.checksum() {
		return fmt.Errorf("target: printed calls=%d checksum=%d, want calls=%d checksum=%d", v[0], v[1], w.calls, w.checksum())
	}
	return nil
}

func (b *bench) hitsSingle(ctx context.Context) []*Row {
	c := b.cfg
	t := hitTarget{exe: b.tools.hotloop, fn: "hot", abi: "c", reg: "rdi"}
	w := newWorkload(t, int64(c.loopCalls), c.loopCalls)
	return b.hitRows(ctx, t, []hitRun{
		{tool: toolUntraced, w: w},
		{tool: toolStardbg, mode: "empty", w: w},
		{tool: toolStardbg, mode: "arg", w: w},
		{tool: toolRaw, w: newWorkload(t, int64(c.loopRawCalls), c.loopRawCalls), exact: true},
		{tool: toolGDB, w: newWorkload(t, int64(c.loopGDBCalls), c.loopGDBCalls), exact: true},
	})
}

func (b *bench) hitsThreads(ctx context.Context) []*Row {
	c := b.cfg
	t := hitTarget{exe: b.tools.hotthreads, fn: "hot", abi: "c", reg: "rdi"}
	w := newWorkload(t, int64(c.threads*c.threadCalls), c.threads, c.threadCalls)
	return b.hitRows(ctx, t, []hitRun{
		{tool: toolUntraced, w: w},
		{tool: toolStardbg, mode: "arg", w: w},
		{tool: toolRaw, w: w},
		{tool: toolGDB, mode: "arg", w: newWorkload(t, int64(c.threads*c.threadGDBCalls), c.threads, c.threadGDBCalls), exact: true},
	})
}

func (b *bench) hitsGo(ctx context.Context) []*Row {
	c := b.cfg
	t := hitTarget{exe: b.tools.hotgo, fn: "main.hot", abi: "go", reg: "rax"}
	w := newWorkload(t, int64(c.goroutines*c.goCalls), c.goroutines, c.goCalls)
	return b.hitRows(ctx, t, []hitRun{
		{tool: toolUntraced, w: w},
		{tool: toolStardbg, mode: "arg", w: w},
		{tool: toolGDB, mode: "arg", w: newWorkload(t, int64(c.goroutines*c.goGDBCalls), c.goroutines, c.goGDBCalls), exact: true},
	})
}

// A hitRun is one row of a hit family.
type hitRun struct {
	tool  string
	mode  string // "empty" (count only) or "arg" (read the first argument too)
	w     workload
	exact bool // for a reference tool: a count that differs is worth a note
}

// hitRows measures the rows of one hit family.
func (b *bench) hitRows(ctx context.Context, t hitTarget, runs []hitRun) []*Row {
	var rows []*Row
	var steps []step
	for _, hr := range runs {
		var row *Row
		var run func(ctx context.Context, row *Row) (float64, error)
		switch hr.tool {
		case toolUntraced:
			row = newRow(hr.tool, "untraced", hr.w.name, "s", false)
			row.Note = "wall time, for context"
			run = func(ctx context.Context, row *Row) (float64, error) { return b.untraced(ctx, hr.w) }
		case toolStardbg:
			row = newRow(hr.tool, "stardbg, "+modeName(hr.mode), hr.w.name, "hits/s", true)
			run = func(ctx context.Context, row *Row) (float64, error) { return b.stardbgHits(ctx, row, t, hr.w, hr.mode) }
		case toolRaw:
			row = newRow(hr.tool, "raw C ptrace (classic step)", hr.w.name, "hits/s", true)
			run = func(ctx context.Context, row *Row) (float64, error) { return b.rawHits(ctx, row, t, hr.w) }
		case toolGDB:
			row = newRow(hr.tool, "gdb, Python stop() False", hr.w.name, "hits/s", true)
			if hr.mode == "arg" {
				row.Name = "gdb, Python stop() reads $" + t.reg
			}
			if b.tools.gdb == "" {
				row.Skipped = b.tools.gdbMissing
			}
			run = func(ctx context.Context, row *Row) (float64, error) { return b.gdbHits(ctx, row, t, hr.w, hr.mode) }
		}
		rows = append(rows, row)
		steps = append(steps, step{row, func(ctx context.Context) (float64, error) { return run(ctx, row) }})
	}
	b.repeat(ctx, steps)
	for i, hr := range runs {
		if hr.tool == toolRaw || hr.tool == toolGDB {
			countNote(rows[i], hr.w.calls, hr.exact)
		}
	}
	return rows
}

func modeName(mode string) string {
	switch mode {
	case "empty":
		return "empty callback"
	case "peek":
		return "callback reads o->qty with peek_int(arg(0) + 16, 4)"
	case "var":
		return `callback reads o->qty with frame().var("o").qty`
	case "return":
		return "on_return only, empty (two stops a call)"
	case "retval":
		return "on_return only, reads call.ret.value"
	}
	return "callback reads arg(0), peeks 16 B"
}

// countNote notes how many hits a reference tool counted, when that is not
// the number of calls.
func countNote(r *Row, calls int64, exact bool) {
	counts := r.extra["hits"]
	if len(counts) == 0 {
		return
	}
	lo, hi := counts[0], counts[0]
	for _, c := range counts {
		lo, hi = min(lo, c), max(hi, c)
	}
	if lo == float64(calls) && hi == lo {
		return
	}
	span := fmt.Sprintf("%.0f", lo)
	if hi != lo {
		span = fmt.Sprintf("%.0f..%.0f", lo, hi)
	}
	r.Note = fmt.Sprintf("counted %s of %d hits (%.1f%%..%.1f%%)", span, calls, 100*lo/float64(calls), 100*hi/float64(calls))
	if exact {
		r.Note = "INEXACT: " + r.Note
	}
}

func (b *bench) untraced(ctx context.Context, w workload) (float64, error) {
	res, err := b.exec(ctx, w.argv...)
	if err != nil {
		return 0, err
	}
	return res.wall.Seconds(), w.check(res.stdout)
}

func (b *bench) stardbgHits(ctx context.Context, row *Row, t hitTarget, w workload, mode string) (float64, error) {
	want := w.argsum()
	if mode == "retval" {
		want = w.checksum() // the sum of hot's results, 3*i+1
	}
	argv := []string{b.tools.stardbg, "run", b.script("hits.star"), t.fn, mode, t.abi,
		strconv.FormatInt(w.calls, 10), strconv.FormatInt(want, 10)}
	res, err := b.exec(ctx, append(argv, w.argv...)...)
	if err != nil {
		return 0, err
	}
	kv, err := keyValues(res.stdout, "stardbg-bench", "hits", "argsum", "seconds")
	if err != nil {
		return 0, err
	}
	v, err := ints(kv, "hits", "argsum")
	if err != nil {
		return 0, err
	}
	if v[0] != w.calls || mode != "empty" && mode != "return" && v[1] != want {
		return 0, fmt.Errorf("stardbg counted %d hits with a sum of %d, want %d and %d", v[0], v[1], w.calls, want)
	}
	if err := w.check(res.stdout); err != nil {
		return 0, err
	}
	if s, err := float(kv, "seconds"); err == nil && s > 0 {
		row.addExtra("in_script_hits_per_s", float64(v[0])/s)
	}
	row.addExtra("cpu_s_per_hit", res.cpu.Seconds()/float64(v[0]))
	return float64(v[0]) / res.wall.Seconds(), nil
}

func (b *bench) rawHits(ctx context.Context, row *Row, t hitTarget, w workload) (float64, error) {
	vaddr, lowest, err := elfSymbol(t.exe, t.fn)
	if err != nil {
		return 0, err
	}
	argv := []string{b.tools.rawtrace, fmt.Sprintf("%#x", vaddr), fmt.Sprintf("%#x", lowest)}
	return b.referenceHits(ctx, row, w, argv, "rawtrace")
}

func (b *bench) gdbHits(ctx context.Context, row *Row, t hitTarget, w workload, mode string) (float64, error) {
	reg := ""
	if mode == "arg" {
		reg = t.reg
	}
	argv := []string{b.tools.gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
		"-ex", fmt.Sprintf("python bench_func, bench_reg = %q, %q", t.fn, reg),
		"-x", b.script("gdbhits.py"), "--args"}
	return b.referenceHits(ctx, row, w, argv, "gdbbench")
}

// referenceHits runs a reference tracer (argv, then the workload's command),
// which prints "PREFIX hits=N": its count goes in the row's extras (it may
// miss hits, or count some twice), its rate is the result.
func (b *bench) referenceHits(ctx context.Context, row *Row, w workload, argv []string, prefix string) (float64, error) {
	res, err := b.exec(ctx, append(argv, w.argv...)...)
	if err != nil {
		return 0, err
	}
	kv, err := keyValues(res.stdout, prefix, "hits")
	if err != nil {
		return 0, err
	}
	v, err := ints(kv, "hits")
	if err != nil {
		return 0, err
	}
	if err := w.check(res.stdout); err != nil {
		return 0, err
	}
	row.addExtra("hits", float64(v[0]))
	return float64(v[0]) / res.wall.Seconds(), nil
}

// elfSymbol returns the link-time address of a function of an executable and
// the lowest address of its first loadable segment, page aligned: rawtrace
// adds the load bias to the first and subtracts the second.
func elfSymbol(path, name string) (addr, lowest uint64, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	for _, s := range syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			addr = s.Value
		}
	}
	if addr == 0 {
		return 0, 0, fmt.Errorf("%s: no function %q", path, name)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			return addr, p.Vaddr &^ 0xfff, nil
		}
	}
	return 0, 0, errors.New(path + ": no loadable segment")
}
