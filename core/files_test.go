package core

import (
	"os"
	"path/filepath"
	"testing"

	"stardbg/internal/testtarget"
)

// The engine owns the ELF files its symbol tables read: Close closes them.
func TestEngineCloseClosesSymbolFiles(t *testing.T) {
	// A copy of its own, which no other test's engine holds open.
	data, err := os.ReadFile(testtarget.Build(t, "c/hotloop", testtarget.Default))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hotloop")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	defer e.Close()
	p, err := e.Launch(LaunchConfig{Path: bin, Args: []string{bin, "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.BreakAt("hot", nil); err != nil {
		t.Fatal(err)
	}
	if n := fdsOn(t, bin); n != 1 {
		t.Fatalf("%d descriptors open on %s while the engine traces it, want 1", n, bin)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fdsOn(t, bin); n != 0 {
		t.Fatalf("%d descriptors still open on %s after Engine.Close", n, bin)
	}
}

// fdsOn counts the descriptors of this process open on path.
func fdsOn(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}
