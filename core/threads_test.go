package core

import (
	"strconv"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/internal/testtarget"
)

// countHits runs a target to its end with a silent counting breakpoint on fn.
func countHits(t *testing.T, bin, fn string, args ...string) (hits int, out string) {
	t.Helper()
	e := newEngine(t)
	p := launch(t, e, bin, args...)
	addr := symAddr(t, p.Process, bin, fn)
	if _, err := p.SetBreakpoint(addr, func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	if ev := runToEnd(t, p.Process); ev.Kind != EventExited || ev.Status != 0 {
		t.Fatalf("end: %v", ev)
	}
	return hits, p.output(t)
}

func TestExactCountThreadsC(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	hits, out := countHits(t, bin, "hot", "8", "25000")
	if hits != 200000 {
		t.Fatalf("hits = %d, want 200000", hits)
	}
	if got, want := kv(t, out, "checksum"), kv(t, runPlain(t, bin, "8", "25000"), "checksum"); got != want {
		t.Fatalf("checksum %s, want %s", got, want)
	}
}

func TestExactCountGo(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	hits, out := countHits(t, bin, "main.hot", "8", "25000")
	if hits != 200000 {
		t.Fatalf("hits = %d, want 200000", hits)
	}
	if got := kv(t, out, "calls"); got != strconv.Itoa(200000) {
		t.Fatalf("calls = %s", got)
	}
	if got, want := kv(t, out, "checksum"), kv(t, runPlain(t, bin, "8", "25000"), "checksum"); got != want {
		t.Fatalf("checksum %s, want %s", got, want)
	}
}

// retAddr finds the first ret instruction of a function, well inside it.
func retAddr(t *testing.T, p *Process, entry uint64) uint64 {
	t.Helper()
	code := make([]byte, 256)
	p.ReadMemory(entry, code)
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			t.Fatalf("decode at %#x: %v", entry+uint64(off), err)
		}
		if inst.Op == x86asm.RET {
			return entry + uint64(off)
		}
		off += inst.Len
	}
	t.Fatal("no ret found")
	return 0
}

func TestExactCountSingleStepPath(t *testing.T) {
	for _, tc := range []struct{ target, fn string }{{"c/hotthreads", "hot"}, {"go/hotgo", "main.hot"}} {
		t.Run(tc.target, func(t *testing.T) {
			bin := testtarget.Build(t, tc.target, testtarget.Default)
			e := newEngine(t)
			p := launch(t, e, bin, "8", "2000")
			ret := retAddr(t, p.Process, symAddr(t, p.Process, bin, tc.fn))
			p.e.Do(func() { p.noEmulate = true })
			hits := 0
			bp, err := p.SetBreakpoint(ret, func(*Thread, *Breakpoint) bool { hits++; return false })
			if err != nil {
				t.Fatal(err)
			}
			if p.bps.sites[ret].emuOK {
				t.Fatal("the breakpoint is emulated: this test needs the single-step path")
			}
			if ev := runToEnd(t, p.Process); ev.Kind != EventExited {
				t.Fatal(ev)
			}
			if hits != 16000 || bp.Hits() != 16000 {
				t.Fatalf("hits %d, want 16000", hits)
			}
			if got, want := kv(t, p.output(t), "checksum"), kv(t, runPlain(t, bin, "8", "2000"), "checksum"); got != want {
				t.Fatalf("checksum %s, want %s", got, want)
			}
		})
	}
}
