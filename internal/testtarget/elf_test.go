package testtarget_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"testing"

	"stardbg/internal/testtarget"
)

// symbols returns the symbol table of an ELF file by name; names that occur
// more than once (static functions) keep every occurrence.
func symbols(t *testing.T, f *elf.File) map[string][]elf.Symbol {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]elf.Symbol{}
	for _, s := range syms {
		m[s.Name] = append(m[s.Name], s)
	}
	return m
}

func openELF(t *testing.T, path string) *elf.File {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// wantFunc fails the test unless name is exactly one function symbol of
// non-zero size with the given binding, and returns its code.
func wantFunc(t *testing.T, f *elf.File, syms map[string][]elf.Symbol, name string, bind elf.SymBind) []byte {
	t.Helper()
	s := syms[name]
	if len(s) != 1 || elf.ST_TYPE(s[0].Info) != elf.STT_FUNC || elf.ST_BIND(s[0].Info) != bind || s[0].Size == 0 {
		t.Fatalf("symbol %s: %+v, want one %v function", name, s, bind)
	}
	code := make([]byte, s[0].Size)
	sec := f.Sections[s[0].Section]
	if _, err := sec.ReadAt(code, int64(s[0].Value-sec.Addr)); err != nil {
		t.Fatal(err)
	}
	return code
}

// framePointerPrologue is "push %rbp; mov %rsp,%rbp".
var framePointerPrologue = []byte{0x55, 0x48, 0x89, 0xe5}

// TestCSymbols checks what the variants promise: the symbols tests break
// on exist in every variant, PIE or not as asked, DWARF and CFI present,
// and frame pointers only where wanted.
func TestCSymbols(t *testing.T) {
	wantType := map[testtarget.Variant]elf.Type{
		testtarget.CO0:     elf.ET_DYN,
		testtarget.CO2NoFP: elf.ET_DYN,
		testtarget.CNoPIE:  elf.ET_EXEC,
	}
	for _, v := range testtarget.Variants("c/callchain") {
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			f := openELF(t, testtarget.Build(t, "c/callchain", v))
			if f.Type != wantType[v] {
				t.Errorf("ELF type %v, want %v", f.Type, wantType[v])
			}
			for _, sec := range []string{".debug_info", ".debug_line", ".eh_frame", ".symtab"} {
				if f.Section(sec) == nil {
					t.Errorf("no section %s", sec)
				}
			}
			syms := symbols(t, f)
			for i := 1; i <= 5; i++ {
				code := wantFunc(t, f, syms, fmt.Sprintf("f%d", i), elf.STB_GLOBAL)
				if i == 5 {
					continue // a leaf at -O2 would not need a frame anyway
				}
				hasFP := bytes.Contains(code, framePointerPrologue)
				if hasFP != (v != testtarget.CO2NoFP) {
					t.Errorf("f%d sets up a frame pointer: %v; code % x", i, hasFP, code)
				}
			}

			f = openELF(t, testtarget.Build(t, "c/hotloop", v))
			syms = symbols(t, f)
			wantFunc(t, f, syms, "hot", elf.STB_GLOBAL)
			wantFunc(t, f, syms, "answer", elf.STB_GLOBAL)
			for _, name := range []string{"counter_global", "patch_me"} {
				if s := syms[name]; len(s) != 1 || elf.ST_TYPE(s[0].Info) != elf.STT_OBJECT || s[0].Size != 8 {
					t.Errorf("symbol %s: %+v, want one 8-byte object", name, s)
				}
			}

			f = openELF(t, testtarget.Build(t, "c/twostatics", v))
			syms = symbols(t, f)
			helpers := syms["helper"]
			if len(helpers) != 2 || helpers[0].Value == helpers[1].Value {
				t.Errorf("helper symbols %+v, want two at different addresses", helpers)
			}
			for _, s := range helpers {
				if elf.ST_BIND(s.Info) != elf.STB_LOCAL || elf.ST_TYPE(s.Info) != elf.STT_FUNC {
					t.Errorf("helper symbol %+v, want a local function", s)
				}
			}

			f = openELF(t, testtarget.PluginPath(t, v))
			if f.Type != elf.ET_DYN {
				t.Errorf("libplugin.so: ELF type %v, want ET_DYN", f.Type)
			}
			dyn, err := f.DynamicSymbols()
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range dyn {
				found = found || s.Name == "plugin_fn" && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF
			}
			if !found {
				t.Error("libplugin.so does not export plugin_fn")
			}
		})
	}
}

// TestGoSymbols checks the Go targets' symbols and that GoNoDWARF has none
// of the DWARF that Go has.
func TestGoSymbols(t *testing.T) {
	for _, v := range testtarget.Variants("go/hotgo") {
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			f := openELF(t, testtarget.Build(t, "go/hotgo", v))
			if got, want := f.Section(".debug_info") != nil, v == testtarget.Go; got != want {
				t.Errorf("has .debug_info: %v, want %v", got, want)
			}
			syms := symbols(t, f)
			for _, name := range []string{"main.hot", "main.(*T).Method", "main.f1", "main.f2", "main.f3", "main.f4", "main.f5"} {
				wantFunc(t, f, syms, name, elf.STB_GLOBAL)
			}
			f = openELF(t, testtarget.Build(t, "go/sleepergo", v))
			syms = symbols(t, f)
			wantFunc(t, f, syms, "main.hot", elf.STB_GLOBAL)
			if s := syms["main.patchMe"]; len(s) != 1 || elf.ST_TYPE(s[0].Info) != elf.STT_OBJECT {
				t.Errorf("symbol main.patchMe: %+v, want one object", s)
			}
		})
	}
}

// TestDWARF4Variant checks that CO2DWARF4 gives DWARF 4 location lists
// (.debug_loc) where CO2NoFP gives DWARF 5 ones (.debug_loclists), so that
// the tests that compare both with gdb see both encodings.
func TestDWARF4Variant(t *testing.T) {
	for v, want := range map[testtarget.Variant]string{testtarget.CO2NoFP: ".debug_loclists", testtarget.CO2DWARF4: ".debug_loc"} {
		f := openELF(t, testtarget.Build(t, "c/typed", v))
		for _, sec := range []string{".debug_loc", ".debug_loclists"} {
			if got := f.Section(sec) != nil; got != (sec == want) {
				t.Errorf("%s: section %s present = %v, want %v", v, sec, got, sec == want)
			}
		}
	}
}
