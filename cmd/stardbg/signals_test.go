package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// started is a stardbg running in the background, its stdout read by line.
type started struct {
	cmd    *exec.Cmd
	stdout <-chan string
	stderr bytes.Buffer
	done   chan struct{} // closed when it has exited
	err    error         // from Wait, once done is closed
}

// start starts stardbg with args; the test kills it if it is still
// running at the end.
func start(t *testing.T, args ...string) *started {
	t.Helper()
	return startWithStdin(t, nil, args...)
}

// startWithStdin is start with stdin (nil for none).
func startWithStdin(t *testing.T, stdin io.Reader, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = stdin
	return startCmd(t, cmd)
}

// startCmd is start with a command of the caller's: stardbg started by
// something else.
func startCmd(t *testing.T, cmd *exec.Cmd) *started {
	t.Helper()
	s := &started{cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	s.cmd.Stdout = pw
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.stdout = lines(pr)
	go func() {
		s.err = s.cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
	return s
}

// wait waits for stardbg to exit and returns its exit code.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(runDeadline):
		// Show where it is stuck: the Go runtime dumps its goroutines.
		s.cmd.Process.Signal(syscall.SIGABRT)
		<-s.done
		t.Fatalf("stardbg did not exit within %v; stderr:\n%s", runDeadline, s.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		return ee.ExitCode()
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return 0
}

// TestSignalKillsLaunched sends SIGINT (or SIGTERM) to a stardbg whose
// script waits on a target that runs forever: stardbg kills the target and
// exits 130 (143).
func TestSignalKillsLaunched(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	// The target's "ready" line says its threads have started: the signal
	// comes while the script waits in p.run() on a running target.
	script := writeFile(t, "wait.star", `p = launch([argv[1], "0", "2"])
p.run()
`)
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitInterrupt}, {syscall.SIGTERM, exitTerminate}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			s := start(t, "run", script, sleeper)
			ready := testtarget.KeyValues(expectLine(t, s.stdout, "ready "))
			pid, err := strconv.Atoi(ready["pid"])
			if err != nil {
				t.Fatal(err)
			}
			if err := s.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := s.wait(t); code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.code, s.stderr.String())
			}
			waitGone(t, pid)
		})
	}
}

// TestSignalDetachesAttached attaches to a running sleeper, plants a
// breakpoint that its threads keep hitting and waits; SIGINT, twice (the
// second during clean-up), must leave the target running with its text as
// in the ELF file, no 0xCC anywhere, and stardbg must exit 130.
func TestSignalDetachesAttached(t *testing.T) {
	endAttached(t, syscall.SIGINT, 2)
}

// TestEndSignalsDetachAttached sends each signal that would end stardbg
// to a stardbg attached to a sleeper whose threads keep hitting a
// breakpoint: each must end the run with the same clean-up as SIGTERM
// (exit code 128+signal, the target's text intact, the target running on
// and ending as it would untraced), where SIGHUP, SIGQUIT, SIGPIPE and the
// rest killed stardbg with its breakpoints planted, and the target died of
// SIGTRAP at its next hit.
func TestEndSignalsDetachAttached(t *testing.T) {
	for _, sig := range endSignals {
		t.Run(unix.SignalName(sig), func(t *testing.T) { endAttached(t, sig, 1) })
	}
}

// endAttached sends sig n times to a stardbg attached to a sleeper whose
// threads keep hitting a breakpoint, and checks the clean-up.
func endAttached(t *testing.T, sig syscall.Signal, n int) {
	t.Helper()
	target, pid := startSleeper(t)

	s := start(t, "attach", "-e", `p.break_at("hot", on_hit=lambda t, bp: False)
p.cont()
print("waiting")
p.wait_stop()
`, strconv.Itoa(pid))
	expectLine(t, s.stdout, "waiting")
	for range n {
		if err := s.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	if code := s.wait(t); code != 128+int(sig) {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, 128+int(sig), s.stderr.String())
	}
	target.check(t)
}

// A sleeperTarget is a sleeper started by the test, untraced, that runs
// until the test closes its stdin.
type sleeperTarget struct {
	cmd   *exec.Cmd
	exe   string
	stdin io.Closer
	out   <-chan string
}

// startSleeper starts a sleeper with 3 threads calling hot() in a loop and
// waits until they run.
func startSleeper(t *testing.T) (*sleeperTarget, int) {
	t.Helper()
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	target := exec.Command(sleeper, "stdin", "3")
	stdin, err := target.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := target.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		target.Process.Kill()
		target.Wait()
	})
	st := &sleeperTarget{cmd: target, exe: sleeper, stdin: stdin, out: lines(out)}
	expectLine(t, st.out, "ready ")
	return st, target.Process.Pid
}

