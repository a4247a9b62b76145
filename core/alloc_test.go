package core

import (
	"runtime"
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// A hit allocates nothing in the engine, whether the instruction under the
// breakpoint is emulated or run out of line: 20,000 hits may cost a few
// allocations (the exit event, Wait's own), not one per hit.
func TestHitsDoNotAllocate(t *testing.T) {
	for _, displaced := range []bool{false, true} {
		name := map[bool]string{false: "emulated", true: "displaced"}[displaced]
		t.Run(name, func(t *testing.T) {
			const n = 20000
			bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
			e := newEngine(t)
			p := launch(t, e, bin, strconv.Itoa(n))
			p.e.Do(func() { p.noEmulate = displaced })
			hits := 0
			if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ev := runToEnd(t, p.Process)
			runtime.ReadMemStats(&after)
			if ev.Kind != EventExited || hits != n {
				t.Fatalf("%v after %d hits, want exit after %d", ev, hits, n)
			}
			if allocs := after.Mallocs - before.Mallocs; allocs > n/100 {
				t.Fatalf("%d allocations for %d hits", allocs, n)
			}
		})
	}
}
