package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// buildTimeout bounds one compiler run (a cold go build of stardbg included).
const buildTimeout = 5 * time.Minute

// A BuildError means something the benchmark runs could not be built.
type BuildError struct {
	What   string // "stardbg", "hotloop", "rawtrace"
	Output string // the compiler's output
	Err    error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("building %s: %v\n%s", e.What, e.Err, strings.TrimSpace(e.Output))
}

func (e *BuildError) Unwrap() error { return e.Err }

// tools are the absolute paths of everything the benchmark runs.
type tools struct {
	stardbg string

	hotloop, hotthreads, hotgo, manythreads string // targets from testdata/
	hotorder                                string // target from testdata/, family g
	goparked                                string // target from testdata/, family i
	holdmem                                 string // target from bench/

	rawtrace, rawread, rawattach string // C reference tools

	taskset string // set when config.cpus is

	bpftrace string // "" when bpftrace is missing (family h)

	gdb        string // "" when gdb is missing or has no Python
	gdbMissing string // why gdb is ""
	gdbVersion string
}

// A bench is a built benchmark: its configuration, its temporary directory
// and its tools.
type bench struct {
	cfg   config
	root  string // the module root
	dir   string // the temporary directory, removed by close
	tools tools
}

// setup builds every tool into a new temporary directory.
func setup(ctx context.Context, cfg config) (*bench, error) {
	root, err := findRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "stardbg-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, root: root, dir: dir}
	if err := b.build(ctx); err != nil {
		b.close()
		return nil, err
	}
	if cfg.cpus != "" {
		if b.tools.taskset, err = exec.LookPath("taskset"); err != nil {
			b.close()
			return nil, fmt.Errorf("-cpus needs taskset: %w", err)
		}
	}
	b.findGDB(ctx)
	b.findBpftrace()
	return b, nil
}

func (b *bench) close() { os.RemoveAll(b.dir) }

// cflags are the flags of the default variant of internal/testtarget, so that
// the targets are the ones the tests debug.
var cflags = []string{"-g", "-pthread", "-Wall", "-O0", "-fno-omit-frame-pointer"}

// toolflags build the C reference tools: optimized, as a tool would ship.
var toolflags = []string{"-O2", "-Wall", "-pthread"}

func (b *bench) build(ctx context.Context) error {
	t := &b.tools
	out := func(name string) string { return filepath.Join(b.dir, name) }
	src := func(rel string) string { return filepath.Join(b.root, filepath.FromSlash(rel)) }
	gcc := func(flags []string, exe, source string) []string {
		return append(append([]string{"gcc"}, flags...), "-o", exe, source)
	}
	steps := []struct {
		what string
		dst  *string
		args []string
	}{
		{"stardbg", &t.stardbg, []string{"go", "build", "-o", out("stardbg"), "./cmd/stardbg"}},
		{"hotloop", &t.hotloop, gcc(cflags, out("hotloop"), src("testdata/c/hotloop.c"))},
		{"hotorder", &t.hotorder, gcc(cflags, out("hotorder"), src("testdata/c/hotorder.c"))},
		{"hotthreads", &t.hotthreads, gcc(cflags, out("hotthreads"), src("testdata/c/hotthreads.c"))},
		{"manythreads", &t.manythreads, gcc(cflags, out("manythreads"), src("testdata/c/manythreads.c"))},
		{"hotgo", &t.hotgo, []string{"go", "build", "-buildvcs=false", "-o", out("hotgo"), "./testdata/go/hotgo"}},
		{"goparked", &t.goparked, []string{"go", "build", "-buildvcs=false", "-o", out("goparked"), "./testdata/go/goparked"}},
		{"holdmem", &t.holdmem, gcc(toolflags, out("holdmem"), src("bench/holdmem.c"))},
		{"rawtrace", &t.rawtrace, gcc(toolflags, out("rawtrace"), src("bench/rawtrace.c"))},
		{"rawread", &t.rawread, gcc(toolflags, out("rawread"), src("bench/rawread.c"))},
		{"rawattach", &t.rawattach, gcc(toolflags, out("rawattach"), src("bench/rawattach.c"))},
	}
	for _, s := range steps {
		if _, err := exec.LookPath(s.args[0]); err != nil {
			return &BuildError{What: s.what, Err: err}
		}
		ctx, cancel := context.WithTimeout(ctx, buildTimeout)
		cmd := exec.CommandContext(ctx, s.args[0], s.args[1:]...)
		cmd.Dir = b.root
		output, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return &BuildError{What: s.what, Output: string(output), Err: err}
		}
		*s.dst = out(s.what)
	}
	return nil
}

// findGDB sets tools.gdb if gdb is installed with Python support.
func (b *bench) findGDB(ctx context.Context) {
	t := &b.tools
	if b.cfg.noGDB {
		t.gdbMissing = "gdb disabled"
		return
	}
	path, err := exec.LookPath("gdb")
	if err != nil {
		t.gdbMissing = "gdb is not installed"
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-batch", "-nx", "-ex", `python print("bench-python-ok")`).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("bench-python-ok")) {
		t.gdbMissing = fmt.Sprintf("%s has no working Python (%v)", path, err)
		return
	}
	t.gdb = path
	if v, err := exec.CommandContext(ctx, path, "--version").Output(); err == nil {
		t.gdbVersion, _, _ = strings.Cut(string(v), "\n")
	}
}

// findRoot returns the root of the stardbg module, searching up from the
// current directory (go run ./bench runs there; go test in bench/).
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if first, _, _ := strings.Cut(string(data), "\n"); err == nil && strings.TrimSpace(first) == "module stardbg" {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the stardbg module root (run from inside the module)")
		}
		dir = parent
	}
}

// script returns the path of a Starlark or Python script of the benchmark.
func (b *bench) script(name string) string {
	return filepath.Join(b.root, "bench", "scripts", name)
}
