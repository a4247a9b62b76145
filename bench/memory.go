package main

import (
	"context"
	"fmt"
	"strconv"
)

// Family d: reading a large region of a live target. bench/holdmem fills a
// region and stays alive; stardbg attaches and reads it with one p.peek (timed
// inside the script, so start-up and attaching are left out), and rawread
// reads it with process_vm_readv into a fresh buffer (timed inside the C
// program). Both check the bytes they read.

func (b *bench) memory(ctx context.Context) []*Row {
	size := b.cfg.memMiB << 20
	workload := fmt.Sprintf("holdmem %d MiB", b.cfg.memMiB)
	sd := newRow(toolStardbg, "stardbg, p.peek(region, size)", workload, "MiB/s", true)
	raw := newRow(toolRaw, "raw C process_vm_readv", workload, "MiB/s", true)
	rows := []*Row{sd, raw}

	h, kv, err := b.hold(ctx, "region=", b.tools.holdmem, strconv.Itoa(b.cfg.memMiB))
	if err != nil {
		sd.add(0, err)
		raw.add(0, err)
		return rows
	}
	addr, pid := kv["region"], h.pid
	if got, _ := strconv.Atoi(kv["size"]); got != size {
		h.kill()
		err := fmt.Errorf("holdmem: region of %s bytes, want %d", kv["size"], size)
		sd.add(0, err)
		raw.add(0, err)
		return rows
	}
	read := func(row *Row, prefix string, argv ...string) (float64, error) {
		res, err := b.exec(ctx, argv...)
		if err != nil {
			return 0, err
		}
		kv, err := keyValues(res.stdout, prefix, "bytes", "seconds")
		if err != nil {
			return 0, err
		}
		n, err := ints(kv, "bytes")
		if err != nil {
			return 0, err
		}
		secs, err := float(kv, "seconds")
		if err != nil {
			return 0, err
		}
		if n[0] != int64(size) || secs <= 0 {
			return 0, fmt.Errorf("read %d bytes in %g s, want %d bytes", n[0], secs, size)
		}
		row.addExtra("read_s", secs)
		row.addExtra("wall_s", res.wall.Seconds())
		return float64(size) / (1 << 20) / secs, checkRunning(pid, 1)
	}
	ps := strconv.Itoa(pid)
	b.repeat(ctx, []step{
		{sd, func(ctx context.Context) (float64, error) {
			return read(sd, "stardbg-bench", b.tools.stardbg, "run", b.script("peek.star"), ps, addr, strconv.Itoa(size))
		}},
		{raw, func(ctx context.Context) (float64, error) {
			return read(raw, "rawread", b.tools.rawread, ps, addr, strconv.Itoa(size))
		}},
	})
	if _, err := h.release(b.cfg.timeout); err != nil {
		sd.add(0, err)
		raw.add(0, err)
	}
	sd.Note = "peek timed inside the script"
	return rows
}
