package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

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
	s := &started{cmd: exec.Command(binary, args...), done: make(chan struct{})}
	s.cmd.Stdin = stdin
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
		s.cmd.Process.Signal(syscall.SIGQUIT)
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
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	// The sleeper runs until its stdin is closed, after the clean-up has been
	// checked; then it prints its last line.
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
	targetOut := lines(out)
	expectLine(t, targetOut, "ready ")
	pid := target.Process.Pid

	s := start(t, "attach", "-e", `p.break_at("hot", on_hit=lambda t, bp: False)
p.cont()
print("waiting")
p.wait_stop()
`, strconv.Itoa(pid))
	expectLine(t, s.stdout, "waiting")
	for range 2 {
		if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	if code := s.wait(t); code != exitInterrupt {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupt, s.stderr.String())
	}

	checkText(t, pid, sleeper, "hot")
	stdin.Close()
	if line := expectLine(t, targetOut, "patch_me="); line != "patch_me=1" {
		t.Errorf("target printed %q, want patch_me=1", line)
	}
	if err := target.Wait(); err != nil {
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
