package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binary is the stardbg executable that TestMain builds for the tests.
var binary string

// runDeadline bounds one run of stardbg in the tests.
const runDeadline = time.Minute

// lineDeadline bounds the wait for one line (or string) of output.
const lineDeadline = 20 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stardbg-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "stardbg")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		// A race in stardbg makes it exit 66, which fails the test that
		// ran it. Skip the race runtime's one-second sleep at exit.
		args = append(args, "-race")
		os.Setenv("GORACE", "atexit_sleep_ms=10 "+os.Getenv("GORACE"))
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A result is how a run of stardbg ended.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// stardbg runs the binary with args and stdin (nil for none) to the end.
func stardbg(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	return stardbgIn(t, "", stdin, args...)
}

// stardbgIn is stardbg started in directory dir ("" for the test's).
func stardbgIn(t *testing.T, dir string, stdin io.Reader, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdin = stdin
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("stardbg %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("stardbg %q did not finish in %v\n%v", args, runDeadline, r)
	}
	return r
}

// writeFile writes a file in the test's temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lines delivers the lines of r, without newlines, until it ends.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// expectLine waits for a line that begins with prefix, and returns it.
func expectLine(t *testing.T, ch <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(lineDeadline)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended without a line starting with %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line starting with %q within %v", prefix, lineDeadline)
		}
	}
}

// waitGone waits until process pid no longer exists (or is a zombie that
// is not ours to reap).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(lineDeadline)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if _, rest, ok := bytes.Cut(stat, []byte(") ")); ok && len(rest) > 0 && rest[0] == 'Z' {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process %d still exists", pid)
}
