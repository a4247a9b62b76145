// Package examples holds runnable stardbg scripts; this test runs each of them
// with the real stardbg command against real programs and checks what it reports.
package examples

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

var stardbg string // the binary, built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stardbg-examples")
	if err != nil {
		panic(err)
	}
	stardbg = filepath.Join(dir, "stardbg")
	build := exec.Command("go", "build", "-o", stardbg, "stardbg/cmd/stardbg")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building stardbg: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs stardbg with args and returns its stdout, stderr and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(stardbg, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("stardbg %v did not finish:\n%s\n%s", args, out.String(), errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := run(t, args...)
	if code != 0 {
		t.Fatalf("stardbg %v: exit %d\n%s\n%s", args, code, out, errs)
	}
	return out
}

func find(t *testing.T, out, pattern string) []string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in output:\n%s", pattern, out)
	}
	return m
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCountCalls(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.Default)
	out := mustRun(t, "run", "count_calls.star", "hot", bin, "4", "2500")
	find(t, out, `total: 10000 calls of hot in 4 threads \(exit code 0\)`)
	if n := len(regexp.MustCompile(`(?m)^tid \d+: 2500 calls$`).FindAllString(out, -1)); n != 4 {
		t.Fatalf("%d per-thread lines of 2500 calls, want 4:\n%s", n, out)
	}
}

func TestMallocTrace(t *testing.T) {
	out := mustRun(t, "run", "malloc_trace.star", "--", "/bin/ls", "-R", "/usr/share/doc")
	mallocs := atoi(t, find(t, out, `malloc calls: (\d+)`)[1])
	frees := atoi(t, find(t, out, `free calls: +(\d+)`)[1])
	largest := atoi(t, find(t, out, `largest: +(\d+) bytes`)[1])
	if mallocs < 100 || frees < 50 || largest < 1024 {
		t.Fatalf("implausible figures: %d mallocs, %d frees, largest %d\n%s", mallocs, frees, largest, out)
	}
	// The backtrace of the largest allocation starts in malloc and reaches ls.
	find(t, out, `(?s)allocated at:\n    malloc .*in libc\.so\.6\n.*\n    ls\+0x[0-9a-f]+\n`)
}

func TestLatency(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.Default)
	histogramHolds(t, mustRun(t, "run", "latency.star", "hot", bin, "500"), "500 calls of hot, 0 deep at most", 500)
	// Recursion in 4 threads: fib(15) makes 1973 calls, 14 deep at most;
	// every call is in the histogram once.
	bin = testtarget.Build(t, "c/retvals", testtarget.Default)
	out := mustRun(t, "run", "latency.star", "fib", bin, "fib", "15", "4")
	histogramHolds(t, out, "7892 calls of fib, 14 deep at most", 7892)
	find(t, out, `(?m)^slowest: fib\(\d+\) at depth \d+ returned \d+ in \d+ us$`)
}

// histogramHolds checks latency.star's summary line and that its histogram
// holds n calls.
func histogramHolds(t *testing.T, out, summary string, n int) {
	t.Helper()
	find(t, out, regexp.QuoteMeta(summary))
	total := 0
	for _, m := range regexp.MustCompile(`(?m)^<= \d+ us: (\d+) `).FindAllStringSubmatch(out, -1) {
		total += atoi(t, m[1])
	}
	if total != n {
		t.Fatalf("histogram holds %d calls, want %d:\n%s", total, n, out)
	}
}

func TestThreads(t *testing.T) {
	bin := testtarget.Build(t, "c/threadchurn", testtarget.Default)
	out := mustRun(t, "run", "threads.star", bin, "3", "2")
	find(t, out, `6 threads created, 6 exited; process exited with code 0`)
	if n := len(regexp.MustCompile(`(?m)^thread \d+ created by \d+, starts in worker$`).FindAllString(out, -1)); n != 6 {
		t.Fatalf("%d creations starting in worker, want 6:\n%s", n, out)
	}
}

// startReady starts a program and waits for its first line, which starts with
// ready. Closing the returned stdin ends sleeper in its "stdin" mode.
func startReady(t *testing.T, bin, ready string, args ...string) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdin, _ := cmd.StdinPipe()
	pipe, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(pipe)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, ready) {
		t.Fatalf("%s said %q, %v", bin, line, err)
	}
	return cmd, r, stdin
}

