package testtarget_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// lineTimeout bounds the wait for one line from a running target.
const lineTimeout = 20 * time.Second

// A session is a running target whose stdout is read line by line.
type session struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // closed at end of output
}

// startTarget starts bin with a pipe as stdin; the process is killed when
// the test ends unless it was waited for.
func startTarget(t *testing.T, bin string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &session{cmd: cmd, stdin: stdin, lines: make(chan string, 100)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// expect fails the test unless the next line of output is want.
func (s *session) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got, ok := <-s.lines:
		if !ok {
			t.Fatalf("output ended, want %q", want)
		}
		if got != want {
			t.Fatalf("got line %q, want %q", got, want)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("no line within %v, want %q", lineTimeout, want)
	}
}

// exited waits for the process and fails the test unless it exited 0.
func (s *session) exited(t *testing.T) {
	t.Helper()
	for range s.lines {
		// drain: Wait must not run while the reader still reads
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
}

// TestSigusr1Wait sends signals one at a time and waits for each to be
// handled, so none are merged while pending.
func TestSigusr1Wait(t *testing.T) {
	for _, v := range testtarget.Variants("c/sigusr1") {
		t.Run(v.String(), func(t *testing.T) {
			t.Parallel()
			s := startTarget(t, testtarget.Build(t, "c/sigusr1", v), "3", "wait")
			s.expect(t, fmt.Sprintf("ready pid=%d", s.cmd.Process.Pid))
			for k := 1; k <= 3; k++ {
				if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
					t.Fatal(err)
				}
				s.expect(t, fmt.Sprintf("got=%d", k))
			}
			s.expect(t, "handled=3")
			s.exited(t)
		})
	}
}

// TestManyThreads checks that the threads exist while the program waits,
// and both ways of ending it.
func TestManyThreads(t *testing.T) {
	tasks := func(t *testing.T, pid int) int {
		entries, err := os.ReadDir(filepath.Join("/proc", fmt.Sprint(pid), "task"))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	for _, v := range testtarget.Variants("c/manythreads") {
		t.Run(v.String()+"/eof", func(t *testing.T) {
			t.Parallel()
			s := startTarget(t, testtarget.Build(t, "c/manythreads", v), "50", "20")
			pid := s.cmd.Process.Pid
			s.expect(t, fmt.Sprintf("ready pid=%d threads=50", pid))
			if n := tasks(t, pid); n != 51 {
				t.Errorf("/proc/%d/task has %d entries, want 51", pid, n)
			}
			s.stdin.Close()
			s.expect(t, "joined=50 reason=eof")
			s.exited(t)
		})
		t.Run(v.String()+"/timeout", func(t *testing.T) {
			t.Parallel()
			s := startTarget(t, testtarget.Build(t, "c/manythreads", v), "5", "0.2")
			s.expect(t, fmt.Sprintf("ready pid=%d threads=5", s.cmd.Process.Pid))
			s.expect(t, "joined=5 reason=timeout") // stdin stays open
			s.exited(t)
		})
	}
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		s := startTarget(t, testtarget.Build(t, "c/manythreads", testtarget.Default))
		pid := s.cmd.Process.Pid
		s.expect(t, fmt.Sprintf("ready pid=%d threads=1000", pid))
		if n := tasks(t, pid); n != 1001 {
			t.Errorf("/proc/%d/task has %d entries, want 1001", pid, n)
		}
		s.stdin.Close()
		s.expect(t, "joined=1000 reason=eof")
		s.exited(t)
	})
}

// TestTracedChild checks that tracedchild's child is traced by its parent
// once it says ready, and that the parent ends when the child does.
func TestTracedChild(t *testing.T) {
	s := startTarget(t, testtarget.Build(t, "c/tracedchild", testtarget.Default))
	var tracer, traced int
	select {
	case line := <-s.lines:
		if _, err := fmt.Sscanf(line, "ready tracer=%d traced=%d", &tracer, &traced); err != nil {
			t.Fatalf("tracedchild said %q: %v", line, err)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("no ready line within %v", lineTimeout)
	}
	if tracer != s.cmd.Process.Pid {
		t.Errorf("tracer=%d, want the parent %d", tracer, s.cmd.Process.Pid)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", traced))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("TracerPid:\t%d\n", tracer); !strings.Contains(string(status), want) {
		t.Fatalf("the child's status lacks %q:\n%s", want, status)
	}
	if err := syscall.Kill(traced, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.exited(t)
}
