// Bench measures stardbg against reference tools, side by side in one run:
// breakpoint hit rates (against a raw C ptrace tracer and gdb), reading 64 MiB
// of a target's memory (against process_vm_readv in C), attaching to and
// detaching from 1,000 threads (against a raw C attacher and gdb), and start-up
// (against gdb).
//
// It builds everything it runs into a temporary directory (stardbg itself, the
// test targets from testdata/, and the C reference tools in this directory),
// repeats each measurement, and prints medians and the ratio of stardbg's speed
// to each reference's. Figures are reported, never asserted; counts are checked
// exactly. See README.md for what each figure means.
//
// Usage, from the module root:
//
//	go run ./bench [-reps N] [-quick] [-only a,b,...] [-json FILE] [-cpus LIST] [-v]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reps := fs.Int("reps", 0, "repetitions of each measurement (default 5, or 3 with -quick)")
	quick := fs.Bool("quick", false, "small sizes for a fast smoke run")
	only := fs.String("only", "", "comma-separated families to run (a,b,c,...: see below); default all")
	jsonPath := fs.String("json", "bench-results.json", "write the results as JSON to `FILE` (\"\" for none)")
	verbose := fs.Bool("v", false, "log every run")
	cpus := fs.String("cpus", "", "pin every measured command to the CPUs in `LIST` (taskset -c LIST); default unpinned")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]\n\n%s\n\nflags:\n", familyHelp())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cfg := defaultConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *reps < 0 {
		fmt.Fprintln(stderr, "bench: -reps must be positive")
		return 2
	}
	if *reps > 0 {
		cfg.reps = *reps
	}
	fams, err := parseFamilies(*only)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	cfg.families = fams
	if *verbose {
		cfg.log = stderr
	}
	cfg.cpus = *cpus

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	fmt.Fprintf(stderr, "bench: building stardbg, targets and reference tools...\n")
	b, err := setup(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	defer b.close()
	if b.tools.gdb == "" {
		fmt.Fprintf(stderr, "bench: %s: skipping the gdb rows\n", b.tools.gdbMissing)
	}
	res := b.runAll(ctx, stderr)
	res.Elapsed = time.Since(start).Seconds()
	printTable(stdout, res)
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, res); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s\n", *jsonPath)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "bench: interrupted")
		return 1
	}
	if n := res.failures(); n > 0 {
		fmt.Fprintf(stderr, "bench: %d measurement(s) failed\n", n)
		return 1
	}
	return 0
}

// A family is one group of measurements, run by one function.
type family struct {
	id    string
	title string
	run   func(b *bench, ctx context.Context) []*Row
}

var families = []family{
	{"a", "breakpoint hits, hotloop (1 thread)", (*bench).hitsSingle},
	{"b", "breakpoint hits, hotthreads (8 threads)", (*bench).hitsThreads},
	{"c", "breakpoint hits, hotgo (8 goroutines)", (*bench).hitsGo},
	{"d", "reading a large region of a target", (*bench).memory},
	{"e", "attach + detach, many threads", (*bench).attach},
	{"f", "start-up", (*bench).startup},
	{"g", "typed reads: a field by name vs peek_int, hotorder (1 thread)", (*bench).hitsTyped},
	{"h", "tracepoints vs bpftrace and break_at, hotloop (1 thread) and hotthreads (8)", (*bench).tracepoints},
	{"i", "goroutines: p.goroutines() on goparked (10,000 parked)", (*bench).goroutines},
	{"r", "return probes: on_return against on_hit, hotloop (1 thread)", (*bench).hitsReturn},
	{"s", "system call catchpoints, dd bs=1 (a read and a write per byte)", (*bench).syscalls},
	{"k", "process families: a fork storm, bash running /bin/true 200 times", (*bench).forks},
}

func familyHelp() string {
	var s strings.Builder
	s.WriteString("families:")
	for _, f := range families {
		fmt.Fprintf(&s, "\n  %s  %s", f.id, f.title)
	}
	return s.String()
}

// parseFamilies returns the set of family ids in a -only list (all if empty).
func parseFamilies(list string) (map[string]bool, error) {
	set := map[string]bool{}
	if strings.TrimSpace(list) == "" {
		for _, f := range families {
			set[f.id] = true
		}
		return set, nil
	}
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		ok := false
		for _, f := range families {
			ok = ok || f.id == id
		}
		if !ok {
			return nil, fmt.Errorf("-only: no family %q (%s)", id, familyHelp())
		}
		set[id] = true
	}
	return set, nil
}

// runAll runs the selected families in order and computes the ratios.
func (b *bench) runAll(ctx context.Context, progress io.Writer) *Results {
	res := newResults(b)
	for _, f := range families {
		if !b.cfg.families[f.id] || ctx.Err() != nil {
			continue
		}
		fmt.Fprintf(progress, "bench: %s: %s\n", f.id, f.title)
		t0 := time.Now()
		rows := f.run(b, ctx)
		for _, r := range rows {
			r.Family = f.id
			r.finish()
		}
		computeRatios(rows)
		res.Families = append(res.Families, &Family{ID: f.id, Title: f.title, Rows: rows, Seconds: time.Since(t0).Seconds()})
	}
	return res
}

// A step is one measured run of one row: it returns the row's figure.
type step struct {
	row *Row
	run func(ctx context.Context) (float64, error)
}

// repeat runs the steps reps times, interleaved (a, b, c, a, b, c, ...) so
// that a slow drift of the machine affects every row alike. A row whose run
// fails is not run again.
func (b *bench) repeat(ctx context.Context, steps []step) {
	for range b.cfg.reps {
		for _, s := range steps {
			if ctx.Err() != nil {
				return
			}
			if s.row.ok() {
				s.row.add(s.run(ctx))
			}
		}
	}
}
