package core

import (
	"os"
	"os/exec"
	"strconv"
	"testing"

	"stardbg/internal/testtarget"
)

// Reliability tests run small by default; STARDBG_STRESS=1 runs the heavy
// versions (millions of hits, thousands of stops and signals).
var stress = os.Getenv("STARDBG_STRESS") == "1"

// scale is n in normal runs and heavy under STARDBG_STRESS=1.
func scale(n, heavy int) int {
	if stress {
		return heavy
	}
	return n
}

// runPlainEnv runs a target without a debugger, with extra environment.
func runPlainEnv(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return string(out)
}

// Sixteen threads (C) and sixteen goroutines on eight Ps (Go) calling hot as
// fast as they can: a counting callback sees every call exactly once, and the
// program prints exactly what it prints without the debugger. Normal runs make
// about 50,000 calls in all; STARDBG_STRESS=1 makes a million (half in each
// program) and repeats that 20 times.
func TestExactCountUnderLoad(t *testing.T) {
	const threads = 16
	perThread := scale(1600, 31250)
	rounds := scale(1, 20)
	for _, tc := range []struct {
		target, fn string
		env        []string
	}{
		{"c/hotthreads", "hot", nil},
		{"go/hotgo", "main.hot", []string{"GOMAXPROCS=8"}},
	} {
		t.Run(tc.target, func(t *testing.T) {
			bin := testtarget.Build(t, tc.target, testtarget.Default)
			args := []string{strconv.Itoa(threads), strconv.Itoa(perThread)}
			want := runPlainEnv(t, tc.env, bin, args...)
			total := 0
			for round := 0; round < rounds; round++ {
				e := newEngine(t)
				cfg := LaunchConfig{Path: bin, Args: append([]string{bin}, args...)}
				if tc.env != nil {
					cfg.Env = append(os.Environ(), tc.env...)
				}
				p := launchCfg(t, e, cfg)
				hits := 0
				bp, err := p.SetBreakpoint(symAddr(t, p.Process, bin, tc.fn), func(*Thread, *Breakpoint) bool { hits++; return false })
				if err != nil {
					t.Fatal(err)
				}
				if ev := runToEnd(t, p.Process); ev.Kind != EventExited || ev.Status != 0 {
					t.Fatalf("round %d: end %v", round, ev)
				}
				out := p.output(t)
				calls, _ := strconv.Atoi(kv(t, out, "calls"))
				if hits != calls || calls != threads*perThread || bp.Hits() != uint64(hits) {
					t.Fatalf("round %d: callback counted %d hits (bp.Hits %d), the program made %d calls, want %d", round, hits, bp.Hits(), calls, threads*perThread)
				}
				if out != want {
					t.Fatalf("round %d: output under the debugger:\n%s\nwithout:\n%s", round, out, want)
				}
				total += hits
			}
			t.Logf("%s: %d hits counted exactly in %d runs", tc.target, total, rounds)
		})
	}
}
