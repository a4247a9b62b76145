package sym

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// ldList returns what the dynamic linker itself would load for bin with env
// (`ld.so --list`): library name to path, without the vDSO and the dynamic
// linker.
func ldList(t *testing.T, bin string, env []string) map[string]string {
	t.Helper()
	obj, err := testFiles.open(bin)
	if err != nil {
		t.Fatal(err)
	}
	if obj.interp == "" {
		t.Skipf("%s is not dynamically linked", bin)
	}
	cmd := exec.Command(obj.interp, "--list", bin)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("%s --list %s: %v\n%s", obj.interp, bin, err, out)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(\S+) => (\S+) \(0x`).FindAllStringSubmatch(string(out), -1) {
		got[m[1]] = m[2]
	}
	return got
}

// sameLibs fails unless the paths found by neededPaths are the files the
// dynamic linker loads, and no more.
func sameLibs(t *testing.T, got []string, want map[string]string) {
	t.Helper()
	var gotNames, wantNames []string
	for _, p := range got {
		gotNames = append(gotNames, filepath.Base(p))
		w, ok := want[filepath.Base(p)]
		if !ok {
			continue
		}
		fg, err1 := os.Stat(p)
		fw, err2 := os.Stat(w)
		if err1 != nil || err2 != nil || !os.SameFile(fg, fw) {
			t.Errorf("%s: found %s, the dynamic linker loads %s", filepath.Base(p), p, w)
		}
	}
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(gotNames)
	sort.Strings(wantNames)
	if strings.Join(gotNames, " ") != strings.Join(wantNames, " ") {
		t.Errorf("needed libraries %v, the dynamic linker loads %v", gotNames, wantNames)
	}
}

// TestNeededAsDynamicLinker compares the libraries found for system programs
// (transitive DT_NEEDED through the cache or default directories) with the
// dynamic linker's own list.
func TestNeededAsDynamicLinker(t *testing.T) {
	for _, bin := range []string{"/bin/ls", "/usr/bin/ssh", "/usr/bin/python3", "/bin/sh"} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		t.Run(filepath.Base(bin), func(t *testing.T) {
			want := ldList(t, bin, nil)
			obj, _ := testFiles.open(bin)
			loaded := map[string]bool{filepath.Base(obj.interp): true}
			sameLibs(t, neededPaths(testFiles, bin, obj, nil, loaded), want)
		})
	}
}

// TestNeededSearchPath builds a program that needs libplugin.so and finds it
// through LD_LIBRARY_PATH, through DT_RUNPATH with $ORIGIN, and not at all,
// as the dynamic linker does; and Table.Needed reads LD_LIBRARY_PATH from the
// environment of the process, before the library is mapped.
func TestNeededSearchPath(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	plugin := testtarget.PluginPath(t, testtarget.CO0)
	dir := t.TempDir()
	libDir := filepath.Join(dir, "lib")
	if err := os.Mkdir(libDir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	// libplugin.so is a symbolic link, as libraries often are: the file
	// mapped has another name.
	if err := os.WriteFile(filepath.Join(libDir, "libplugin.so.1.0"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("libplugin.so.1.0", filepath.Join(libDir, "libplugin.so")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "main.c")
	os.WriteFile(src, []byte(`#include <unistd.h>
int plugin_fn(int);
int main(int argc, char **argv) { char c; if (argc > 1) read(0, &c, 1); return plugin_fn(1) != 8; }
`), 0o644)
	build := func(name string, flags ...string) string {
		out := filepath.Join(dir, name)
		args := append([]string{"-o", out, src, "-L" + libDir, "-lplugin"}, flags...)
		if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("cc %v: %v\n%s", args, err, b)
		}
		return out
	}
	plain := build("plain")
	runpath := build("runpath", "-Wl,-rpath,$ORIGIN/lib", "-Wl,--enable-new-dtags")

	cases := []struct {
		name string
		bin  string
		env  []string
		want bool // libplugin.so is found
	}{
		{"LD_LIBRARY_PATH", plain, []string{"LD_LIBRARY_PATH=/nonexistent:" + libDir}, true},
		{"RUNPATH $ORIGIN", runpath, nil, true},
		{"nowhere", plain, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want map[string]string
			if c.want {
				want = ldList(t, c.bin, c.env)
				if _, ok := want["libplugin.so"]; !ok {
					t.Fatalf("the dynamic linker does not find libplugin.so: %v", want)
				}
			} else {
				// The dynamic linker refuses to list a program with a
				// missing library: it needs the others as runpath does.
				want = ldList(t, runpath, nil)
				delete(want, "libplugin.so")
			}
			env := map[string]string{}
			for _, kv := range c.env {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			obj, _ := testFiles.open(c.bin)
			sameLibs(t, neededPaths(testFiles, c.bin, obj, env, map[string]bool{filepath.Base(obj.interp): true}), want)
		})
	}

	t.Run("loaded", func(t *testing.T) {
		// Once the libraries are mapped, none is needed any more, also
		// one mapped under the name its symbolic link points to.
		cmd := startWaiting(t, runpath)
		tab, err := NewTable(testFiles, cmd.Process.Pid, "", openMem(t, cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if tab.moduleNamed("libplugin.so.1.0") == nil {
			t.Fatalf("libplugin.so.1.0 is not mapped: %v", tab.Modules())
		}
		for _, m := range tab.Needed() {
			t.Errorf("%s (%s) is needed, but it is mapped", m.Name, m.Path)
		}
	})

	t.Run("process", func(t *testing.T) {
		tr := startTracedEnv(t, plain, []string{"LD_LIBRARY_PATH=" + libDir})
		tab, err := NewTable(testFiles, tr.pid, "", openMem(t, tr.pid))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tab.Resolve("plugin_fn"); err == nil {
			t.Fatal("plugin_fn resolves before libplugin.so is mapped")
		}
		var names []string
		for _, m := range tab.Needed() {
			names = append(names, m.Name)
			if m.Contains(0) || m.Bias != 0 || m.Start != 0 {
				t.Errorf("%s has addresses before it is loaded: %#x-%#x bias %#x", m.Name, m.Start, m.End, m.Bias)
			}
		}
		sort.Strings(names)
		if strings.Join(names, " ") != "libc.so.6 libplugin.so" {
			t.Errorf("Needed = %v, want libc.so.6 and libplugin.so", names)
		}
		s, _ := ParseLocation("libplugin:plugin_fn")
		locs, err := tab.ResolveNeeded(s)
		if err != nil || len(locs) != 1 || !locs[0].Unloaded || locs[0].Module != "libplugin.so" {
			t.Errorf("ResolveNeeded(libplugin:plugin_fn) = %+v, %v; want one Unloaded location in libplugin.so", locs, err)
		}
		s, _ = ParseLocation("libplugin:plugin_fm")
		_, err = tab.ResolveNeeded(s)
		var nf *NotFoundError
		if !errors.As(err, &nf) || len(nf.Suggestions) == 0 || nf.Suggestions[0] != "plugin_fn" {
			t.Errorf("ResolveNeeded(libplugin:plugin_fm) = %v, want a NotFoundError suggesting plugin_fn", err)
		}
		s, _ = ParseLocation("opendri")
		_, err = tab.ResolveNeeded(s)
		if !errors.As(err, &nf) || !slices.Contains(nf.Suggestions, "opendir") {
			t.Errorf("ResolveNeeded(opendri) = %v, want a NotFoundError suggesting libc's opendir", err)
		}
	})
}

// TestLDCache compares the cache as read here with ldconfig's listing.
func TestLDCache(t *testing.T) {
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		for _, p := range []string{"/sbin/ldconfig", "/usr/sbin/ldconfig"} {
			if _, err := os.Stat(p); err == nil {
				ldconfig = p
			}
		}
	}
	if ldconfig == "" {
		t.Skip("no ldconfig")
	}
	out, err := exec.Command(ldconfig, "-p").Output()
	if err != nil {
		t.Skipf("ldconfig -p: %v", err)
	}
	cache := readLDCache(ldCachePath)
	n := 0
	for _, m := range regexp.MustCompile(`(?m)^\s+(\S+) \(libc6,x86-64[^)]*\) => (\S+)$`).FindAllStringSubmatch(string(out), -1) {
		if _, ok := cache[m[1]]; !ok {
			t.Errorf("%s (%s) is not in the cache as read", m[1], m[2])
		}
		n++
	}
	if n == 0 || len(cache) == 0 {
		t.Fatalf("ldconfig lists %d x86-64 libraries, the cache as read has %d", n, len(cache))
	}
	if _, err := parseLDCache([]byte("not a cache")); err == nil {
		t.Error("parseLDCache accepts garbage")
	}
}
