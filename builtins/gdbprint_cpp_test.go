package builtins

import (
	"fmt"
	"os/exec"
	"testing"

	"stardbg/internal/testtarget"
)

// knownGDBDiffsCpp are the variables of cpp/typed whose str() differs from
// gdb's print in TestFrameVarMatchesGDBCpp, by variant, stop, frame and
// name, with the reason.
var knownGDBDiffsCpp = map[string]string{
	"co0 sum-return #1 leaf":      staticMembers,
	"co0 bump-return #1 leaf":     staticMembers,
	"co2nofp sum-return #1 leaf":  staticMembers,
	"co2nofp bump-return #1 leaf": staticMembers,
	"co2nofp sum-return #1 both":  bothInPieces,
	"co2nofp bump-return #1 both": bothInPieces,
	"co2nofp bump-return #1 s": "in main after the call to bump, s is in r9, which the callee may clobber and the CFI " +
		"does not recover for frame 1: gdb prints r9's current value, stardbg says it is not available",
}

const bothInPieces = "at -O2 both is in pieces (constants, an address) with empty pieces for its padding: " +
	"gdb prints the fields it has, stardbg refuses a read of an object that is not whole"

const staticMembers = "gdb prints a class's static members with its fields (static instances = 1); " +
	"stardbg's values hold the object's bytes only and read Leaf::instances by its qualified name"

// TestFrameVarMatchesGDBCpp stops cpp/typed in a member function and in a
// function taking references, at -O0 and -O2, and compares str() of every
// variable of every frame of the program (this, references, objects with
// base classes) and of the namespaced globals with gdb's print.
func TestFrameVarMatchesGDBCpp(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found: the comparison with gdb is skipped")
	}
	globals := []string{"ns::counter", "ns::inner::global_t", "Leaf::instances"}
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		for _, tag := range []string{"sum-return", "bump-return"} {
			t.Run(v.String()+"/"+tag, func(t *testing.T) {
				bin := testtarget.Build(t, "cpp/typed", v)
				loc := fmt.Sprintf("typed.cc:%d", testtarget.Line(t, "cpp/typed/typed.cc", tag))
				got := compareWithGDB(t, bin, loc, fmt.Sprintf("%s %s", v, tag), globals, knownGDBDiffsCpp)
				t.Logf("%d variables compared at %s", len(got), loc)
			})
		}
	}
}
