package core

import (
	"os"
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// BenchmarkHit measures one breakpoint hit with an empty callback that resumes:
// trap, callback, emulated step-over, continue.
func BenchmarkHit(b *testing.B) {
	benchHits(b, "c/hotloop", "hot", false)
}

// BenchmarkHitSingleStep is the same with the classic single-step step-over.
func BenchmarkHitSingleStep(b *testing.B) {
	benchHits(b, "c/hotloop", "hot", true)
}

func benchHits(b *testing.B, target, fn string, classic bool) {
	bin := testtarget.Build(b, target, testtarget.Default)
	e := NewEngine()
	defer e.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	p, err := e.Launch(LaunchConfig{Path: bin, Args: []string{bin, strconv.Itoa(b.N)}, Stdout: null})
	if err != nil {
		b.Fatal(err)
	}
	p.e.Do(func() { p.noEmulate = classic })
	addr := symAddr(b, p, bin, fn)
	hits := 0
	if _, err := p.SetBreakpoint(addr, func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	p.Continue()
	ev, err := p.Wait(0)
	b.StopTimer()
	if err != nil || ev.Kind != EventExited || hits != b.N {
		b.Fatalf("%v %v: %d hits, want %d", ev, err, hits, b.N)
	}
}
