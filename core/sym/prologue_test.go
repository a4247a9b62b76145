package sym

import (
	"sort"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// TestBodyMatchesGDBEveryFunction compares, for every function of every C
// and C++ test target at -O0 and -O2, the address past the prologue
// (Location.Body, what break_at(..., after_prologue=True) uses) with the
// address gdb's "break NAME" picks on the same binary. Names gdb resolves
// to several places (a static function in two files) are left out.
func TestBodyMatchesGDBEveryFunction(t *testing.T) {
	gdbAvailable(t)
	for _, name := range testtarget.Targets() {
		if !strings.HasPrefix(name, "c/") && !strings.HasPrefix(name, "cpp/") {
			continue
		}
		for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
			t.Run(name+"/"+v.String(), func(t *testing.T) {
				bin := testtarget.Build(t, name, v)
				byName, _ := nmFuncs(t, bin, false)
				var funcs []string
				for fn := range byName {
					funcs = append(funcs, fn)
				}
				sort.Strings(funcs)
				want := gdbBreaks(t, bin, funcs)
				tab, err := NewTable(testFiles, 0, bin, nil)
				if err != nil {
					t.Fatal(err)
				}
				compared := 0
				for i, fn := range funcs {
					locs, err := tab.LookupFunc(fn)
					if !want[i].ok || err != nil || len(locs) != 1 {
						continue
					}
					compared++
					if locs[0].Body != want[i].addr {
						t.Errorf("%s: body %#x, gdb's break %s is at %#x", fn, locs[0].Body, fn, want[i].addr)
					}
				}
				if compared < len(funcs)/2 {
					t.Errorf("compared %d of %d functions with gdb", compared, len(funcs))
				}
			})
		}
	}
}