func TestPatch(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.Default)
	cmd, r, stdin := startReady(t, bin, "ready", "stdin", "2")
	out := mustRun(t, "run", "patch.star", strconv.Itoa(cmd.Process.Pid), "patch_me", "7")
	find(t, out, `patch_me at 0x[0-9a-f]+: 1 -> 7`)
	stdin.Close() // sleeper ends now
	rest, _ := bufio.NewReader(r).ReadString(0)
	if err := cmd.Wait(); err != nil || !strings.Contains(rest, "patch_me=7") {
		t.Fatalf("after the patch the program said %q (%v)", rest, err)
	}
}

func TestPatchFunction(t *testing.T) {
	bin := testtarget.Build(t, "c/mainexit", testtarget.Default)
	cmd, r, _ := startReady(t, bin, "workers=3", "3000000")
	out := mustRun(t, "run", "patch.star", strconv.Itoa(cmd.Process.Pid), "hot()", "0")
	find(t, out, `hot\(\) at 0x[0-9a-f]+ now returns 0`)
	rest, _ := bufio.NewReader(r).ReadString(0)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	// Every call after the patch adds 0 instead of 3i+1: the checksum is smaller.
	full := 0
	for w := 0; w < 3; w++ {
		for i := 0; i < 3000000; i++ {
			full += 3*(w*3000000+i) + 1
		}
	}
	sum := atoi(t, find(t, rest, `checksum=(\d+)`)[1])
	if sum >= full {
		t.Fatalf("checksum %d, the unpatched one is %d", sum, full)
	}
}

func TestCrashReport(t *testing.T) {
	bin := testtarget.Build(t, "c/sigsegv", testtarget.Default)
	out, errs, code := run(t, "run", "crash_report.star", bin)
	if code != 1 || !strings.Contains(errs, "the program crashed") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	tid := find(t, out, `crash_tid=(\d+)`)[1]
	find(t, out, `=== SIGSEGV in thread `+tid+` at address 0x10`)
	find(t, out, `--- thread `+tid+` sigsegv \(faulting\)\n  #0  0x[0-9a-f]{16} in crash at sigsegv\.c:\d+\n  #1  0x[0-9a-f]{16} in crasher at sigsegv\.c:\d+\n`)
	find(t, out, `(?m)^  rip +0x[0-9a-f]+$`)
	find(t, out, `=== process killed \(SIGSEGV\)`)
	if n := strings.Count(out, "--- thread "); n != 3 {
		t.Fatalf("%d threads in the report, want 3", n)
	}
}

func TestHangDetect(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.Default)
	// The clock starts when the last of the three threads enters nap_loop
	// (sleeper calls all_napping then), so each backtrace shows it.
	out, errs, code := run(t, "run", "hang_detect.star", "--from", "all_napping", "0.5", bin, "0", "2")
	if code != 1 || !strings.Contains(errs, "hang: still running after 0.5 seconds") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	find(t, out, `=== still running after 0.5s: 3 threads`)
	if n := len(regexp.MustCompile(`#\d+ +0x[0-9a-f]{16} in nap_loop at sleeper\.c:\d+`).FindAllString(out, -1)); n != 3 {
		t.Fatalf("%d threads stuck in nap_loop, want 3:\n%s", n, out)
	}
	// And a program that finishes in time passes.
	out = mustRun(t, "run", "hang_detect.star", "30", bin, "0.1", "1")
	find(t, out, `finished in time: exited 0`)
}

func TestGoHot(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Default)
	out := mustRun(t, "run", "go_hot.star", bin, "8", "1000")
	// Arguments 0..7999, each once.
	find(t, out, `main\.hot: 8000 calls on \d+ threads, argument sum 31996000, largest 7999`)
}

// TestGoHTTP: httpload's 8 clients send 50 requests each, 100 per name; the
// callback reads price's string and int arguments by name, and the summary
// at main.report accounts for every goroutine, main's running report and the
// server's listener waiting in accept among them.
func TestGoHTTP(t *testing.T) {
	bin := testtarget.Build(t, "go/httpload", testtarget.Default)
	out := mustRun(t, "run", "go_http.star", bin, "8", "50")
	if n := len(regexp.MustCompile(`(?m)^price\(name="(apple|pear|fig|kiwi)", qty=\d+\) on goroutine \d+$`).FindAllString(out, -1)); n != 3 {
		t.Fatalf("%d calls of price shown, want 3:\n%s", n, out)
	}
	find(t, out, `(?m)^main\.price: 400 calls from \d+ goroutines: apple=100 fig=100 kiwi=100 pear=100$`)
	find(t, out, `(?m)^requests=400 total=169800$`)
	total := atoi(t, find(t, out, `(?m)^at main\.report: (\d+) goroutines$`)[1])
	sum := 0
	for _, m := range regexp.MustCompile(`(?m)^(\d+) +(.+?) +(\S+)$`).FindAllStringSubmatch(out[strings.Index(out, "at main.report"):], -1) {
		sum += atoi(t, m[1])
	}
	if sum != total {
		t.Errorf("the groups count %d goroutines, want %d:\n%s", sum, total, out)
	}
	find(t, out, `(?m)^1 +running +main\.report$`)
	find(t, out, `(?m)^1 +IO wait +net\.\(\*netFD\)\.accept$`)
}

