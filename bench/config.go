package main

import (
	"io"
	"time"
)

// A config holds the sizes of every measurement. The defaults are chosen so
// that each traced run takes about 1 to 3 seconds on a 2-core machine, where a
// ptrace stop costs tens of microseconds; the whole default run stays under
// about five minutes, and -quick under one.
type config struct {
	reps     int             // repetitions of each measurement
	families map[string]bool // which families to run
	log      io.Writer       // if set, every run is logged there
	timeout  time.Duration   // limit of any one subprocess
	noGDB    bool            // skip the gdb rows even if gdb is installed
	cpus     string          // if set, measured commands run under taskset -c cpus

	// a: hotloop N, calls of hot per tool (gdb is slower: fewer calls)
	loopCalls, loopRawCalls, loopGDBCalls int
	// b: hotthreads K M, K threads, M calls each (stardbg and the raw tracer
	// run the same M; gdb a smaller one)
	threads, threadCalls, threadGDBCalls int
	// c: hotgo G M
	goroutines, goCalls, goGDBCalls int
	// g: hotorder N, calls of hot per row
	typedCalls int
	// h: hotloop N and hotthreads 8 N/8 with tracepoints (break_at runs loopCalls)
	traceCalls int
	// r: hotloop N, calls of hot per return-probe row
	returnCalls int
	// d: MiB read from the target
	memMiB int
	// e: threads of the target attached to
	attachThreads int
	// i: goroutines goparked parks
	parkedGoroutines int
	// s: bytes dd copies one at a time (a read and a write each)
	ddBytes int
	// k: children bash makes in the fork storm
	stormForks int
}

func defaultConfig() config {
	return config{
		reps:    5,
		timeout: 2 * time.Minute,

		loopCalls:    120000,
		loopRawCalls: 20000,
		loopGDBCalls: 10000,

		threads:        8,
		threadCalls:    10000,
		threadGDBCalls: 2500,

		goroutines: 8,
		goCalls:    10000,
		goGDBCalls: 2500,

		typedCalls: 60000,

		traceCalls:  1000000,
		returnCalls: 40000,

		memMiB:        64,
		attachThreads: 1000,

		parkedGoroutines: 10000,
		ddBytes:          1000000,
		stormForks:       200,
	}
}

func quickConfig() config {
	c := defaultConfig()
	c.reps = 3
	c.loopCalls, c.loopRawCalls, c.loopGDBCalls = 20000, 4000, 2000
	c.threadCalls, c.threadGDBCalls = 2000, 500
	c.goCalls, c.goGDBCalls = 2000, 500
	c.attachThreads = 200
	c.typedCalls = 10000
	c.returnCalls = 10000
	c.parkedGoroutines = 1000
	c.ddBytes = 100000
	c.traceCalls = 200000
	return c
}
