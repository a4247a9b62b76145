package sym

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// libcModule returns the module of libc.so.6 in tab.
func libcModule(t *testing.T, tab *Table) *Module {
	t.Helper()
	for _, m := range tab.Modules() {
		if m.Name == "libc.so.6" {
			return m
		}
	}
	t.Fatalf("libc.so.6 is not among the modules %v", moduleNames(tab))
	return nil
}

func moduleNames(tab *Table) []string {
	var names []string
	for _, m := range tab.Modules() {
		names = append(names, m.Name)
	}
	return names
}

// inModule returns the locations of locs in the module called name.
func inModule(locs []Location, name string) []Location {
	var out []Location
	for _, l := range locs {
		if l.Module == name {
			out = append(out, l)
		}
	}
	return out
}

// TestLibcFunctions resolves libc functions in a live process, plainly and
// qualified by the library, and compares them with nm -D plus libc's load
// bias from the maps.
func TestLibcFunctions(t *testing.T) {
	bin := target(t, cO0)
	cmd := startWaiting(t, bin)
	pid := cmd.Process.Pid
	tab, err := NewTable(testFiles, pid, "", openMem(t, pid))
	if err != nil {
		t.Fatal(err)
	}
	libc := libcModule(t, tab)
	bias := loadBias(t, tab.Maps(), libc.Path)
	if libc.Bias != bias {
		t.Errorf("libc bias = %#x, maps say %#x", libc.Bias, bias)
	}
	byName, _ := nmFuncs(t, libc.Path, true)
	for _, tc := range []struct{ spec, name string }{
		{"malloc", "malloc"},
		{"libc:malloc", "malloc"},
		{"libc.so.6:write", "write"},
		{"libc.so:free", "free"},
		{libc.Path + ":write", "write"},
	} {
		locs, err := tab.Resolve(tc.spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.spec, err)
			continue
		}
		in := inModule(locs, "libc.so.6")
		want := byName[tc.name]
		if len(want) != 1 || len(in) != 1 || in[0].Addr != want[0]+bias || in[0].Function != tc.name {
			t.Errorf("Resolve(%q) = %s, want %s at nm %#x + %#x", tc.spec, fmtLocs(locs), tc.name, want, bias)
		}
		if strings.Contains(tc.spec, ":") && len(in) != len(locs) {
			t.Errorf("Resolve(%q) = %s: matches outside libc", tc.spec, fmtLocs(locs))
		}
		if s := tab.PCToFunc(in[0].Addr + 1); s == nil || s.Entry != in[0].Addr || s.Offset != 1 || s.Module != "libc.so.6" {
			t.Errorf("PCToFunc(%s+1) = %+v", tc.spec, s)
		}
	}
	if _, err := tab.Resolve("libz:malloc"); err == nil {
		t.Errorf("Resolve(libz:malloc) succeeded; no such module is loaded")
	}
}

// TestIFunc resolves strlen, a GNU indirect function, to the
// implementation glibc's resolver chose, and checks it against the
// process's own GOT entry for strlen (it called strlen through its PLT)
// and against gdb.
func TestIFunc(t *testing.T) {
	bin := target(t, cO0)
	cmd := startWaiting(t, bin)
	pid := cmd.Process.Pid
	mem := openMem(t, pid)
	tab, err := NewTable(testFiles, pid, "", mem)
	if err != nil {
		t.Fatal(err)
	}
	libc := libcModule(t, tab)
	locs, err := tab.Resolve("libc:strlen")
	if err != nil || len(locs) != 1 {
		t.Fatalf("Resolve(libc:strlen) = %s, %v", fmtLocs(locs), err)
	}
	impl := locs[0]
	byName, _ := nmFuncs(t, libc.Path, true)
	if !impl.IFunc || impl.Pending || impl.Addr == byName["strlen"][0]+libc.Bias || !libc.Contains(impl.Addr) {
		t.Fatalf("strlen = %+v; want an IFunc resolved away from the resolver %#x, inside libc", impl, byName["strlen"][0]+libc.Bias)
	}
	// The executable's GOT slot for strlen, bound when main called it.
	exe := tab.Exec()
	slots := exe.obj.relocations().gotByName["strlen"]
	if len(slots) != 1 {
		t.Fatalf("executable has %d GOT slots for strlen", len(slots))
	}
	got, ok := tab.readU64(exe.Bias + slots[0])
	if !ok || got != impl.Addr {
		t.Errorf("executable's strlen GOT slot holds %#x, Resolve says %#x", got, impl.Addr)
	}
	if s := tab.PCToFunc(impl.Addr); s != nil && !strings.HasPrefix(s.Name, "__strlen") {
		t.Errorf("the implementation is named %q, want __strlen_*", s.Name)
	}

	// gdb agrees (it lists the implementation as one location of "break strlen").
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Log("gdb not found: skipping its check")
		return
	}
	out, err := exec.Command("gdb", "-batch", "-nx", "-p", strconv.Itoa(pid), "-ex", "break strlen", "-ex", "info breakpoints").CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`(?m)0x([0-9a-f]+)\s+(?:in )?<?(__strlen\w*)`)
	m := re.FindStringSubmatch(string(out))
	if m == nil {
		t.Logf("gdb named no __strlen implementation:\n%s", out)
		return
	}
	t.Logf("gdb: strlen -> %s at %s", m[2], m[1])
	if a, _ := strconv.ParseUint(m[1], 16, 64); a != impl.Addr {
		t.Errorf("gdb resolves strlen to %s at %#x, we say %#x", m[2], a, impl.Addr)
	}
}

// TestIFuncPending: before the dynamic linker relocated libc (here: libc
// as a file, not running), an IFUNC resolves to its resolver, Pending.
func TestIFuncPending(t *testing.T) {
	tab, err := NewTable(testFiles, 0, "/lib/x86_64-linux-gnu/libc.so.6", nil)
	if err != nil {
		t.Skip(err)
	}
	locs, err := tab.LookupFunc("strlen")
	if err != nil || len(locs) != 1 {
		t.Fatalf("LookupFunc(strlen) = %s, %v", fmtLocs(locs), err)
	}
	byName, _ := nmFuncs(t, "/lib/x86_64-linux-gnu/libc.so.6", true)
	if l := locs[0]; !l.IFunc || !l.Pending || l.Addr != byName["strlen"][0] {
		t.Errorf("strlen = %+v, want IFunc Pending at the resolver %#x", l, byName["strlen"][0])
	}
}
