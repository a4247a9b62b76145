package testtarget_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

func TestBuildCache(t *testing.T) {
	def := testtarget.Build(t, "c/hotloop", testtarget.Default)
	if co0 := testtarget.Build(t, "c/hotloop", testtarget.CO0); co0 != def {
		t.Errorf("Default built %s, CO0 built %s; want the same", def, co0)
	}
	if o2 := testtarget.Build(t, "c/hotloop", testtarget.CO2NoFP); o2 == def {
		t.Errorf("CO0 and CO2NoFP share %s", def)
	}
	if !filepath.IsAbs(def) || filepath.Base(def) != "hotloop" {
		t.Errorf("Build returned %s, want an absolute path ending in hotloop", def)
	}
	if !strings.HasPrefix(def, filepath.Join(os.TempDir(), "stardbg-targets")+string(filepath.Separator)) {
		t.Errorf("Build returned %s, want it under the cache in %s", def, os.TempDir())
	}
	if fi, err := os.Stat(def); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("stat %s: %v, want an executable", def, err)
	}
	plugin := testtarget.PluginPath(t, testtarget.Default)
	if want := filepath.Join(filepath.Dir(testtarget.Build(t, "c/dlopener", testtarget.CO0)), "libplugin.so"); plugin != want {
		t.Errorf("PluginPath = %s, want %s", plugin, want)
	}
	if _, err := os.Stat(plugin); err != nil {
		t.Error(err)
	}
	if gd := testtarget.Build(t, "go/hotgo", testtarget.Default); gd != testtarget.Build(t, "go/hotgo", testtarget.Go) {
		t.Errorf("Default and Go builds of go/hotgo differ")
	}
}

func TestVariants(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"c/hotloop", "[co0 co2nofp cnopie]"},
		{"cpp/typed", "[co0 co2nofp cnopie]"},
		{"go/hotgo", "[go gonodwarf]"},
		{"rust/x", "[]"},
	}
	for _, tt := range tests {
		if got := fmtVariants(testtarget.Variants(tt.name)); got != tt.want {
			t.Errorf("Variants(%q) = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func fmtVariants(vs []testtarget.Variant) string {
	var names []string
	for _, v := range vs {
		names = append(names, v.String())
	}
	return "[" + strings.Join(names, " ") + "]"
}

func TestTargets(t *testing.T) {
	got := testtarget.Targets()
	if !slices.IsSorted(got) {
		t.Errorf("Targets() = %v, not sorted", got)
	}
	for _, want := range []string{
		"c/callchain", "c/dlopener", "c/forker", "c/hotloop", "c/hotthreads", "c/mainexit", "c/mallocs",
		"c/manythreads", "c/sigabrt", "c/sigsegv", "c/sigusr1", "c/sleeper", "c/threadchurn",
		"c/twostatics", "go/hotgo", "go/sleepergo",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Targets() = %v, missing %s", got, want)
		}
	}
}

func TestRoot(t *testing.T) {
	root := testtarget.Root()
	if _, err := os.Stat(filepath.Join(root, "internal", "testtarget")); err != nil {
		t.Errorf("Root() = %s: %v", root, err)
	}
	t.Chdir(t.TempDir()) // found from the package source instead
	if got := testtarget.Root(); got != root {
		t.Errorf("Root() outside the module = %s, want %s", got, root)
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		file, marker string
		want         string // text the line must contain
	}{
		{"c/callchain.c", "f5-write", "write(1,"},
		{"c/callchain.c", "f4-call", "f5(x) + 4"},
		{"c/hotloop.c", "hot-body", "i * 3 + 1"},
		{"go/hotgo/main.go", "f5-write", "os.Stdout.Write"},
		{"c/dlopener/plugin.c", "plugin-body", "x * x + 7"},
	}
	for _, tt := range tests {
		n := testtarget.Line(t, tt.file, tt.marker)
		data, err := os.ReadFile(testtarget.SourcePath(tt.file))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		if n < 1 || n > len(lines) || !strings.Contains(lines[n-1], tt.want) {
			t.Errorf("Line(%s, %s) = %d, want the line containing %q", tt.file, tt.marker, n, tt.want)
		}
	}
}

func TestKeyValues(t *testing.T) {
	got := testtarget.KeyValues("ready pid=42 threads=4\nabout to crash\ngot=1\ngot=2\n=x\npatch_me=\n")
	want := map[string]string{"pid": "42", "threads": "4", "got": "2", "patch_me": ""}
	if !maps.Equal(got, want) {
		t.Errorf("KeyValues = %v, want %v", got, want)
	}
}
