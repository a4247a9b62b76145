package sym

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchBinary returns a large Go binary with DWARF and symbols to
// benchmark on: the Go compiler (cmd/compile, about 30 MB), built once
// (the first run takes a minute; later ones come from the build cache).
func benchBinary(b *testing.B) string {
	b.Helper()
	out := filepath.Join(targetDir, "compile")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if msg, err := exec.Command("go", "build", "-o", out, "cmd/compile").CombinedOutput(); err != nil {
		b.Skipf("building cmd/compile: %v\n%s", err, msg)
	}
	return out
}

// benchTable loads the benchmark binary and returns its table, the
// function entries, and pcs in the middle of functions.
func benchTable(b *testing.B) (*Table, []Location, []uint64) {
	b.Helper()
	return benchTableOf(b, benchBinary(b))
}

func benchTableOf(b *testing.B, bin string) (*Table, []Location, []uint64) {
	b.Helper()
	tab, err := NewTable(testFiles, 0, bin, nil)
	if err != nil {
		b.Fatal(err)
	}
	st := tab.mods[0].obj.symbols()
	var locs []Location
	var pcs []uint64
	for i := 0; i < len(st.text); i += max(1, len(st.text)/4096) {
		s := &st.syms[st.text[i]]
		locs = append(locs, Location{Addr: s.value, Function: s.name})
		pcs = append(pcs, s.value+s.size/2)
	}
	return tab, locs, pcs
}

func BenchmarkPCToFunc(b *testing.B) {
	tab, _, pcs := benchTable(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if tab.PCToFunc(pcs[i%len(pcs)]) == nil {
			b.Fatal("no function")
		}
	}
}

func BenchmarkLookupFunc(b *testing.B) {
	tab, locs, _ := benchTable(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tab.LookupFunc(locs[i%len(locs)].Function); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPCToLine(b *testing.B) {
	tab, _, pcs := benchTable(b)
	tab.PCToLine(pcs[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tab.PCToLine(pcs[i%len(pcs)])
	}
}

// BenchmarkPCToLineDWARF looks lines up in a DWARF line table (the path
// of C binaries), on the same binary.
func BenchmarkPCToLineDWARF(b *testing.B) {
	tab, _, pcs := benchTable(b)
	lt, err := tab.mods[0].obj.lineTable()
	if err != nil || lt == nil {
		b.Skipf("no DWARF: %v", err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lt.pcToLine(pcs[i%len(pcs)])
	}
}

// BenchmarkLineToPC resolves file:line specs through DWARF.
func BenchmarkLineToPC(b *testing.B) {
	tab, _, pcs := benchTable(b)
	type fl struct {
		file string
		line int
	}
	var lines []fl
	if lt, _ := tab.mods[0].obj.lineTable(); lt == nil { // loaded here, not timed
		b.Skip("no DWARF: LineToPC scans .gopclntab")
	}
	// Lines of code that is not inlined elsewhere: one location each (a line
	// of a small inlined function has one per copy, and costs that many times
	// more).
	for _, pc := range pcs[:512] {
		if f, l, _, _ := tab.PCToLine(pc); f != "" {
			name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
			if locs, err := tab.LineToPC(name, l); err == nil && len(locs) == 1 {
				lines = append(lines, fl{name, l})
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := lines[i%len(lines)]
		if _, err := tab.LineToPC(l.file, l.line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures parsing a binary's tables once (what the first
// lookup in a module costs), bypassing the cache.
func BenchmarkLoad(b *testing.B) {
	for _, part := range []string{"symbols", "lines", "gopclntab", "cfi"} {
		bin := benchBinary(b)
		b.Run(part, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f, err := elf.Open(bin)
				if err != nil {
					b.Fatal(err)
				}
				o, err := newObjFile(f, bin)
				if err != nil {
					b.Fatal(err)
				}
				switch part {
				case "symbols":
					o.symbols()
				case "lines":
					o.lineTable()
				case "gopclntab":
					o.goTable()
				case "cfi":
					o.cfiTable()
				}
				f.Close()
			}
		})
	}
}