func TestProbes(t *testing.T) {
	out := mustRun(t, "test", "probes")
	find(t, out, `(?m)^7 passed, 0 failed$`)
	for _, name := range []string{"test_opendir_never_gets_null", "test_free_only_what_malloc_returned", "test_seq_output_never_decreases"} {
		find(t, out, `(?m)^ok +probes/coreutils_test\.star:`+name+` `)
	}
	for _, name := range []string{"test_shell_children_run_and_exit_zero", "test_no_child_writes_to_stderr"} {
		find(t, out, `(?m)^ok +probes/family_test\.star:`+name+` `)
	}
	for _, name := range []string{"test_bc_answers_line_by_line", "test_bc_reads_each_line_when_it_comes"} {
		find(t, out, `(?m)^ok +probes/interactive_test\.star:`+name+` `)
	}
}

// Every script in this directory has a test above, and a header that says what
// it shows and how to run it.
// TestEnospcProbe: echo and ls report a write failed with ENOSPC and exit
// non-zero, at every write; a shell script that goes on after its failed
// echo exits 0, and the probe says so and fails.
func TestEnospcProbe(t *testing.T) {
	out := mustRun(t, "run", "enospc_probe.star", "1", "/bin/echo", "hello")
	find(t, out, `PASS write 1/\?: exit 1, stderr: "/bin/echo: write error: No space left on device"`)
	out = mustRun(t, "run", "enospc_probe.star", "every", "/bin/ls", "-R", "/usr/share/doc")
	passes := regexp.MustCompile(`(?m)^PASS write \d+/(\d+): exit 2, stderr: ".*write error.*"$`).FindAllStringSubmatch(out, -1)
	if len(passes) < 2 || strconv.Itoa(len(passes)) != passes[0][1] || strings.Contains(out, "FAIL") {
		t.Fatalf("want a PASS line for every write of ls:\n%s", out)
	}
	out, errs, code := run(t, "run", "enospc_probe.star", "1", "/bin/sh", "-c", "echo hi; exit 0")
	if code == 0 || !strings.Contains(out, "FAIL write 1/?: exit 0, the failed write went unnoticed") || !strings.Contains(errs, "1 of 1 runs did not fail cleanly") {
		t.Fatalf("sh -c 'echo hi; exit 0': exit %d\n%s\n%s", code, out, errs)
	}
}

func TestEveryExampleIsTested(t *testing.T) {
	src, err := os.ReadFile("examples_test.go")
	if err != nil {
		t.Fatal(err)
	}
	scripts, _ := filepath.Glob("*.star")
	probes, _ := filepath.Glob("probes/*_test.star")
	if len(scripts)+len(probes) < 9 {
		t.Fatalf("%d examples, want at least 9", len(scripts)+len(probes))
	}
	for _, s := range append(scripts, probes...) {
		body, _ := os.ReadFile(s)
		if !bytes.HasPrefix(body, []byte("# "+filepath.Base(s)+":")) && !bytes.HasPrefix(body, []byte("# "+s+":")) {
			t.Errorf("%s does not start with a header naming it", s)
		}
		if !bytes.Contains(body, []byte("stardbg ")) {
			t.Errorf("%s's header does not say how to run it", s)
		}
		if filepath.Dir(s) == "." && !bytes.Contains(src, []byte(`"`+s+`"`)) {
			t.Errorf("%s is not run by any test", s)
		}
		checkBuildLines(t, s, body)
	}
}

// buildLine matches a header's command that builds a test program, and
// captures the source it builds.
var buildLine = regexp.MustCompile(`(?m)^#   (?:gcc .* (testdata/c/\S+\.c)|go build .* \./(testdata/go/\S+))$`)

// checkBuildLines checks that an example's header says how to get the program
// it runs, from a clean clone: a build command of a test program that exists
// (gcc ... testdata/c/X.c, go build ... ./testdata/go/X), or that it runs
// system binaries.
func checkBuildLines(t *testing.T, script string, body []byte) {
	var comments []string // the header: up to the first line of code
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "#") && line != "" {
			break
		}
		comments = append(comments, line)
	}
	text := strings.Join(comments, "\n")
	builds := buildLine.FindAllStringSubmatch(text, -1)
	if len(builds) == 0 && !strings.Contains(text, "system binar") {
		t.Errorf("%s's header does not say how to get its program (a gcc or go build line, or system binaries)", script)
	}
	for _, m := range builds {
		src := filepath.Join("..", m[1]+m[2])
		if _, err := os.Stat(src); err != nil {
			t.Errorf("%s's header builds %s: %v", script, m[1]+m[2], err)
		}
	}
}

