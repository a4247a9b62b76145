package sym

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRefreshAndRendezvous follows a target from its exec (only the
// executable, the dynamic linker and the vDSO are mapped) to main (libc is
// loaded): Refresh reports what appeared, and the rendezvous address is
// _dl_debug_state before and r_debug.r_brk after.
func TestRefreshAndRendezvous(t *testing.T) {
	tr := startTraced(t, target(t, cO0), "write")
	mem := openMem(t, tr.pid)
	tab, err := NewTable(testFiles, tr.pid, "", mem)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*Module{}
	for _, m := range tab.Modules() {
		names[m.Name] = m
	}
	ld := names["ld-linux-x86-64.so.2"]
	if tab.Exec() == nil || ld == nil || !ld.Interp || names["[vdso]"] == nil || names["libc.so.6"] != nil {
		t.Fatalf("modules at exec = %v, want the executable, ld-linux-x86-64.so.2 (interp) and [vdso], not libc", moduleNames(tab))
	}
	byName, _ := nmFuncs(t, ld.Path, true)
	want := byName["_dl_debug_state"][0] + loadBias(t, tab.Maps(), ld.Path)
	if got, ok := tab.RendezvousAddr(); !ok || got != want {
		t.Errorf("RendezvousAddr at exec = %#x, %v; want _dl_debug_state at %#x", got, ok, want)
	}
	if _, ok := tab.RDebug(); ok {
		t.Errorf("RDebug is set before the dynamic linker ran")
	}
	if s := tab.PCToFunc(want); s == nil || s.Name != "_dl_debug_state" || s.Module != ld.Name {
		t.Errorf("PCToFunc(_dl_debug_state) = %+v", s)
	}

	// The vDSO is read from memory, with its symbols.
	if locs, err := tab.Resolve("[vdso]:__vdso_clock_gettime"); err != nil || len(locs) != 1 || !names["[vdso]"].Contains(locs[0].Addr) {
		t.Errorf("Resolve([vdso]:__vdso_clock_gettime) = %s, %v", fmtLocs(locs), err)
	}

	tr.cont(unix.SIGTRAP) // int3 in main
	added, removed, err := tab.Refresh()
	if err != nil {
		t.Fatal(err)
	}
	var addedNames []string
	for _, m := range added {
		addedNames = append(addedNames, m.Name)
	}
	if !slices.Contains(addedNames, "libc.so.6") || slices.Contains(addedNames, ld.Name) || len(removed) != 0 {
		t.Errorf("Refresh added %v, removed %d; want libc.so.6 added, nothing removed", addedNames, len(removed))
	}
	if tab.ModuleAt(want) != ld {
		t.Errorf("the dynamic linker's module changed identity across Refresh")
	}
	rd, ok := tab.RDebug()
	if !ok {
		t.Fatalf("RDebug not set after start-up")
	}
	if got, ok := tab.RendezvousAddr(); !ok || got != want {
		t.Errorf("RendezvousAddr after start-up (r_brk of r_debug at %#x) = %#x, %v; want %#x", rd, got, ok, want)
	}
	if st, ok := tab.RDebugState(); !ok || st != 0 {
		t.Errorf("r_state = %d, %v; want 0 (consistent)", st, ok)
	}

	// Nothing changed: nothing to report. A module that went away is reported.
	if added, removed, err := tab.Refresh(); err != nil || len(added) != 0 || len(removed) != 0 {
		t.Errorf("second Refresh = %d added, %d removed, %v", len(added), len(removed), err)
	}
	gone := &Module{Path: "/gone/libgone.so", Name: "libgone.so", Start: 1 << 40, End: 1<<40 + 4096, obj: ld.obj}
	tab.mods = append(tab.mods, gone)
	if _, removed, _ := tab.Refresh(); len(removed) != 1 || removed[0] != gone {
		t.Errorf("Refresh after an unload removed %v, want the gone module", removed)
	}
}

// TestNotFound checks that unknown names fail with the closest names.
func TestNotFound(t *testing.T) {
	c, err := NewTable(testFiles, 0, target(t, cO0), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewTable(testFiles, 0, target(t, goNoDW), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tab     *Table
		spec    string
		message string
		first   string
	}{
		{c, "hto", `no function or file:line matches "hto" (did you mean "hot"?)`, "hot"},
		{c, "chian.c:20", "", "chain.c"},
		{c, "libq:malloc", "", ""},
		{c, "chain.c:nosuch", "", ""},
		{g, "main.wroker", "", "main.worker"},
		{g, "worker", "", "main.worker"},
		{g, "main.(*T).Mehtod", "", "main.(*T).Method"},
	} {
		_, err := tc.tab.Resolve(tc.spec)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("Resolve(%q) error = %v, want *NotFoundError", tc.spec, err)
			continue
		}
		if tc.message != "" && err.Error() != tc.message {
			t.Errorf("Resolve(%q) error = %q, want %q", tc.spec, err, tc.message)
		}
		if tc.first != "" && (len(nf.Suggestions) == 0 || nf.Suggestions[0] != tc.first) {
			t.Errorf("Resolve(%q) suggests %q, want %q first", tc.spec, nf.Suggestions, tc.first)
		}
		if !strings.Contains(err.Error(), tc.spec) {
			t.Errorf("error %q does not quote the spec", err)
		}
	}
	if _, err := c.Resolve("42"); !errors.Is(err, ErrBadSpec) {
		t.Errorf("Resolve(42) error = %v, want ErrBadSpec", err)
	}
}

// TestResolveKinds resolves each kind of spec in the Go target, where
// names hold dots, parentheses, stars and slashes.
func TestResolveKinds(t *testing.T) {
	tab, err := NewTable(testFiles, 0, target(t, goFull), nil)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := tab.Resolve("main.worker")
	if err != nil || len(worker) != 1 || worker[0].Function != "main.worker" || !strings.HasSuffix(worker[0].File, "gochain/main.go") {
		t.Fatalf("Resolve(main.worker) = %s, %v", fmtLocs(worker), err)
	}
	if worker[0].Body != worker[0].Addr {
		t.Errorf("Go function Body %#x != entry %#x", worker[0].Body, worker[0].Addr)
	}
	for _, spec := range []string{"main.(*T).Method", "runtime.goexit", "internal/poll.(*FD).Read", "type:.eq.internal/poll.FD"} {
		locs, err := tab.Resolve(spec)
		if err != nil || len(locs) != 1 {
			t.Errorf("Resolve(%q) = %s, %v", spec, fmtLocs(locs), err)
			continue
		}
		if s := tab.PCToFunc(locs[0].Addr); s == nil || s.Name != spec || s.Entry != locs[0].Addr {
			t.Errorf("PCToFunc(Resolve(%q)) = %+v", spec, s)
		}
	}
	addr := worker[0].Addr + 3
	spec := fmt.Sprintf("0X%X", addr)
	locs, err := tab.Resolve(spec)
	if err != nil || len(locs) != 1 || locs[0].Addr != addr || locs[0].Function != "main.worker" || locs[0].Line == 0 {
		t.Errorf("Resolve(%s) = %s, %v", spec, fmtLocs(locs), err)
	}
}

// TestFileCache checks that tables of the same file share its parsed
// tables, whether the file is named directly or through /proc.
func TestFileCache(t *testing.T) {
	bin := target(t, cO2)
	a, err := NewTable(testFiles, 0, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewTable(testFiles, 0, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := startWaiting(t, bin)
	c, err := NewTable(testFiles, cmd.Process.Pid, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.mods[0].obj != b.mods[0].obj || c.Exec() == nil || c.Exec().obj != a.mods[0].obj {
		t.Errorf("tables of one file do not share its parsed form")
	}
	if a.mods[0].obj.symbols() != c.Exec().obj.symbols() {
		t.Errorf("symbol tables parsed twice")
	}
}

// Closing a Files cache closes the files its tables opened, and the cache
// then refuses new tables.
func TestFilesClose(t *testing.T) {
	// A copy of its own, which no other test's table holds open.
	data, err := os.ReadFile(target(t, cO0))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "c-O0")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	files := NewFiles()
	tab, err := NewTable(files, 0, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.LookupSym("main")) == 0 {
		t.Fatal("no main")
	}
	if n := openFDs(t, bin); n != 1 {
		t.Fatalf("%d descriptors open on %s while the cache holds it, want 1", n, bin)
	}
	if err := files.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t, bin); n != 0 {
		t.Fatalf("%d descriptors still open on %s after Close", n, bin)
	}
	if _, err := NewTable(files, 0, bin, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewTable after Close: %v, want ErrClosed", err)
	}
}

// openFDs counts the descriptors of this process open on path.
func openFDs(t *testing.T, path string) int {
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

// TestFuncNames lists the functions a completion offers: by prefix,
// sorted, each once.
func TestFuncNames(t *testing.T) {
	tab, err := NewTable(testFiles, 0, target(t, goFull), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := tab.FuncNames("main.")
	if !slices.Contains(names, "main.worker") || !slices.Contains(names, "main.main") || !slices.IsSorted(names) {
		t.Errorf("FuncNames(main.) = %q, want sorted names with main.worker and main.main", names)
	}
	for i, n := range names {
		if !strings.HasPrefix(n, "main.") || i > 0 && names[i-1] == n {
			t.Errorf("FuncNames(main.) has %q at %d: not the prefix, or twice", n, i)
		}
	}
	if got := tab.FuncNames("main.work"); !slices.Equal(got, []string{"main.worker"}) {
		t.Errorf("FuncNames(main.work) = %q, want [main.worker]", got)
	}
	if got := tab.FuncNames("no_such_function"); len(got) != 0 {
		t.Errorf("FuncNames(no_such_function) = %q, want none", got)
	}
}
