package testtarget

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// cacheVersion changes whenever the way targets are built changes, so that
// old cache entries are not reused.
const cacheVersion = "stardbg-testtarget 1"

// buildTimeout bounds one compiler run.
const buildTimeout = 5 * time.Minute

// A skipError means the toolchain a target needs is missing.
type skipError struct{ msg string }

func (e *skipError) Error() string { return e.msg }

// A target is a target program resolved to its source files.
type target struct {
	name string   // "c/hotloop"
	lang string   // "c", "cpp" or "go"
	root string   // the module root
	dir  string   // absolute directory holding the sources
	srcs []string // absolute source paths, sorted; C: .c and .h files, C++: .cc and .h
	exe  string   // base name of the executable
}

// findTarget locates the sources of the named target under testdata/.
func findTarget(name string) (*target, error) {
	l := lang(name)
	base := filepath.Base(name)
	if l == "" || name != l+"/"+base || base == "." || strings.HasPrefix(base, ".") {
		return nil, fmt.Errorf("testtarget: bad target name %q (want \"c/NAME\", \"cpp/NAME\" or \"go/NAME\")", name)
	}
	root, err := findRoot()
	if err != nil {
		return nil, err
	}
	t := &target{name: name, lang: l, root: root, exe: base}
	if ext := srcExt[l]; ext != "" {
		file := filepath.Join(root, "testdata", l, base+ext)
		if _, err := os.Stat(file); err == nil {
			t.dir, t.srcs = filepath.Dir(file), []string{file}
			return t, nil
		}
	}
	t.dir = filepath.Join(root, "testdata", l, base)
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, fmt.Errorf("testtarget: no target %q: %w", name, err)
	}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.Type().IsRegular() && (ext == srcExt[l] || ext == ".h" && l != "go" || l == "go" && ext == ".go") {
			t.srcs = append(t.srcs, filepath.Join(t.dir, e.Name()))
		}
	}
	if len(t.srcs) == 0 {
		return nil, fmt.Errorf("testtarget: target %q has no sources in %s", name, t.dir)
	}
	return t, nil
}

// srcExt is the extension of the compiled sources of each language of
// targets that gcc or g++ builds, which may also be a one-file target.
var srcExt = map[string]string{"c": ".c", "cpp": ".cc"}

// A cUnit is one gcc (or g++) invocation: the executable, or a shared library that a
// source file asked for with a "// testtarget: shared NAME" line.
type cUnit struct {
	out     string   // base name of the output file
	shared  bool     // a shared library rather than the executable
	srcs    []string // the .c files
	ldflags []string // from "// testtarget: ldflags ..." lines
}

// cUnits reads the testtarget directives of a C target's sources and
// groups the .c files into compiler runs, the executable last.
func cUnits(t *target) ([]*cUnit, error) {
	exe := &cUnit{out: t.exe}
	units := []*cUnit{exe}
	libs := map[string]*cUnit{}
	for _, src := range t.srcs {
		if filepath.Ext(src) != srcExt[lang(t.name)] {
			continue
		}
		unit := exe
		var ldflags []string
		lines, err := directives(src)
		if err != nil {
			return nil, err
		}
		for _, d := range lines {
			switch {
			case len(d) == 2 && d[0] == "shared":
				unit = libs[d[1]]
				if unit == nil {
					unit = &cUnit{out: d[1], shared: true}
					libs[d[1]] = unit
					units = append(units, unit)
				}
			case len(d) > 1 && d[0] == "ldflags":
				ldflags = append(ldflags, d[1:]...)
			default:
				return nil, fmt.Errorf("testtarget: %s: bad directive %q (want \"shared NAME\" or \"ldflags FLAG...\")", src, strings.Join(d, " "))
			}
		}
		unit.srcs = append(unit.srcs, src)
		unit.ldflags = append(unit.ldflags, ldflags...)
	}
	if len(exe.srcs) == 0 {
		return nil, fmt.Errorf("testtarget: target %q has no sources for its executable", t.name)
	}
	// The libraries first: the executable may link with them.
	return append(units[1:], exe), nil
}

// directives returns the fields of each "// testtarget: ..." line of a file.
func directives(file string) ([][]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "// testtarget:"); ok {
			out = append(out, strings.Fields(rest))
		}
	}
	return out, sc.Err()
}

// A toolchain is a compiler found in PATH and its identity for the cache key.
type toolchain struct {
	path  string
	ident string
}

var (
	gccOnce = sync.OnceValues(func() (*toolchain, error) {
		return findToolchain("gcc", "C targets need gcc", "--version")
	})
	gxxOnce = sync.OnceValues(func() (*toolchain, error) {
		return findToolchain("g++", "C++ targets need g++", "--version")
	})
	goOnce = sync.OnceValues(func() (*toolchain, error) {
		return findToolchain("go", "Go targets need the go command", "env", "GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED")
	})
)

func findToolchain(name, why string, identArgs ...string) (*toolchain, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, &skipError{fmt.Sprintf("testtarget: %s not found in PATH; %s", name, why)}
	}
	out, err := exec.Command(path, identArgs...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("testtarget: %s %s: %v\n%s", path, strings.Join(identArgs, " "), err, out)
	}
	return &toolchain{path: path, ident: path + "\n" + string(out)}, nil
}

