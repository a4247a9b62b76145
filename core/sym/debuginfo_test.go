package sym

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// damaged copies bin and overwrites the first bytes of section name (past
// skip) with junk: tables that are there but cannot be read.
func damaged(t *testing.T, bin, name string, skip int, junk []byte) string {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	sec := f.Section(name)
	f.Close()
	if sec == nil || sec.Flags&elf.SHF_COMPRESSED != 0 {
		t.Fatalf("%s: no uncompressed %s section", bin, name)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[sec.Offset+uint64(skip):], junk)
	out := filepath.Join(t.TempDir(), filepath.Base(bin))
	if err := os.WriteFile(out, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantDebugInfoError checks that err says which file's which table cannot
// be read.
func wantDebugInfoError(t *testing.T, what string, err error, path, table string) {
	t.Helper()
	var de *DebugInfoError
	if !errors.As(err, &de) || de.Path != path || de.Table != table {
		t.Fatalf("%s: %v; want the %s of %s that cannot be read", what, err, table, path)
	}
}

// Corrupt DWARF (a compilation unit of an unknown version) is an error of
// every lookup that needs the line table, not "no source file matches" or a
// function without a line: file:line, a function (its prologue is found in
// the line table) and PCToLine, which still names the function from the
// ELF symbols.
func TestCorruptDWARF(t *testing.T) {
	bin := damaged(t, target(t, cO0), ".debug_info", 4, []byte{0x7f, 0x7f})
	files := NewFiles()
	defer files.Close()
	tab, err := NewTable(files, 0, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tab.LineToPC("chain.c", lineOf(t, "chain.c", "hot-body"))
	wantDebugInfoError(t, "LineToPC", err, bin, "DWARF")
	_, err = tab.Resolve("hot")
	wantDebugInfoError(t, "Resolve(hot)", err, bin, "DWARF")
	syms := tab.LookupSym("hot")
	if len(syms) != 1 {
		t.Fatalf("LookupSym(hot) = %v", syms)
	}
	file, line, fn, err := tab.PCToLine(syms[0].Entry)
	wantDebugInfoError(t, "PCToLine", err, bin, "DWARF")
	if file != "" || line != 0 || fn != "hot" {
		t.Fatalf("PCToLine = %s:%d %s, want no line, in hot", file, line, fn)
	}
}

// A damaged .gopclntab (its magic number) in a Go program without DWARF is
// the error of the lookups that need it, where it used to read as a table
// with no functions; the same program intact answers them.
func TestCorruptGopclntab(t *testing.T) {
	intact := target(t, goNoDW)
	bin := damaged(t, intact, ".gopclntab", 0, []byte{0x12, 0x34, 0x56, 0x78})
	files := NewFiles()
	defer files.Close()
	for _, tc := range []struct {
		bin string
		bad bool
	}{{intact, false}, {bin, true}} {
		tab, err := NewTable(files, 0, tc.bin, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, lerr := tab.LineToPC("main.go", lineWith(t, "gochain/main.go", "func f5("))
		_, ferr := tab.Resolve("main.f5")
		if !tc.bad {
			if lerr != nil || ferr != nil {
				t.Fatalf("intact: LineToPC: %v, Resolve: %v", lerr, ferr)
			}
			continue
		}
		wantDebugInfoError(t, "LineToPC", lerr, bin, ".gopclntab")
		wantDebugInfoError(t, "Resolve(main.f5)", ferr, bin, ".gopclntab")
	}
}
