package testtarget

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// StartReady starts a target outside any debugger, with pipes for its
// standard input and output, and waits for its first line, which must start
// with "ready" (sleeper's, prefork waitfork's). It returns the command, the
// rest of its output and its input: closing it ends the targets that read it
// to the end, so that they run as long as a test needs them on any machine.
// The target is killed when the test ends.
func StartReady(t testing.TB, bin string, args ...string) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(bin, args...)
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
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("%s said %q, %v", bin, line, err)
	}
	return cmd, r, stdin
}
