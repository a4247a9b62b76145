package dwarfvars

import (
	"fmt"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// cppTypeNames are the type names of testdata/cpp/typed that
// TestCppTypesMatchGDB looks up.
var cppTypeNames = []string{"ns::inner::T", "Base", "Mid", "Leaf", "Named", "Both", "Holder",
	"Holder &", "const Leaf *", "int &", "struct Both", "class Leaf"}

// knownCppPtypeDiffs are the types whose ptype differs from gdb's, with
// the reason.
var knownCppPtypeDiffs = map[string]string{
	"Base":         cppMethods,
	"Leaf":         cppMethods,
	"class Leaf":   cppMethods,
	"const Leaf *": cppMethods,
}

const cppMethods = "gdb's ptype lists member functions, static members and the public: label of a class; " +
	"stardbg's types hold the data members and base classes only"

// TestCppTypesMatchGDB compares ptype, whatis and sizeof of cpp/typed's
// types (classes with bases, references, a namespaced struct) with gdb's,
// at -O0 and -O2.
func TestCppTypesMatchGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin := openTarget(t, "cpp/typed", v)
			var cmds []string
			for _, name := range cppTypeNames {
				cmds = append(cmds, "ptype "+name, "whatis "+name, "print sizeof("+name+")")
			}
			out := gdbBatch(t, bin, cmds)
			for i, name := range cppTypeNames {
				typ, err := d.LookupType(name)
				if err != nil {
					t.Errorf("LookupType(%q): %v", name, err)
					continue
				}
				got, want := "type = "+Ptype(typ), out[3*i]
				if why, ok := knownCppPtypeDiffs[name]; ok {
					if got == want {
						t.Errorf("ptype %s now agrees with gdb: remove the known difference (%s)", name, why)
					}
				} else if got != want {
					t.Errorf("ptype %s:\n got %s\nwant %s", name, got, want)
				}
				if got, want := "type = "+typ.String(), out[3*i+1]; got != want && "type = "+name != want {
					t.Errorf("whatis %s: got %s, want %s", name, got, want)
				}
				_, want, _ = strings.Cut(out[3*i+2], " = ")
				size := typ.Size() // a reference's Size is that of the object holding the address
				if r, ok := Underlying(typ).(*PointerType); ok && r.Ref {
					size = r.Elem.Size() // C++'s sizeof of a reference type is its referent's
				}
				if got := fmt.Sprint(size); got != want {
					t.Errorf("sizeof(%s): got %s, want gdb's %s", name, got, want)
				}
			}
		})
	}
}
