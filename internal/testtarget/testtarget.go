// Package testtarget builds the target programs under testdata/ for tests
// of the debugger, and helps tests read the programs' sources and output.
//
// A target is named by language and base name: "c/hotloop" is
// testdata/c/hotloop.c, "c/twostatics" is every .c file in
// testdata/c/twostatics/ compiled together, and "go/hotgo" is the package
// stardbg/testdata/go/hotgo. A C source file may contain directive lines:
//
//	// testtarget: shared libplugin.so   build this file into a shared library
//	// testtarget: ldflags -ldl          link the executable with these flags
//
// In ldflags, $OUT is the directory the target is built in, where its
// shared libraries are: "-L$OUT -lstep -Wl,-rpath,$ORIGIN" links with one.
//
// Builds are cached by content (sources, flags, toolchain and source
// directory) under os.TempDir()/stardbg-targets/, shared by all test
// binaries and test runs, and published atomically so that test binaries
// running in parallel never see a half-written file. Stale entries are
// not removed; deleting the directory is always safe.
//
// Each target documents its arguments and its output in its header
// comment. Outputs are "key=value" tokens on lines; KeyValues reads them.
// Source lines that tests need are tagged with comments such as
// "// @f5-write"; Line finds them.
//
// The package is for tests only: its functions report problems through
// testing.TB.
package testtarget

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// built remembers, per target and resolved variant, the build done by this
// process, so that parallel tests wait for one build instead of racing.
var (
	builtMu sync.Mutex
	built   = map[string]*buildResult{}
)

type buildResult struct {
	once sync.Once
	dir  string
	err  error
}

// Build compiles the named target in variant v, or reuses a cached build,
// and returns the absolute path of its executable. A C target that also
// builds a shared library (c/dlopener) puts it in the same directory; see
// PluginPath. Build skips the test if the compiler is missing and fails it
// with the compiler's output if the build fails.
func Build(t testing.TB, name string, v Variant) string {
	t.Helper()
	dir := buildDir(t, name, v)
	return filepath.Join(dir, filepath.Base(name))
}

// PluginPath returns the path of libplugin.so, the shared library that
// c/dlopener loads, built in variant v next to the dlopener executable.
func PluginPath(t testing.TB, v Variant) string {
	t.Helper()
	return filepath.Join(buildDir(t, "c/dlopener", v), "libplugin.so")
}

func buildDir(t testing.TB, name string, v Variant) string {
	t.Helper()
	rv, ok := v.resolve(lang(name))
	if !ok {
		t.Fatalf("testtarget: variant %s does not apply to target %q", v, name)
	}
	key := name + " " + rv.String()
	builtMu.Lock()
	r := built[key]
	if r == nil {
		r = new(buildResult)
		built[key] = r
	}
	builtMu.Unlock()
	r.once.Do(func() { r.dir, r.err = build(name, rv) })
	if isSkip(r.err) {
		t.Skip(r.err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.dir
}

// Targets returns the names of all targets under testdata/, sorted.
func Targets() []string {
	names, err := targetNames(Root())
	if err != nil {
		panic(err)
	}
	return names
}

// Root returns the root directory of the stardbg module, found by walking
// up from the working directory (or, failing that, from this package's
// source directory) to the go.mod that declares module stardbg. It panics
// if there is none.
func Root() string {
	root, err := findRoot()
	if err != nil {
		panic(err)
	}
	return root
}

func findRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if isModuleRoot(dir) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("testtarget: cannot find the go.mod of module stardbg above the working directory")
}

func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1] == "stardbg"
		}
	}
	return false
}

// SourcePath returns the absolute path of a file under testdata/, such as
// "c/callchain.c" or "go/hotgo/main.go".
func SourcePath(file string) string {
	return filepath.Join(Root(), "testdata", filepath.FromSlash(file))
}

// Line returns the 1-based number of the line of a testdata file (named as
// for SourcePath) that carries the tag "@marker", as in
//
//	return f5(x) + 4; // @f4-call
//
// It fails the test unless exactly one line carries the tag.
func Line(t testing.TB, file, marker string) int {
	t.Helper()
	data, err := os.ReadFile(SourcePath(file))
	if err != nil {
		t.Fatalf("testtarget: %v", err)
	}
	tag := "@" + marker
	found := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		for rest := string(line); ; {
			j := strings.Index(rest, tag)
			if j < 0 {
				break
			}
			rest = rest[j+len(tag):]
			if rest == "" || !isTagRune(rune(rest[0])) {
				if found != 0 {
					t.Fatalf("testtarget: %s has the tag %s on lines %d and %d", file, tag, found, i+1)
				}
				found = i + 1
			}
		}
	}
	if found == 0 {
		t.Fatalf("testtarget: %s has no line tagged %s", file, tag)
	}
	return found
}

func isTagRune(r rune) bool {
	return r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// KeyValues collects the "key=value" tokens of a target's output. Tokens
// are separated by white space; tokens without "=" are ignored, and a key
// that appears twice keeps its last value. For example the output
//
//	ready pid=42 threads=4
//	patch_me=1
//
// gives {"pid": "42", "threads": "4", "patch_me": "1"}.
func KeyValues(out string) map[string]string {
	kv := map[string]string{}
	for _, tok := range strings.Fields(out) {
		if k, v, ok := strings.Cut(tok, "="); ok && k != "" {
			kv[k] = v
		}
	}
	return kv
}
