package sym

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestLineToPCMatchesGDB resolves file:line and function locations in the
// C targets (not running) and compares each address and line with what gdb
// chooses for "break LOC".
func TestLineToPCMatchesGDB(t *testing.T) {
	gdbAvailable(t)
	hotOpen := lineOf(t, "chain.c", "hot-open")
	mainOpen := lineWith(t, "chain.c", "int main(")
	lines := []struct {
		what string
		line int
	}{
		{"blank line before a function", hotOpen - 1},
		{"function's opening line", hotOpen},
		{"function's opening brace", hotOpen + 1},
		{"first statement", lineOf(t, "chain.c", "hot-body")},
		{"blank line in a body", lineOf(t, "chain.c", "hot-body") + 1},
		{"loop", lineOf(t, "chain.c", "hot-loop")},
		{"loop body", lineOf(t, "chain.c", "hot-loop") + 1},
		{"static helper's opening line", lineWith(t, "chain.c", "int helper(")},
		{"inline asm", lineOf(t, "chain.c", "f5-trap")},
		{"call", lineOf(t, "chain.c", "f5-write")},
		{"call in f4", lineOf(t, "chain.c", "f4-call")},
		{"blank line between functions", mainOpen - 1},
		{"main's opening line", mainOpen},
		{"declaration without code", mainOpen + 2},
		{"loop in main", lineOf(t, "chain.c", "main-wait")},
		{"return", lineOf(t, "chain.c", "main-call")},
	}
	funcs := []string{"hot", "f5", "f1", "main", "other_entry"}
	for _, variant := range cVariants {
		t.Run(variant, func(t *testing.T) {
			bin := target(t, variant)
			var locs []string
			for _, l := range lines {
				locs = append(locs, fmt.Sprintf("chain.c:%d", l.line))
			}
			locs = append(locs, funcs...)
			want := gdbBreaks(t, bin, locs)
			tab, err := NewTable(testFiles, 0, bin, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range lines {
				if !want[i].ok {
					t.Errorf("gdb found no single location for %s (%s)", locs[i], l.what)
					continue
				}
				// Each spelling of the file names the same place.
				for _, file := range []string{"chain.c", "testdata/chain.c", mustAbs(t, "testdata/chain.c")} {
					got, err := tab.LineToPC(file, l.line)
					if err != nil {
						t.Errorf("LineToPC(%s:%d) (%s): %v", file, l.line, l.what, err)
						continue
					}
					if len(got) != 1 || got[0].Addr != want[i].addr || got[0].Line != want[i].line {
						t.Errorf("LineToPC(%s:%d) (%s) = %s, gdb says %#x line %d", file, l.line, l.what, fmtLocs(got), want[i].addr, want[i].line)
					}
				}
			}
			for j, fn := range funcs {
				w := want[len(lines)+j]
				got, err := tab.LookupFunc(fn)
				if err != nil || len(got) != 1 {
					t.Errorf("LookupFunc(%s) = %s, %v", fn, fmtLocs(got), err)
					continue
				}
				if got[0].Body != w.addr {
					t.Errorf("LookupFunc(%s).Body = %#x, gdb's break %s is at %#x", fn, got[0].Body, fn, w.addr)
				}
				if _, line, _, err := tab.PCToLine(got[0].Body); line != w.line || err != nil {
					t.Errorf("PCToLine(LookupFunc(%s).Body) line = %d, %v; gdb says %d", fn, line, err, w.line)
				}
			}
		})
	}
}

func mustAbs(t testing.TB, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fmtLocs(locs []Location) string {
	var parts []string
	for _, l := range locs {
		parts = append(parts, fmt.Sprintf("{%#x %s %s:%d %s}", l.Addr, l.Function, filepath.Base(l.File), l.Line, l.Module))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestLineToPCErrors checks the failures: an unknown file suggests close
// names, a line past the end of the file has no code, and a partial name
// matches only on a path-component boundary.
func TestLineToPCErrors(t *testing.T) {
	tab, err := NewTable(testFiles, 0, target(t, cO0), nil)
	if err != nil {
		t.Fatal(err)
	}
	last := lineWith(t, "chain.c", "LINE:main-call") + 5
	for _, tc := range []struct {
		file    string
		line    int
		what    string
		suggest string
	}{
		{"chian.c", 10, "source file", "chain.c"},
		{"hain.c", 10, "source file", "chain.c"}, // a suffix, not on a component boundary
		{"chain.c", last, "line with code", ""},
	} {
		_, err := tab.LineToPC(tc.file, tc.line)
		nf, ok := err.(*NotFoundError)
		if !ok {
			t.Errorf("LineToPC(%s:%d) error = %v, want *NotFoundError", tc.file, tc.line, err)
			continue
		}
		if nf.What != tc.what || tc.suggest != "" && (len(nf.Suggestions) == 0 || nf.Suggestions[0] != tc.suggest) {
			t.Errorf("LineToPC(%s:%d) error = %v (%+v), want %s suggesting %q", tc.file, tc.line, err, *nf, tc.what, tc.suggest)
		}
	}
}

// TestGoLines checks file:line in Go binaries, with and without DWARF,
// against debug/gosym's own answer, and the reverse lookup.
func TestGoLines(t *testing.T) {
	for _, variant := range []string{goFull, goNoDW} {
		t.Run(variant, func(t *testing.T) {
			tab, err := NewTable(testFiles, 0, target(t, variant), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range []string{"go-f5-trap", "go-f4", "go-main-call"} {
				line := lineOf(t, "gochain/main.go", tag)
				locs, err := tab.LineToPC("main.go", line)
				if err != nil || len(locs) != 1 {
					t.Fatalf("LineToPC(main.go:%d) = %s, %v", line, fmtLocs(locs), err)
				}
				file, l, fn, err := tab.PCToLine(locs[0].Addr)
				if !strings.HasSuffix(file, "gochain/main.go") || l != line || !strings.HasPrefix(fn, "main.") || err != nil {
					t.Errorf("PCToLine(%#x) = %s:%d %s, %v; want gochain/main.go:%d in main.*", locs[0].Addr, file, l, fn, err, line)
				}
			}
			// A line without code moves to the next one that has code.
			blank := lineWith(t, "gochain/main.go", "func f5(") - 2
			locs, err := tab.LineToPC("gochain/main.go", blank)
			if err != nil || len(locs) == 0 || locs[0].Line <= blank || locs[0].Function != "main.f5" {
				t.Errorf("LineToPC(main.go:%d) (blank) = %s, %v; want a later line in main.f5", blank, fmtLocs(locs), err)
			}
		})
	}
}
