package main

import (
	"context"
	"fmt"
	"strconv"
)

// Family i: listing the goroutines of a stopped Go program with 10,000
// goroutines parked (testdata/go/goparked). p.goroutines() reads
// runtime.allgs and each g (one read per goroutine); the reference is one
// p.peek of as many bytes, in the same script at the same stop: the
// ratio says what reading 10,000 gs one by one costs over one read. The
// second row also unwinds each goroutine's innermost frame (g.function).
// The bound: well under a second.

func (b *bench) goroutines(ctx context.Context) []*Row {
	n := b.cfg.parkedGoroutines
	workload := fmt.Sprintf("goparked %d", n)
	list := newRow(toolStardbg, "stardbg, p.goroutines()", workload, "s", false)
	top := newRow(toolStardbg, "stardbg, p.goroutines() and each g.function", workload, "s", false)
	rows := []*Row{list, top}
	var ratios []float64
	b.repeat(ctx, []step{{list, func(ctx context.Context) (float64, error) {
		res, err := b.exec(ctx, b.tools.stardbg, "run", b.script("goroutines.star"), b.tools.goparked, strconv.Itoa(n))
		if err != nil {
			return 0, err
		}
		kv, err := keyValues(res.stdout, "stardbg-bench", "goroutines", "list_s", "top_s", "peek_s")
		if err != nil {
			return 0, err
		}
		var s [3]float64
		for i, k := range []string{"list_s", "top_s", "peek_s"} {
			if s[i], err = float(kv, k); err != nil {
				return 0, err
			}
		}
		if g, err := ints(kv, "goroutines"); err != nil || g[0] <= int64(n) {
			return 0, fmt.Errorf("listed %s goroutines, want more than %d", kv["goroutines"], n)
		}
		top.add(s[1], nil)
		list.addExtra("peek_s", s[2])
		ratios = append(ratios, s[0]/s[2])
		return s[0], nil
	}}})
	if len(ratios) > 0 {
		list.Note = fmt.Sprintf("%.0fx the time of one p.peek of the same bytes at the same stop (median over %d reps)", median(ratios), len(ratios))
	}
	return rows
}
