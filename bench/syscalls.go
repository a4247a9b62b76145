package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
)

// Family s: system call catchpoints, on dd if=/dev/zero of=/dev/null bs=1
// (a read and a write per byte). With openat caught, the seccomp filter lets
// the two million reads and writes run at full speed: the bound is 10% over
// the untraced run's time. With write caught and counted by a Starlark
// callback, every write stops twice (entry and exit): the bound is strace's
// rate tracing write, with and without its own seccomp filter
// (--seccomp-bpf). stardbg's time is that of p.run() inside the script, from
// the stop after launch to the exit, as the untraced and strace rows' wall
// time covers dd's run (and strace's start-up).

const (
	toolStrace    = "strace"
	toolStraceBPF = "strace --seccomp-bpf"
)

func (b *bench) syscalls(ctx context.Context) []*Row {
	n := b.cfg.ddBytes
	dd := []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + strconv.Itoa(n)}
	work := shortCmd(dd)
	untraced := newRow(toolUntraced, "untraced", work, "s", false)
	untraced.Note = "wall time"
	caught := newRow(toolStardbg, "stardbg, openat caught (seccomp filter)", work, "s", false)
	counted := newRow(toolStardbg, "stardbg, write caught, counted by on_entry", work, "calls/s", true)
	strace := newRow(toolStrace, "strace -f -qq -e trace=write -o /dev/null", work, "calls/s", true)
	straceBPF := newRow(toolStraceBPF, "strace -f -qq --seccomp-bpf -e trace=write -o /dev/null", work, "calls/s", true)
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		strace.Skipped, straceBPF.Skipped = "strace is not installed", "strace is not installed"
	}
	steps := []step{
		{untraced, func(ctx context.Context) (float64, error) {
			res, err := b.exec(ctx, dd...)
			if err != nil {
				return 0, err
			}
			return res.wall.Seconds(), nil
		}},
		{caught, func(ctx context.Context) (float64, error) { return b.stardbgSyscalls(ctx, "catch", "openat", n, dd) }},
		{counted, func(ctx context.Context) (float64, error) {
			s, err := b.stardbgSyscalls(ctx, "count", "write", n, dd)
			return float64(n) / s, err
		}},
		{strace, func(ctx context.Context) (float64, error) { return b.straceRate(ctx, straceBin, nil, n, dd) }},
		{straceBPF, func(ctx context.Context) (float64, error) {
			return b.straceRate(ctx, straceBin, []string{"--seccomp-bpf"}, n, dd)
		}},
	}
	b.repeat(ctx, steps)
	rows := []*Row{untraced, caught, counted, strace, straceBPF}
	for _, r := range rows {
		r.finish()
	}
	if caught.ok() && untraced.ok() && len(caught.Samples) > 0 && len(untraced.Samples) > 0 {
		ratio := caught.Median / untraced.Median
		caught.Ratios = map[string]float64{toolUntraced: untraced.Median / caught.Median}
		caught.Note = fmt.Sprintf("%.3fx the untraced time (bound 1.10x)", ratio)
	}
	if counted.ok() && len(counted.Samples) > 0 {
		note := ""
		for _, ref := range []*Row{strace, straceBPF} {
			if ref.ok() && ref.Median > 0 {
				if counted.Ratios == nil {
					counted.Ratios = map[string]float64{}
				}
				counted.Ratios[ref.Tool] = counted.Median / ref.Median
				note += fmt.Sprintf("%.2fx %s; ", counted.Median/ref.Median, ref.Tool)
			}
		}
		if note != "" {
			counted.Note = note + "bound 1x both"
		}
	}
	return rows
}

// stardbgSyscalls runs syscalls.star and returns the seconds p.run() took.
func (b *bench) stardbgSyscalls(ctx context.Context, mode, name string, calls int, argv []string) (float64, error) {
	args := append([]string{b.tools.stardbg, "run", b.script("syscalls.star"), mode, name, strconv.Itoa(calls)}, argv...)
	res, err := b.exec(ctx, args...)
	if err != nil {
		return 0, err
	}
	kv, err := keyValues(res.stdout, "stardbg-bench", "calls", "seconds")
	if err != nil {
		return 0, err
	}
	return float(kv, "seconds")
}

// straceRate runs dd under strace tracing write, its output thrown away,
// and returns the writes per second of wall time.
func (b *bench) straceRate(ctx context.Context, strace string, extra []string, calls int, argv []string) (float64, error) {
	args := append(append([]string{strace, "-f", "-qq"}, extra...), "-e", "trace=write", "-o", "/dev/null")
	res, err := b.exec(ctx, append(args, argv...)...)
	if err != nil {
		return 0, err
	}
	return float64(calls) / res.wall.Seconds(), nil
}
