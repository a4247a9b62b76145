package builtins

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"stardbg/core/uprobe"
	"stardbg/internal/testtarget"
	"stardbg/script"
)

// TestScripts runs every testdata/*.star file as a subtest, with the debugger
// API and a few test helpers predeclared: target(name, variant="") builds a test program
// (variant: "co0", "co2nofp", "cnopie", "co2dwarf4"; "go", "gonoopt", "gonodwarf"),
// tmp(name) is a path in the test's temp dir, read(path) a file's content,
// write(path, text) writes one,
// kv(text) its key=value pairs, spawn(argv) starts a program outside the
// debugger and returns its pid once it says "ready", wait_pid(pid) waits for
// it and returns {"status", "out"}, source_line(file, tag) finds a tagged line,
// own_copy(path) copies a file (a target) into the test's temp dir,
// own_pid() is the pid of the test, zombie() the pid of a child of the test
// that has exited and is not reaped.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.star")
	if len(files) == 0 {
		t.Fatal("no testdata/*.star")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".star")
		t.Run(name, func(t *testing.T) {
			if err := uprobe.Supported(); strings.HasPrefix(name, "tracepoint") && err != nil {
				t.Skipf("tracepoints are not available here: %v", err)
			}
			runScript(t, file)
		})
	}
}

func runScript(t *testing.T, file string) {
	if err := execScript(t, file, nil, sessionOptions{}); err != nil {
		t.Fatal(script.FormatError(err))
	}
}

func testHelpers(t *testing.T) map[string]builtinFn {
	dir := t.TempDir()
	spawned := map[int]*spawnedProc{}
	t.Cleanup(func() {
		for _, sp := range spawned {
			sp.cmd.Process.Kill()
			sp.cmd.Wait()
		}
	})
	return map[string]builtinFn{
		"target": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name, variant string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "variant?", &variant); err != nil {
				return nil, err
			}
			v := testtarget.Default
			if variant != "" {
				found := false
				for _, c := range append(testtarget.Variants(name), testtarget.GoNoOpt, testtarget.CO2DWARF4) {
					if c.String() == variant {
						v, found = c, true
					}
				}
				if !found {
					return nil, fmt.Errorf("target: no variant %q of %s", variant, name)
				}
			}
			return starlark.String(testtarget.Build(t, name, v)), nil
		},
		// own_copy copies a file into the test's temp dir, so that a
		// tracepoint's script and other tests never share a file's uprobes.
		"own_copy": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var path string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
				return nil, err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			dst, err := os.MkdirTemp(dir, "copy")
			if err != nil {
				return nil, err
			}
			dst = filepath.Join(dst, filepath.Base(path))
			return starlark.String(dst), os.WriteFile(dst, data, 0o755)
		},
		"tmp": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
				return nil, err
			}
			return starlark.String(filepath.Join(dir, name)), nil
		},
		"write": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var path, text string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path, "text", &text); err != nil {
				return nil, err
			}
			return starlark.None, os.WriteFile(path, []byte(text), 0o644)
		},
		"read": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var path string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
				return nil, err
			}
			data, err := os.ReadFile(path)
			return starlark.String(data), err
		},
		"kv": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var text string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "text", &text); err != nil {
				return nil, err
			}
			d := starlark.NewDict(0)
			for k, v := range testtarget.KeyValues(text) {
				d.SetKey(starlark.String(k), starlark.String(v))
			}
			return d, nil
		},
		"source_line": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var file, tag string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "file", &file, "tag", &tag); err != nil {
				return nil, err
			}
			return starlark.MakeInt(testtarget.Line(t, file, tag)), nil
		},
		"own_pid": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
				return nil, err
			}
			return starlark.MakeInt(os.Getpid()), nil
		},
		"zombie": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
				return nil, err
			}
			cmd := exec.Command("true")
			if err := cmd.Start(); err != nil {
				return nil, err
			}
			t.Cleanup(func() { cmd.Wait() })
			stat := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				if b, _ := os.ReadFile(stat); strings.Contains(string(b), ") Z ") {
					return starlark.MakeInt(cmd.Process.Pid), nil
				}
				if time.Now().After(deadline) {
					return nil, fmt.Errorf("zombie: %d never exited", cmd.Process.Pid)
				}
			}
		},
		"spawn": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var argv *starlark.List
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "argv", &argv); err != nil {
				return nil, err
			}
			ss, err := stringsArg(b, "argv", argv)
			if err != nil {
				return nil, err
			}
			sp, err := spawn(ss)
			if err != nil {
				return nil, err
			}
			spawned[sp.cmd.Process.Pid] = sp
			return starlark.MakeInt(sp.cmd.Process.Pid), nil
		},
		"wait_pid": func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var pid int
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pid", &pid); err != nil {
				return nil, err
			}
			sp := spawned[pid]
			if sp == nil {
				return nil, fmt.Errorf("wait_pid: %d was not spawned", pid)
			}
			delete(spawned, pid)
			status := sp.wait(30 * time.Second)
			d := starlark.NewDict(2)
			d.SetKey(starlark.String("status"), starlark.MakeInt(status))
			d.SetKey(starlark.String("out"), starlark.String(sp.out.String()))
			return d, nil
		},
	}
}

type spawnedProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // closed by wait: sleeper "stdin" ends then
	out   bytes.Buffer
	done  chan struct{}
}

// spawn starts a program outside the debugger and waits for its "ready" line.
func spawn(argv []string) (*spawnedProc, error) {
	sp := &spawnedProc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	stdin, err := sp.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	sp.stdin = stdin
	pipe, err := sp.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := sp.cmd.Start(); err != nil {
		return nil, err
	}
	r := bufio.NewReader(pipe)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		return nil, fmt.Errorf("spawn: %s said %q (%v)", argv[0], line, err)
	}
	go func() {
		sp.out.ReadFrom(r)
		close(sp.done)
	}()
	return sp, nil
}

// wait closes the program's stdin and returns its exit status (128+signal
// when killed, -1 on timeout).
func (sp *spawnedProc) wait(d time.Duration) int {
	sp.stdin.Close()
	select {
	case <-sp.done:
	case <-time.After(d):
		sp.cmd.Process.Kill()
		<-sp.done
		sp.cmd.Wait()
		return -1
	}
	err := sp.cmd.Wait()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}
