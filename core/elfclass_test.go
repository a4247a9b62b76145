package core

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// TestLaunch32Bit: a 32-bit program, or a script run by one, is refused
// before it is forked, with Err32Bit.
func TestLaunch32Bit(t *testing.T) {
	dir := t.TempDir()
	prog := testtarget.WriteI386(t, dir, "exit7", testtarget.I386Exit7)
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!"+prog+" -x\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)
	for _, path := range []string{prog, script} {
		p, err := e.Launch(LaunchConfig{Path: path})
		var se *StartError
		if !errors.As(err, &se) || !errors.Is(err, Err32Bit) || se.Op != "launch" {
			if p != nil {
				p.Kill()
			}
			t.Fatalf("launch %s: %v; want a StartError for Err32Bit", path, err)
		}
		if want := "launch " + path + ": 32-bit programs are not supported"; err.Error() != want {
			t.Errorf("launch error %q, want %q", err, want)
		}
	}
	if ps := e.Processes(); len(ps) != 0 {
		t.Errorf("the engine traces %v after refusing", ps)
	}
}

// TestAttach32Bit: attaching to a running 32-bit program is refused without
// stopping or tracing it. It needs the kernel's IA32 emulation to run one.
func TestAttach32Bit(t *testing.T) {
	prog := testtarget.WriteI386(t, t.TempDir(), "pause", testtarget.I386PauseLoop)
	cmd := exec.Command(prog)
	if err := cmd.Start(); err != nil {
		t.Skipf("this kernel does not run i386 programs: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	// Start returns once the execve succeeded: /proc/PID/exe is prog.
	e := newEngine(t)
	p, err := e.Attach(pid)
	if !errors.Is(err, Err32Bit) {
		if p != nil {
			p.Detach()
		}
		t.Fatalf("attach %d: %v; want Err32Bit", pid, err)
	}
	if want := "attach " + strconv.Itoa(pid) + ": 32-bit programs are not supported"; err.Error() != want {
		t.Errorf("attach error %q, want %q", err, want)
	}
	st := procStatus(pid)
	if st["TracerPid"] != "0" || strings.HasPrefix(st["State"], "t") || strings.HasPrefix(st["State"], "T") {
		t.Errorf("after the refused attach: TracerPid %s, State %s; want untraced and not stopped", st["TracerPid"], st["State"])
	}
}

// A traced program that execs a 32-bit one is not harmed: the exec is
// reported, nothing can be planted in the new image, and it runs to its end.
func TestExec32Bit(t *testing.T) {
	prog := testtarget.WriteI386(t, t.TempDir(), "exit7", testtarget.I386Exit7)
	if err := exec.Command(prog).Run(); err == nil || err.Error() != "exit status 7" {
		t.Skipf("this kernel does not run i386 programs: %v", err)
	}
	e := newEngine(t)
	p := launch(t, e, "/bin/sh", "-c", "exec "+prog)
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventExec)
	const entry = 0x08048054 // where WriteI386 puts the code
	if bp, err := p.SetBreakpoint(entry, nil); !errors.Is(err, Err32Bit) {
		t.Fatalf("breakpoint in the 32-bit image: %v (set: %v); want Err32Bit", err, bp != nil)
	}
	if bp, err := p.SetHWBreakpoint(entry, nil); !errors.Is(err, Err32Bit) {
		t.Fatalf("hardware breakpoint in the 32-bit image: %v (set: %v); want Err32Bit", err, bp != nil)
	}
	if end := runToEnd(t, p.Process); end.Kind != EventExited || end.Status != 7 {
		t.Fatalf("end: %v, want exit status 7", end)
	}
}
