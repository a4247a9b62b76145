package core

import (
	"testing"

	"stardbg/internal/testtarget"
)

func TestBreakpointHotLoop(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CNoPIE, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			bin := testtarget.Build(t, "c/hotloop", v)
			const n = 2000
			e := newEngine(t)
			p := launch(t, e, bin, "2000")
			addr := symAddr(t, p.Process, bin, "hot")
			bp, err := p.SetBreakpoint(addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Continue(); err != nil {
				t.Fatal(err)
			}
			ev := waitKind(t, p.Process, EventBreakpoint)
			if ev.Breakpoint != bp {
				t.Fatalf("event breakpoint %v, want %v", ev.Breakpoint, bp)
			}
			if pc, _ := ev.Thread.PC(); pc != addr {
				t.Fatalf("pc = %#x, want breakpoint address %#x", pc, addr)
			}
			if ev.Thread.Process() != p.Process {
				t.Fatal("event thread belongs to another process")
			}
			// From now on count silently.
			hits := 1
			bp.OnHit = func(*Thread, *Breakpoint) bool { hits++; return false }
			ex := runToEnd(t, p.Process)
			if ex.Kind != EventExited || ex.Status != 0 {
				t.Fatalf("end: %v", ex)
			}
			if hits != n || bp.Hits() != n {
				t.Fatalf("hits = %d (bp.Hits %d), want %d", hits, bp.Hits(), n)
			}
			want := kv(t, runPlain(t, bin, "2000"), "checksum")
			if got := kv(t, p.output(t), "checksum"); got != want {
				t.Fatalf("checksum under the debugger %s, without %s", got, want)
			}
		})
	}
}