// check checks, once stardbg has let the sleeper go, that its text is as in
// its ELF file (no int3 left in hot or anywhere), and that it runs on and
// ends as it would untraced: its last line and exit status 0 once its
// stdin is closed.
func (st *sleeperTarget) check(t *testing.T) {
	t.Helper()
	checkText(t, st.cmd.Process.Pid, st.exe, "hot")
	st.stdin.Close()
	if line := expectLine(t, st.out, "patch_me="); line != "patch_me=1" {
		t.Errorf("target printed %q, want patch_me=1", line)
	}
	if err := st.cmd.Wait(); err != nil {
		t.Errorf("target: %v", err)
	}
}

// checkText compares the .text of a running process with its ELF file,
// and checks that the function fn does not begin with int3.
func checkText(t *testing.T, pid int, exe, fn string) {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text := f.Section(".text")
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var fnAddr uint64
	for _, s := range syms {
		if s.Name == fn && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			fnAddr = s.Value
		}
	}
	if fnAddr < text.Addr || fnAddr >= text.Addr+text.Size {
		t.Fatalf("%s: no function %s in .text", exe, fn)
	}
	// fn lies in .text: comparing the whole of it covers fn's first byte.
	testtarget.TextIntact(t, pid, exe)
}

// TestClosedStdout runs stardbg as 'stardbg run script | head -1': its
// output is read until the first line, then the pipe is closed. stardbg
// must end the script at its next print with the clean-up (the attached
// target detached, running and intact; the launched one killed) and exit
// 141 as a program killed by SIGPIPE would, where it died of SIGPIPE with
// its breakpoints planted.
func TestClosedStdout(t *testing.T) {
	t.Run("attached, print in a callback", func(t *testing.T) {
		target, pid := startSleeper(t)
		script := writeFile(t, "hits.star", `p = attach(int(argv[1]))
def hit(t, bp):
    print("hit", bp.hits)
    return False
p.break_at("hot", on_hit=hit)
p.cont()
p.wait_stop()
`)
		closedStdout(t, "run", script, strconv.Itoa(pid))
		target.check(t)
	})
	t.Run("launched, print in a loop", func(t *testing.T) {
		sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
		script := writeFile(t, "lines.star", `p = launch([argv[1], "0", "2"], stdout="null")
print(p.pid)
p.break_at("hot")
p.cont()
for i in range(100000000):
    print("line", i)
`)
		line := closedStdout(t, "run", script, sleeper)
		pid, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("first line %q is not a pid", line)
		}
		waitGone(t, pid)
	})
}

// closedStdout runs stardbg with args, reads the first line of its output
// and closes the pipe, as head -1 does; it checks that stardbg ends
// cleanly with exit code 141, and returns the line.
func closedStdout(t *testing.T, args ...string) string {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	done := make(chan struct{})
	go func() {
		err = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	first, rerr := bufio.NewReader(pr).ReadString('\n')
	pr.Close()
	if rerr != nil {
		t.Fatalf("no first line: %v", rerr)
	}
	select {
	case <-done:
	case <-time.After(runDeadline):
		t.Fatalf("stardbg did not exit within %v once its stdout was closed", runDeadline)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	if code != 128+int(syscall.SIGPIPE) || stderr.String() != "stardbg: broken pipe\n" {
		t.Fatalf("exit code %d (%v), want 141 and \"stardbg: broken pipe\"; stderr:\n%s", code, err, stderr.String())
	}
	return strings.TrimSuffix(first, "\n")
}

// TestIgnoredSignalsStayIgnored starts stardbg with SIGHUP and SIGINT
// ignored, as nohup and a shell's background job do: catching them to
// clean up must not undo that, for stardbg or for the program it
// launches, which inherits the ignored signals as it would untraced.
func TestIgnoredSignalsStayIgnored(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	script := writeFile(t, "wait.star", `p = launch([argv[1], "0", "1"])
p.run()
`)
	s := startCmd(t, exec.Command("sh", "-c", `trap "" HUP INT; exec "$0" "$@"`, binary, "run", script, sleeper))
	ready := testtarget.KeyValues(expectLine(t, s.stdout, "ready "))
	pid, err := strconv.Atoi(ready["pid"])
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(1)<<(syscall.SIGHUP-1) | uint64(1)<<(syscall.SIGINT-1)
	for _, p := range []struct {
		who string
		pid int
	}{{"stardbg", s.cmd.Process.Pid}, {"the launched program", pid}} {
		if ign := sigIgnored(t, p.pid); ign&want != want {
			t.Errorf("%s ignores signals %#x, want SIGHUP and SIGINT (%#x) among them", p.who, ign, want)
		}
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != exitTerminate {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitTerminate, s.stderr.String())
	}
	waitGone(t, pid)
}

// sigIgnored returns the SigIgn mask of process pid.
func sigIgnored(t *testing.T, pid int) uint64 {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return mask
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return 0
}