// A step is one compiler run, in dir. Its arguments depend on the directory
// the outputs go to, which is a temporary one until the build is complete.
type step struct {
	dir  string
	args func(outDir string) []string
}

// cSteps returns the compiler runs for a C target: one per unit.
func cSteps(t *target, v Variant, units []*cUnit) []step {
	var steps []step
	for _, u := range units {
		steps = append(steps, step{dir: t.dir, args: func(outDir string) []string {
			args := v.cflags()
			if u.shared {
				args = append(args, "-fPIC", "-shared")
			} else {
				args = append(args, v.pieFlags()...)
			}
			args = append(args, "-o", filepath.Join(outDir, u.out))
			args = append(args, u.srcs...)
			for _, f := range u.ldflags {
				args = append(args, strings.ReplaceAll(f, "$OUT", outDir))
			}
			return args
		}})
	}
	return steps
}

// goStep returns the go build run for a Go target. -buildvcs=false keeps
// the binary independent of the Git state, which the cache key omits.
func goStep(t *target, v Variant) (step, error) {
	rel, err := filepath.Rel(t.root, t.dir)
	if err != nil {
		return step{}, err
	}
	return step{dir: t.root, args: func(outDir string) []string {
		args := []string{"build", "-buildvcs=false", "-o", filepath.Join(outDir, t.exe)}
		args = append(args, v.goflags()...)
		return append(args, "./"+filepath.ToSlash(rel))
	}}, nil
}

// cacheKey hashes everything a build depends on: the toolchain, the
// compiler runs (which name the sources by absolute path, as DWARF will)
// and the contents of the sources and of the extra files.
func cacheKey(t *target, tc *toolchain, steps []step, extra []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", cacheVersion, t.name, tc.ident)
	for _, s := range steps {
		fmt.Fprintf(h, "%q %q\n", s.dir, s.args("$OUT"))
	}
	for _, file := range append(slices.Clone(t.srcs), extra...) {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%q %d\n", file, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// cacheRoot is the directory shared by every test binary that builds targets.
func cacheRoot() string {
	return filepath.Join(os.TempDir(), "stardbg-targets")
}

// build compiles a target, or finds it already compiled, and returns the
// directory holding its outputs. v must be resolved.
//
// Each build happens in a fresh temporary directory that is renamed into
// place when complete, so a cache directory that exists is whole; if
// another process wins the race to rename, its result is used.
func build(name string, v Variant) (string, error) {
	t, err := findTarget(name)
	if err != nil {
		return "", err
	}
	var (
		tc    *toolchain
		steps []step
		extra []string
	)
	switch t.lang {
	case "c", "cpp":
		compiler := gccOnce
		if t.lang == "cpp" {
			compiler = gxxOnce
		}
		if tc, err = compiler(); err != nil {
			return "", err
		}
		units, err := cUnits(t)
		if err != nil {
			return "", err
		}
		steps = cSteps(t, v, units)
	case "go":
		if tc, err = goOnce(); err != nil {
			return "", err
		}
		s, err := goStep(t, v)
		if err != nil {
			return "", err
		}
		steps = []step{s}
		extra = []string{filepath.Join(t.root, "go.mod")}
		if _, err := os.Stat(filepath.Join(t.root, "go.sum")); err == nil {
			extra = append(extra, filepath.Join(t.root, "go.sum"))
		}
	}
	key, err := cacheKey(t, tc, steps, extra)
	if err != nil {
		return "", err
	}
	final := filepath.Join(cacheRoot(), fmt.Sprintf("%s-%s-%s", t.exe, v, key))
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(cacheRoot(), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheRoot(), ".tmp-"+t.exe+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := runSteps(t, v, tc, steps, tmp); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return final, nil // built concurrently by another process
		}
		return "", err
	}
	return final, nil
}

// runSteps runs the compiler for each step, writing into outDir.
func runSteps(t *target, v Variant, tc *toolchain, steps []step, outDir string) error {
	for _, s := range steps {
		if err := runTool(s.dir, tc.path, s.args(outDir)...); err != nil {
			return fmt.Errorf("testtarget: building %s (%s): %w", t.name, v, err)
		}
	}
	return nil
}

// runTool runs a compiler in dir; its error carries the command line and
// everything the compiler printed.
func runTool(dir, path string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", path, strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

// isSkip reports whether err means the target cannot be built here.
func isSkip(err error) bool {
	var s *skipError
	return errors.As(err, &s)
}

// targetNames lists the targets under testdata/ in the given root.
func targetNames(root string) ([]string, error) {
	var names []string
	for _, l := range []string{"c", "cpp", "go"} {
		entries, err := os.ReadDir(filepath.Join(root, "testdata", l))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case e.IsDir():
				names = append(names, l+"/"+e.Name())
			case srcExt[l] != "" && filepath.Ext(e.Name()) == srcExt[l]:
				names = append(names, l+"/"+strings.TrimSuffix(e.Name(), srcExt[l]))
			}
		}
	}
	slices.Sort(names)
	return names, nil
}
