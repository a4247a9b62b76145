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
	runToSuccess(t, p.Process)
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

// firstInsn returns the address of the first instruction after entry that
// satisfies ok.
func firstInsn(t *testing.T, p *Process, entry uint64, ok func(x86asm.Inst) bool) uint64 {
	t.Helper()
	code := make([]byte, 512)
	p.ReadMemory(entry, code)
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			t.Fatalf("decode at %#x: %v", entry+uint64(off), err)
		}
		if off > 0 && ok(inst) {
			return entry + uint64(off)
		}
		off += inst.Len
	}
	t.Fatal("no such instruction")
	return 0
}

func isRIPRelative(inst x86asm.Inst) bool {
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok && m.Base == x86asm.RIP {
			return true
		}
	}
	return false
}

// With emulation off, breakpoints inside functions step over out of line,
// without stopping the other threads: counts stay exact, and a rip-relative
// operand (worker's "lea rax, [rip+start]") still reaches the right address.
func TestExactCountDisplaced(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "2000")
	p.e.Do(func() { p.noEmulate = true })
	inHot := firstInsn(t, p.Process, symAddr(t, p.Process, bin, "hot"), func(x86asm.Inst) bool { return true })
	lea := firstInsn(t, p.Process, symAddr(t, p.Process, bin, "worker"), isRIPRelative)
	var hits, leas int
	p.SetBreakpoint(inHot, func(*Thread, *Breakpoint) bool { hits++; return false })
	p.SetBreakpoint(lea, func(*Thread, *Breakpoint) bool { leas++; return false })
	runToSuccess(t, p.Process)
	if hits != 16000 || leas != 8 {
		t.Fatalf("hits %d and %d, want 16000 and 8", hits, leas)
	}
	p.e.Do(func() {
		if len(p.scratch) == 0 {
			t.Error("no scratch page was mapped: the displaced path was not taken")
		}
	})
	p.sameChecksum(t)
}

func TestExactCountSingleStepPath(t *testing.T) {
	for _, tc := range []struct{ target, fn string }{{"c/hotthreads", "hot"}, {"go/hotgo", "main.hot"}} {
		t.Run(tc.target, func(t *testing.T) {
			bin := testtarget.Build(t, tc.target, testtarget.Default)
			e := newEngine(t)
			p := launch(t, e, bin, "8", "2000")
			ret := retAddr(t, p.Process, symAddr(t, p.Process, bin, tc.fn))
			p.e.Do(func() { p.noEmulate, p.noDisplace = true, true })
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
			p.sameChecksum(t)
		})
	}
}

// The Go runtime's SIGURG arrives during displaced steps too: held, delivered
// after, never counted twice.
func TestExactCountDisplacedGo(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "3000")
	p.e.Do(func() { p.noEmulate = true })
	at := firstInsn(t, p.Process, symAddr(t, p.Process, bin, "main.hot"), func(x86asm.Inst) bool { return true })
	hits := 0
	p.SetBreakpoint(at, func(*Thread, *Breakpoint) bool { hits++; return false })
	runToSuccess(t, p.Process)
	if hits != 24000 {
		t.Fatalf("hits %d, want 24000", hits)
	}
	p.sameChecksum(t)
}
