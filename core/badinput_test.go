package core

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// Attaching to what cannot be debugged fails with a *StartError that says why,
// and leaves the engine usable.
func TestAttachBadTargets(t *testing.T) {
	e := newEngine(t)
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	zpid := zombie.Process.Pid
	if !waitFor(10*time.Second, func() bool { return taskState(zpid, zpid) == 'Z' }) {
		t.Fatalf("child %d never became a zombie", zpid)
	}
	for _, tc := range []struct {
		name string
		pid  int
		want string
	}{
		{"ourselves", os.Getpid(), "cannot attach to stardbg itself"},
		{"zero", 0, "invalid pid"},
		{"negative", -1, "invalid pid"},
		{"no such process", 1 << 30, "no such process"},
		{"zombie", zpid, "process is a zombie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.Attach(tc.pid)
			var se *StartError
			if !errors.As(err, &se) || se.Op != "attach" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("attach %d: %v %v, want a StartError saying %q", tc.pid, p, err, tc.want)
			}
		})
	}
	if n := len(e.Processes()); n != 0 {
		t.Fatalf("%d processes traced after failed attaches", n)
	}
	// The engine still works.
	bin := testtarget.Build(t, "c/hotloop", testtarget.Default)
	if hits, _ := countHits(t, bin, "hot", "10"); hits != 10 {
		t.Fatalf("%d hits after failed attaches, want 10", hits)
	}
}

// attachHelperEnv names the pid a re-executed test binary attaches to.
const attachHelperEnv = "STARDBG_TEST_ATTACH_PID"

// TestAttachHelperProcess is not a test: TestAttachWithoutPermission runs the
// test binary as another user to run it.
func TestAttachHelperProcess(t *testing.T) {
	pid, err := strconv.Atoi(os.Getenv(attachHelperEnv))
	if err != nil {
		t.Skip("helper process for TestAttachWithoutPermission")
	}
	e := NewEngine()
	defer e.Close()
	_, err = e.Attach(pid)
	fmt.Printf("uid=%d attach error: %v\n", os.Getuid(), err)
}

// An unprivileged user attaching to pid 1 is refused by the kernel: the error
// says so and why (pid 1 is root's), and pid 1 is not traced.
func TestAttachWithoutPermission(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the attach as another user")
	}
	// The test binary, where the unprivileged user may run it.
	dir, err := os.MkdirTemp("", "stardbg-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "core.test")
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err == nil {
		_, err = io.Copy(dst, src)
		dst.Close()
	}
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestAttachHelperProcess$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), attachHelperEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	for _, want := range []string{"uid=65534 attach error: attach 1: ", "operation not permitted",
		"process 1 runs as another user (uid 0, effective 0, saved 0) and stardbg runs as uid 65534 without CAP_SYS_PTRACE"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("helper output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("%s", out)
	status, err := os.ReadFile("/proc/1/status")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(status, []byte("TracerPid:\t0\n")) {
		t.Fatalf("pid 1 is traced after the refused attach:\n%s", status)
	}
}

// Launching what is not a program fails with a *StartError, or (a truncated
// ELF the kernel still maps) starts a program that dies at once; nothing hangs.
func TestLaunchBadFiles(t *testing.T) {
	defer watchdog(t, 2*time.Minute)()
	dir := t.TempDir()
	hotloop := testtarget.Build(t, "c/hotloop", testtarget.Default)
	elf, err := os.ReadFile(hotloop)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	e := newEngine(t)
	for _, tc := range []struct {
		name, path string
		want       string // in the StartError; "" when the program may start and die
	}{
		{"directory", dir, "is a directory"},
		{"not executable", write("plain", elf, 0o644), "not executable"},
		{"missing", filepath.Join(dir, "nope"), "no such file or directory"},
		{"not in PATH", "stardbg-no-such-program", "executable file not found"},
		{"empty", write("empty", nil, 0o755), "exec format error"},
		{"text", write("text", []byte("hello\n"), 0o755), "exec format error"},
		{"ELF header only", write("header", elf[:64], 0o755), "exec format error"},
		{"truncated ELF", write("half", elf[:len(elf)/2], 0o755), ""},
		{"ELF without its last byte", write("short", elf[:len(elf)-1], 0o755), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			p, err := e.Launch(LaunchConfig{Path: tc.path, Stdout: out})
			var se *StartError
			if err != nil {
				if !errors.As(err, &se) || se.Op != "launch" || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("launch %s: %v, want a StartError saying %q", tc.path, err, tc.want)
				}
				return
			}
			if tc.want != "" {
				p.Kill()
				t.Fatalf("launch %s succeeded, want an error saying %q", tc.path, tc.want)
			}
			for {
				if err := p.Continue(); err != nil {
					t.Fatal(err)
				}
				ev, err := p.Wait(time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("the program started and: %v", ev)
				if ev.Kind == EventExited && ev.Status == 0 {
					// What the kernel ran whole computed what hotloop does.
					got, err := os.ReadFile(out.Name())
					if err != nil {
						t.Fatal(err)
					}
					if want := runPlain(t, hotloop); string(got) != want {
						t.Fatalf("it exited 0 and printed %q, want %q", got, want)
					}
				}
				if ev.Kind == EventExited || ev.Kind == EventKilled {
					break
				}
				if ev.Kind != EventSignal {
					t.Fatalf("unexpected %v", ev)
				}
			}
		})
	}
}
