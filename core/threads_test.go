package core

import (
	"strconv"
	"testing"

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
