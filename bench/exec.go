package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A result is the outcome of one subprocess.
type result struct {
	stdout, stderr string
	wall           time.Duration // from start to exit
	// cpu is the user and system time of the process and of the children
	// it waited for (a tracer's target): what it cost, however loaded the
	// machine was.
	cpu time.Duration
}

// exec runs argv to completion with the configured timeout and returns its
// output and wall time. The process gets its own process group, all of which
// is killed on timeout. A non-zero exit is an error that quotes the end of
// stderr. With -cpus, the command runs under taskset.
func (b *bench) exec(ctx context.Context, argv ...string) (*result, error) {
	if b.cfg.cpus != "" {
		argv = append([]string{b.tools.taskset, "-c", b.cfg.cpus}, argv...)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = b.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := &result{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		res.cpu = ps.UserTime() + ps.SystemTime()
	}
	if b.cfg.log != nil {
		fmt.Fprintf(b.cfg.log, "  %.3fs  %s (%v)\n", res.wall.Seconds(), shortCmd(argv), err)
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("%s: timed out after %v", shortCmd(argv), b.cfg.timeout)
	case err != nil:
		return res, fmt.Errorf("%s: %v%s", shortCmd(argv), err, tail(res.stderr, res.stdout))
	}
	return res, nil
}

// shortCmd is argv for messages, with directories cut from paths.
func shortCmd(argv []string) string {
	s := make([]string, len(argv))
	for i, a := range argv {
		if filepath.IsAbs(a) {
			a = filepath.Base(a)
		}
		if strings.ContainsAny(a, " \t") {
			a = strconv.Quote(a)
		}
		s[i] = a
	}
	return strings.Join(s, " ")
}

// tail returns the last lines of the first non-empty output, for errors.
func tail(outs ...string) string {
	for _, out := range outs {
		out = strings.TrimSpace(out)
		if out == "" {
			continue
		}
		lines := strings.Split(out, "\n")
		if len(lines) > 6 {
			lines = lines[len(lines)-6:]
		}
		return ":\n\t" + strings.Join(lines, "\n\t")
	}
	return ""
}

// keyValues returns the key=value tokens of the last output line that starts
// with prefix ("" matches a line holding every key of want).
func keyValues(out, prefix string, want ...string) (map[string]string, error) {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		kv := map[string]string{}
		for _, tok := range strings.Fields(strings.TrimPrefix(line, prefix)) {
			if k, v, ok := strings.Cut(tok, "="); ok {
				kv[k] = v
			}
		}
		ok := true
		for _, k := range want {
			_, has := kv[k]
			ok = ok && has
		}
		if ok {
			return kv, nil
		}
	}
	return nil, fmt.Errorf("no line %q with %s in the output%s", prefix, strings.Join(want, ", "), tail(out))
}

// ints parses the named values of kv as integers.
func ints(kv map[string]string, keys ...string) ([]int64, error) {
	var vs []int64
	for _, k := range keys {
		v, err := strconv.ParseInt(kv[k], 0, 64)
		if err != nil {
			return nil, fmt.Errorf("bad %s=%q", k, kv[k])
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// float parses a named value of kv.
func float(kv map[string]string, key string) (float64, error) {
	v, err := strconv.ParseFloat(kv[key], 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s=%q", key, kv[key])
	}
	return v, nil
}
