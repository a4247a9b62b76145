package core

import (
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// Children inherit the breakpoints' int3 bytes: they must run unharmed, and the
// parent keeps counting exactly.
func TestForkAndSpawn(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	for _, mode := range []string{"fork", "spawn"} {
		t.Run(mode, func(t *testing.T) {
			hits, out := countHits(t, bin, "hot", mode, "500")
			if hits != 1000 {
				t.Fatalf("parent hits %d, want 1000", hits)
			}
			want := runPlain(t, bin, mode, "500")
			if strings.TrimSpace(sortLines(out)) != strings.TrimSpace(sortLines(want)) {
				t.Fatalf("output under the debugger:\n%s\nwithout:\n%s", out, want)
			}
		})
	}
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j] < lines[i] {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	return strings.Join(lines, "\n")
}
