package main

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuick runs every family once at the -quick sizes. It asserts no
// figure, only that every tool ran and that every count was exact (the
// families turn a wrong count into a row error), and that the JSON report
// reads back. It skips when stardbg or a compiler cannot be built yet.
func TestQuick(t *testing.T) {
	cfg := quickConfig()
	cfg.reps = 1
	cfg.families, _ = parseFamilies("")
	if testing.Verbose() {
		cfg.log = os.Stderr
	}
	ctx := context.Background()
	b, err := setup(ctx, cfg)
	var be *BuildError
	switch {
	case errors.As(err, &be) && (be.What == "stardbg" || errors.Is(err, exec.ErrNotFound)):
		t.Skipf("cannot build what the benchmark runs yet: %v", err)
	case err != nil:
		t.Fatal(err)
	}
	defer b.close()

	res := b.runAll(ctx, testWriter{t})
	if len(res.Families) != len(families) {
		t.Fatalf("ran %d families, want %d", len(res.Families), len(families))
	}
	for _, f := range res.Families {
		for _, r := range f.Rows {
			name := f.ID + " " + r.Name
			switch {
			case r.Skipped != "":
				if r.Tool != toolGDB || b.tools.gdb != "" {
					t.Errorf("%s: skipped (%s)", name, r.Skipped)
				}
			case r.Error != "":
				t.Errorf("%s: %s", name, r.Error)
			case len(r.Samples) != cfg.reps || r.Median <= 0:
				t.Errorf("%s: samples %v, want %d positive", name, r.Samples, cfg.reps)
			}
			if r.Tool != toolStardbg {
				continue
			}
			for _, ref := range f.Rows {
				if (ref.Tool == toolRaw || ref.Tool == toolGDB) && ref.ok() && r.Ratios[ref.Tool] <= 0 {
					t.Errorf("%s: no ratio to %s (ratios %v)", name, ref.Tool, r.Ratios)
				}
			}
		}
	}

	path := filepath.Join(t.TempDir(), "results.json")
	if err := writeJSON(path, res); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Families) != len(res.Families) || back.Reps != cfg.reps {
		t.Errorf("JSON read back %d families and %d reps, want %d and %d", len(back.Families), back.Reps, len(res.Families), cfg.reps)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestRatios(t *testing.T) {
	rate := func(tool string, v float64) *Row {
		r := newRow(tool, tool, "w", "hits/s", true)
		r.add(v, nil)
		r.finish()
		return r
	}
	secs := func(tool string, v float64) *Row {
		r := newRow(tool, tool, "w", "s", false)
		r.add(v, nil)
		r.finish()
		return r
	}
	failed := rate(toolGDB, 10)
	failed.Error = "boom"
	rows := []*Row{rate(toolStardbg, 300), rate(toolRaw, 100), failed, rate(toolUntraced, 1)}
	computeRatios(rows)
	if got := rows[0].Ratios; len(got) != 1 || got[toolRaw] != 3 {
		t.Errorf("rate ratios = %v, want only raw: 3", got)
	}
	rows = []*Row{secs(toolStardbg, 0.5), secs(toolGDB, 2)}
	computeRatios(rows)
	if got := rows[0].Ratios[toolGDB]; math.Abs(got-4) > 1e-12 {
		t.Errorf("time ratio vs gdb = %v, want 4 (stardbg 4 times as fast)", got)
	}
}

func TestKeyValues(t *testing.T) {
	out := "answer=42\ncalls=10 checksum=145\nstardbg-bench hits=10 argsum=45 seconds=0.5\ncalls=3\n"
	kv, err := keyValues(out, "", "calls", "checksum")
	if err != nil || kv["calls"] != "10" || kv["checksum"] != "145" {
		t.Errorf(`keyValues("", calls, checksum) = %v, %v; want calls=10 checksum=145`, kv, err)
	}
	kv, err = keyValues(out, "stardbg-bench", "hits")
	if err != nil || kv["hits"] != "10" || kv["seconds"] != "0.5" {
		t.Errorf("keyValues(stardbg-bench, hits) = %v, %v; want hits=10 seconds=0.5", kv, err)
	}
	if _, err := keyValues(out, "rawtrace", "hits"); err == nil {
		t.Error("keyValues(rawtrace) found a line in output without one")
	}
}

func TestWorkloadCheck(t *testing.T) {
	w := workload{calls: 10}
	if err := w.check("calls=10 checksum=145\n"); err != nil {
		t.Errorf("check of a correct run: %v", err)
	}
	if err := w.check("calls=10 checksum=144\n"); err == nil {
		t.Error("check accepted a wrong checksum")
	}
}
