package sym

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// targetDir holds the target binaries built by this test run.
var targetDir string

// testFiles is the file cache of the tables the tests make, closed at the end.
var testFiles = NewFiles()

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "symtest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	targetDir = dir
	code := m.Run()
	testFiles.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Target variants: C built three ways, Go built two.
const (
	cO0    = "c-O0"    // gcc -O0 -g (PIE)
	cO2    = "c-O2"    // gcc -O2 -g -fomit-frame-pointer (PIE)
	cNoPIE = "c-nopie" // gcc -O0 -g -no-pie
	goFull = "go"      // go build
	goNoDW = "go-w"    // go build -ldflags=-w (no DWARF)
)

var cVariants = []string{cO0, cO2, cNoPIE}

var builds struct {
	sync.Mutex
	done map[string]string
	errs map[string]error
}

// target builds (once per test run) and returns the path of a variant of
// the test target in testdata/.
func target(t testing.TB, variant string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[variant]; ok {
		return p
	}
	if err := builds.errs[variant]; err != nil {
		t.Fatal(err)
	}
	if builds.done == nil {
		builds.done, builds.errs = map[string]string{}, map[string]error{}
	}
	out := filepath.Join(targetDir, variant)
	src, _ := filepath.Abs("testdata")
	var cmd *exec.Cmd
	switch variant {
	case cO0, cO2, cNoPIE:
		if _, err := exec.LookPath("gcc"); err != nil {
			t.Skip("gcc not found")
		}
		flags := map[string][]string{cO0: {"-O0", "-g"}, cO2: {"-O2", "-g", "-fomit-frame-pointer"}, cNoPIE: {"-O0", "-g", "-no-pie"}}[variant]
		args := append(flags, "-o", out, filepath.Join(src, "chain.c"), filepath.Join(src, "other.c"))
		cmd = exec.Command("gcc", args...)
	case goFull, goNoDW:
		args := []string{"build", "-o", out}
		if variant == goNoDW {
			args = append(args, "-ldflags=-w")
		}
		cmd = exec.Command("go", append(args, "main.go")...)
		cmd.Dir = filepath.Join(src, "gochain")
	default:
		t.Fatalf("unknown target variant %q", variant)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		err = fmt.Errorf("building %s: %v\n%s", variant, err, msg)
		builds.errs[variant] = err
		t.Fatal(err)
	}
	builds.done[variant] = out
	return out
}

// lineOf returns the line of the source file in testdata holding "LINE:tag".
func lineOf(t testing.TB, file, tag string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(l, "LINE:"+tag) || strings.Contains(l, "LINE:"+tag+" ") {
			return i + 1
		}
	}
	t.Fatalf("%s: no line is tagged %q", file, tag)
	return 0
}

// lineWith returns the first line of testdata/file containing text.
func lineWith(t testing.TB, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s: no line contains %q", file, text)
	return 0
}

// procMem reads a process's memory through /proc/PID/mem.
type procMem struct{ f *os.File }

func openMem(t testing.TB, pid int) procMem {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return procMem{f}
}

func (m procMem) ReadMem(addr uint64, b []byte) (int, error) { return m.f.ReadAt(b, int64(addr)) }

