package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
)

// Family k: process families, on the fork storm of issue 18: bash running
// /bin/true 200 times. Rows: the untraced run; stardbg with a breakpoint on
// libc's exit in bash alone, its children let go (follow_forks=False);
// stardbg following every child (follow_forks=True), the breakpoint copied
// into each and placed again after its exec, each exec's stop continued from
// wait_any; and strace -f tracing exit_group, the reference for a tracer that
// follows every child. stardbg's time is that of the run inside the script,
// from cont() to bash's exit; the others' is the wall time of the run.

func (b *bench) forks(ctx context.Context) []*Row {
	storm := []string{"bash", "-c", "for i in $(seq " + strconv.Itoa(b.cfg.stormForks) + "); do /bin/true; done"}
	work := fmt.Sprintf("bash: %d x /bin/true", b.cfg.stormForks)
	untraced := newRow(toolUntraced, "untraced", work, "s", false)
	plain := newRow(toolStardbg, "stardbg, children let go", work, "s", false)
	follow := newRow(toolStardbg, "stardbg, follow_forks=True", work, "s", false)
	strace := newRow(toolStrace, "strace -f -qq -e trace=exit_group -o /dev/null", work, "s", false)
	straceBin, err := exec.LookPath("strace")
	if err != nil {
		strace.Skipped = "strace is not installed"
	}
	b.repeat(ctx, []step{
		{untraced, func(ctx context.Context) (float64, error) {
			res, err := b.exec(ctx, storm...)
			if err != nil {
				return 0, err
			}
			return res.wall.Seconds(), nil
		}},
		{plain, func(ctx context.Context) (float64, error) { return b.stardbgForks(ctx, "plain", 1, storm) }},
		{follow, func(ctx context.Context) (float64, error) {
			return b.stardbgForks(ctx, "follow", b.cfg.stormForks+2, storm) // seq's subshell too
		}},
		{strace, func(ctx context.Context) (float64, error) {
			res, err := b.exec(ctx, append([]string{straceBin, "-f", "-qq", "-e", "trace=exit_group", "-o", "/dev/null"}, storm...)...)
			if err != nil {
				return 0, err
			}
			return res.wall.Seconds(), nil
		}},
	})
	rows := []*Row{untraced, plain, follow, strace}
	for _, r := range rows {
		r.finish()
	}
	if follow.ok() && len(follow.Samples) > 0 {
		follow.Ratios = map[string]float64{}
		note := ""
		for _, ref := range []*Row{untraced, strace} {
			if ref.ok() && ref.Median > 0 {
				follow.Ratios[ref.Tool] = ref.Median / follow.Median // speeds, as computeRatios gives them
				note += fmt.Sprintf("%.2fx the time of %s; ", follow.Median/ref.Median, ref.Tool)
			}
		}
		follow.Note = note + "time per process " + fmt.Sprintf("%.2f ms", 1000*follow.Median/float64(b.cfg.stormForks+2))
	}
	return rows
}

// stardbgForks runs forks.star and returns the seconds the run took inside
// the script; it fails unless want processes ended (1 without following).
func (b *bench) stardbgForks(ctx context.Context, mode string, want int, argv []string) (float64, error) {
	args := append([]string{b.tools.stardbg, "run", b.script("forks.star"), mode}, argv...)
	res, err := b.exec(ctx, args...)
	if err != nil {
		return 0, err
	}
	kv, err := keyValues(res.stdout, "stardbg-bench", "processes", "seconds")
	if err != nil {
		return 0, err
	}
	if n, _ := float(kv, "processes"); int(n) != want {
		return 0, fmt.Errorf("forks.star: %v processes ended, want %d", n, want)
	}
	return float(kv, "seconds")
}
