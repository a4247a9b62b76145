package dwarfvars

import (
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// TestCppQualifiedNames looks up cpp/typed's variables and types of
// namespaces and its static member by their qualified names, as gdb
// names them (and as it names their types: ns::inner::T, without the
// keyword), at -O0 and -O2.
func TestCppQualifiedNames(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(v.String(), func(t *testing.T) {
			d, _ := openTarget(t, "cpp/typed", v)
			for name, typ := range map[string]string{"ns::counter": "int", "ns::inner::global_t": "ns::inner::T", "Leaf::instances": "int"} {
				vs, err := d.Globals(name)
				if err != nil || len(vs) != 1 {
					t.Errorf("Globals(%q) = %d variables, %v; want 1", name, len(vs), err)
					continue
				}
				if got := vs[0].Type.String(); got != typ {
					t.Errorf("%s has type %s, want %s", name, got, typ)
				}
			}
			for _, name := range []string{"counter", "global_t", "instances", "inner::global_t"} {
				if vs, _ := d.Globals(name); len(vs) != 0 {
					t.Errorf("Globals(%q) = %d variables, want none: the name is not qualified", name, len(vs))
				}
			}
			for name, size := range map[string]int64{"ns::inner::T": 16, "struct ns::inner::T": 16, "Leaf": 12, "Both": 24} {
				typ, err := d.LookupType(name)
				if err != nil {
					t.Errorf("LookupType(%q): %v", name, err)
					continue
				}
				if got := typ.String(); !strings.HasSuffix(name, got) {
					t.Errorf("LookupType(%q) is named %s", name, got)
				}
				if typ.Size() != size {
					t.Errorf("sizeof(%s) = %d, want %d", name, typ.Size(), size)
				}
			}
			if _, err := d.LookupType("T"); err == nil {
				t.Errorf("LookupType(\"T\") found ns::inner::T by its unqualified name")
			}
		})
	}
}
