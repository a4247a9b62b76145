package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A held process is a target kept running while tools attach to it or read
// it: it reports readiness on a line of stdout and ends when its stdin closes.
type held struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // stdout, closed at its end
	pid   int
}

// hold starts argv and waits for the line of stdout that starts with ready;
// it returns that line's key=value tokens.
func (b *bench) hold(ctx context.Context, ready string, argv ...string) (*held, map[string]string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = b.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	h := &held{cmd: cmd, stdin: stdin, lines: make(chan string, 64), pid: cmd.Process.Pid}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	timer := time.NewTimer(b.cfg.timeout)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-h.lines:
			if !ok {
				h.kill()
				return nil, nil, fmt.Errorf("%s: ended before printing %q", shortCmd(argv), ready)
			}
			if strings.HasPrefix(line, ready) {
				kv, err := keyValues(line, "")
				if err != nil {
					h.kill()
					return nil, nil, err
				}
				return h, kv, nil
			}
		case <-timer.C:
			h.kill()
			return nil, nil, fmt.Errorf("%s: not ready after %v", shortCmd(argv), b.cfg.timeout)
		case <-ctx.Done():
			h.kill()
			return nil, nil, ctx.Err()
		}
	}
}

// release closes the process's stdin and waits for it to exit; it returns the
// rest of its output. A process that does not exit in time is killed.
func (h *held) release(timeout time.Duration) (string, error) {
	h.stdin.Close()
	var out strings.Builder
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-h.lines:
			if ok {
				out.WriteString(line + "\n")
				continue
			}
			if err := h.cmd.Wait(); err != nil {
				return out.String(), fmt.Errorf("%s: %v", filepath.Base(h.cmd.Path), err)
			}
			return out.String(), nil
		case <-deadline:
			h.kill()
			return out.String(), fmt.Errorf("%s did not exit within %v of its stdin closing", filepath.Base(h.cmd.Path), timeout)
		}
	}
}

// kill ends the process group and reaps the process.
func (h *held) kill() {
	syscall.Kill(-h.pid, syscall.SIGKILL)
	go func() {
		for range h.lines {
		}
	}()
	h.cmd.Wait()
}

// checkRunning verifies that a process has threads tasks (all of its threads)
// and that none of them is stopped or traced: a tool that detached must leave
// it running unharmed.
func checkRunning(pid, threads int) error {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) != threads {
		return fmt.Errorf("process %d has %d tasks, want %d", pid, len(entries), threads)
	}
	for _, e := range entries {
		status, err := os.ReadFile(filepath.Join(dir, e.Name(), "status"))
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(status), "\n") {
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimSpace(v)
			switch {
			case k == "State" && (strings.HasPrefix(v, "t") || strings.HasPrefix(v, "T")):
				return fmt.Errorf("task %s of process %d was left stopped (%s)", e.Name(), pid, v)
			case k == "TracerPid" && v != "0":
				tracer, _ := strconv.Atoi(v)
				return fmt.Errorf("task %s of process %d is still traced by %d", e.Name(), pid, tracer)
			}
		}
	}
	return nil
}