// startWaiting starts a target in "wait" mode and returns once it is
// blocked reading its standard input. The process ends with the test.
func startWaiting(t *testing.T, bin string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "wait")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Wait for the event: the main thread in read(0, ...).
	deadline := time.Now().Add(20 * time.Second)
	path := fmt.Sprintf("/proc/%d/syscall", cmd.Process.Pid)
	for {
		data, _ := os.ReadFile(path)
		if strings.HasPrefix(string(data), "0 0x0 ") {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not block reading stdin (syscall: %q)", bin, data)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// tracee is a target started under ptrace by this test's (locked) thread.
type tracee struct {
	t   *testing.T
	cmd *exec.Cmd
	pid int
}

// startTraced starts bin under ptrace and returns it stopped at its exec.
// It locks the calling goroutine to its thread for the rest of the test,
// since ptrace requests must come from the tracer thread.
func startTraced(t *testing.T, bin string, args ...string) *tracee {
	t.Helper()
	return startTracedEnv(t, bin, nil, args...)
}

// startTracedEnv is startTraced with env as the environment (nil: ours).
func startTracedEnv(t *testing.T, bin string, env []string, args ...string) *tracee {
	t.Helper()
	runtime.LockOSThread() // never unlocked: the thread dies with the test goroutine
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &tracee{t: t, cmd: cmd, pid: cmd.Process.Pid}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	t.Cleanup(func() {
		timer.Stop()
		cmd.Process.Kill()
		cmd.Wait()
	})
	tr.wait(unix.SIGTRAP)
	if err := unix.PtraceSetOptions(tr.pid, unix.PTRACE_O_EXITKILL); err != nil {
		t.Fatal(err)
	}
	return tr
}

// wait waits for the next stop and fails unless it is signal want.
// Other signals (the Go runtime's SIGURG) are passed on.
func (tr *tracee) wait(want unix.Signal) {
	tr.t.Helper()
	for {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tr.pid, &ws, 0, nil); err != nil {
			tr.t.Fatal(err)
		}
		if !ws.Stopped() {
			tr.t.Fatalf("target ended (%v) while waiting for %v", ws, want)
		}
		if ws.StopSignal() == want {
			return
		}
		if err := unix.PtraceCont(tr.pid, int(ws.StopSignal())); err != nil {
			tr.t.Fatal(err)
		}
	}
}

// cont resumes the target and waits for signal want.
func (tr *tracee) cont(want unix.Signal) {
	tr.t.Helper()
	if err := unix.PtraceCont(tr.pid, 0); err != nil {
		tr.t.Fatal(err)
	}
	tr.wait(want)
}

func (tr *tracee) regs() *unix.PtraceRegs {
	tr.t.Helper()
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(tr.pid, &r); err != nil {
		tr.t.Fatal(err)
	}
	return &r
}

func (tr *tracee) setRegs(r *unix.PtraceRegs) {
	tr.t.Helper()
	if err := unix.PtraceSetRegs(tr.pid, r); err != nil {
		tr.t.Fatal(err)
	}
}

// gdbAvailable reports whether gdb can serve as an oracle.
func gdbAvailable(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found")
	}
}

// gdbBreaks runs gdb on bin (not running) with "break LOC" for each loc and
// returns, for each, the address and line gdb chose (ok false if gdb
// refused or chose several locations).
type gdbBreak struct {
	addr uint64
	line int
	ok   bool
}

var gdbBreakRE = regexp.MustCompile(`^Breakpoint \d+ at 0x([0-9a-f]+)(?:: (?:file .*, line (\d+)\.|.*))?$`)

func gdbBreaks(t testing.TB, bin string, locs []string) []gdbBreak {
	t.Helper()
	args := []string{"-batch", "-nx"}
	for i, l := range locs {
		args = append(args, "-ex", fmt.Sprintf("echo @@%d\\n", i), "-ex", "break "+l)
	}
	out, err := exec.Command("gdb", append(args, bin)...).Output()
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	res := make([]gdbBreak, len(locs))
	cur := -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var n int
		if _, err := fmt.Sscanf(line, "@@%d", &n); err == nil {
			cur = n
			continue
		}
		// Breakpoint 1 at 0x1170: file /path/chain.c, line 20.
		if m := gdbBreakRE.FindStringSubmatch(line); cur >= 0 && m != nil && !strings.Contains(line, "locations)") {
			addr, _ := strconv.ParseUint(m[1], 16, 64)
			ln, _ := strconv.Atoi(m[2])
			res[cur] = gdbBreak{addr: addr, line: ln, ok: true}
		}
	}
	return res
}
