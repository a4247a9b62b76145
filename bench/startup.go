package main

import (
	"context"
	"fmt"
	"strings"
)

// Family f: start-up, the wall time of the smallest useful run of each tool:
// stardbg running a script that prints one line, against gdb starting and
// quitting in batch mode.

func (b *bench) startup(ctx context.Context) []*Row {
	sd := newRow(toolStardbg, "stardbg run hello.star", "print one line", "s", false)
	gdb := newRow(toolGDB, "gdb -batch -nx -ex quit", "quit at once", "s", false)
	if b.tools.gdb == "" {
		gdb.Skipped = b.tools.gdbMissing
	}
	b.repeat(ctx, []step{
		{sd, func(ctx context.Context) (float64, error) {
			res, err := b.exec(ctx, b.tools.stardbg, "run", b.script("hello.star"))
			if err != nil {
				return 0, err
			}
			if strings.TrimSpace(res.stdout) != "hello" {
				return 0, fmt.Errorf("stardbg printed %q, want \"hello\"", res.stdout)
			}
			return res.wall.Seconds(), nil
		}},
		{gdb, func(ctx context.Context) (float64, error) {
			res, err := b.exec(ctx, b.tools.gdb, "-batch", "-nx", "-ex", "quit")
			if err != nil {
				return 0, err
			}
			return res.wall.Seconds(), nil
		}},
	})
	return []*Row{sd, gdb}
}
