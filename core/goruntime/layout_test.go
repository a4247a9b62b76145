package goruntime

import (
	"debug/elf"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

func load(t *testing.T, bin string) *Runtime {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rt, err := Load(f)
	if err != nil {
		t.Fatalf("Load(%s): %v", bin, err)
	}
	return rt
}

// TestKnownLayoutMatchesDWARF checks the table a binary without DWARF is
// read with against the DWARF of a binary that the same Go release built:
// the toolchain that runs the test.
func TestKnownLayoutMatchesDWARF(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	rt := load(t, bin)
	if err := rt.LayoutErr(); err != nil {
		t.Fatal(err)
	}
	if fb, _ := rt.Fallback(); fb {
		t.Fatal("a binary with DWARF was read with the fallback table")
	}
	f, _ := elf.Open(bin)
	defer f.Close()
	if v := goVersion(f); v != runtime.Version() {
		t.Fatalf("build information says %q, the toolchain is %s", v, runtime.Version())
	}
	kl, ok := knownLayouts[release(runtime.Version())]
	if !ok {
		t.Skipf("no layout of %s in knownLayouts: binaries of %s without DWARF have no goroutines", release(runtime.Version()), runtime.Version())
	}
	if kl.g != rt.g || kl.m != rt.m || kl.status != rt.status {
		t.Errorf("knownLayouts[%q] is not what the DWARF says:\n table %+v\n       %+v\n       %+v\n DWARF %+v\n       %+v\n       %+v",
			release(runtime.Version()), kl.g, kl.m, kl.status, rt.g, rt.m, rt.status)
	}
}

// TestNoDWARF: a binary built with -ldflags=-w is read with the table of
// its release, and one of a release the table lacks says why it cannot be.
func TestNoDWARF(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.GoNoDWARF)
	if _, ok := knownLayouts[release(runtime.Version())]; ok {
		rt := load(t, bin)
		if fb, v := rt.Fallback(); !fb || v != runtime.Version() || rt.LayoutErr() != nil {
			t.Errorf("Fallback() = %v, %q, LayoutErr %v; want true, %q, nil", fb, v, rt.LayoutErr(), runtime.Version())
		}
	}
	saved := knownLayouts
	knownLayouts = nil
	defer func() { knownLayouts = saved }()
	rt := load(t, bin)
	err := rt.LayoutErr()
	if !errors.Is(err, ErrNoDWARF) || !strings.Contains(err.Error(), "knows no layout of "+runtime.Version()) {
		t.Errorf("LayoutErr without a known layout: %v", err)
	}
	if _, err := rt.ReadG(nil, 0); !errors.Is(err, ErrNoDWARF) {
		t.Errorf("ReadG without layouts: %v, want ErrNoDWARF", err)
	}
}

func TestRelease(t *testing.T) {
	for in, want := range map[string]string{"go1.26.8": "go1.26", "go1.26": "go1.26", "go1.27rc1": "go1.27", "go1.25beta2": "go1.25", "": ""} {
		if got := release(in); got != want {
			t.Errorf("release(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNotGo: a C program is not a Go one.
func TestNotGo(t *testing.T) {
	f, err := elf.Open(testtarget.Build(t, "c/hotloop", testtarget.CO0))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Load(f); !errors.Is(err, ErrNotGo) {
		t.Errorf("Load of a C program: %v, want ErrNotGo", err)
	}
}

// TestNoSymbols: a Go program without its symbol table (-ldflags=-s) is
// not taken for a C program: the error says what is missing.
func TestNoSymbols(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hotgo-s")
	cmd := exec.Command("go", "build", "-ldflags=-s", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "testdata", "go", "hotgo")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags=-s: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Load(f); !errors.Is(err, ErrNoSymbols) {
		t.Errorf("Load of a Go program built with -s: %v, want ErrNoSymbols", err)
	}
}