func TestReaddirFields(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code := run(t, "run", "readdir_fields.star", "/bin/ls", "-a", dir)
	if code != 0 && strings.Contains(errs, "no debug information") {
		t.Skipf("libc has no debug information (libc6-dbg): %s", errs)
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	// ls reads 5 entries (., .., a, b, c), then readdir says there are no more.
	calls := atoi(t, find(t, out, `(\d+) calls of readdir; <event exited pid=\d+ status=0>`)[1])
	lines := regexp.MustCompile(`(?m)^readdir\(DIR \*\) fd=(\d+) size=(\d+) offset=(\d+) filepos=-?\d+$`).FindAllStringSubmatch(out, -1)
	if calls < 6 || len(lines) != calls {
		t.Fatalf("%d calls, %d lines, want at least 6 of each:\n%s", calls, len(lines), out)
	}
	// One stream: the same descriptor in every call, and the first call finds
	// the buffer empty (size 0) before libc fills it with getdents.
	for _, l := range lines {
		if l[1] != lines[0][1] || atoi(t, l[1]) < 3 {
			t.Fatalf("fd %s in a call, %s in the first:\n%s", l[1], lines[0][1], out)
		}
	}
	if lines[0][2] != "0" || lines[1][2] == "0" {
		t.Fatalf("buffer sizes %s then %s, want 0 then the bytes getdents read:\n%s", lines[0][2], lines[1][2], out)
	}
}

// TestMallocSizes checks malloc_sizes.star's histogram of c/mallocs, whose
// sizes are known (one of each power of two up to 1 MiB), and its count and
// byte total of ls -R against bpftrace's on the same run of ls. The
// programs run with a copy of libc (LD_LIBRARY_PATH): a uprobe is set in a
// file and fires in every process that maps it, and one on the system's
// libc would put an int3 under other tests' breakpoints on malloc.
func TestMallocSizes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("tracepoints need root (or CAP_BPF and CAP_PERFMON)")
	}
	libdir := t.TempDir()
	sysLibc, err := exec.Command("gcc", "-print-file-name=libc.so.6").Output()
	if err != nil {
		t.Skipf("gcc cannot say where libc is: %v", err)
	}
	libc := filepath.Join(libdir, "libc.so.6")
	if b, err := os.ReadFile(strings.TrimSpace(string(sysLibc))); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(libc, b, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "LD_LIBRARY_PATH="+libdir)
	runEnv := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(stardbg, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("stardbg %q: %v\n%s", args, err, out)
		}
		return string(out)
	}

	bin := testtarget.Build(t, "c/mallocs", testtarget.Default)
	out := runEnv("run", "malloc_sizes.star", bin, "21")
	find(t, out, `malloc calls: 21 \(the kernel counted 21, 0 records lost\), 2097151 bytes`)
	for b := 1; b <= 1<<20; b *= 2 {
		find(t, out, fmt.Sprintf(`(?m)^<= +%d bytes: +1 #+$`, b))
	}
	argv := []string{"/bin/ls", "-R", "/usr/share/doc"}
	out = runEnv(append([]string{"run", "malloc_sizes.star", "--"}, argv...)...)
	m := find(t, out, `malloc calls: (\d+) \(the kernel counted (\d+), 0 records lost\), (\d+) bytes`)
	if m[1] != m[2] || atoi(t, m[1]) < 100 {
		t.Fatalf("implausible figures:\n%s", out)
	}
	bpftrace, err := exec.LookPath("bpftrace")
	if err != nil {
		t.Skip("bpftrace is not installed: the figures are not compared with it")
	}
	prog := fmt.Sprintf("uprobe:%s:malloc /pid == cpid/ { @c = count(); @b = sum(arg0); }", libc)
	cmd := exec.Command(bpftrace, "-e", prog, "-c", strings.Join(argv, " "))
	cmd.Env = env
	bt, err := cmd.Output()
	if err != nil {
		t.Fatalf("bpftrace: %v\n%s", err, bt)
	}
	if c, b := find(t, string(bt), `@c: (\d+)`)[1], find(t, string(bt), `@b: (\d+)`)[1]; c != m[1] || b != m[3] {
		t.Errorf("bpftrace counted %s calls of %s bytes; malloc_sizes.star %s of %s", c, b, m[1], m[3])
	}
}
