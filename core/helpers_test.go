package core

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e := NewEngine()
	t.Cleanup(func() { e.Close() })
	return e
}

// launched is a target started by a test, its stdout going to a file.
type launched struct {
	*Process
	out  string
	argv []string
}

func launch(t *testing.T, e *Engine, bin string, args ...string) *launched {
	t.Helper()
	return launchCfg(t, e, LaunchConfig{Path: bin, Args: append([]string{bin}, args...)})
}

// launchCfg launches with cfg, sending stdout to a file like launch does.
func launchCfg(t *testing.T, e *Engine, cfg LaunchConfig) *launched {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg.Stdout = f
	if len(cfg.Args) == 0 {
		cfg.Args = []string{cfg.Path}
	}
	p, err := e.Launch(cfg)
	if err != nil {
		t.Fatalf("launch %s: %v", cfg.Path, err)
	}
	t.Cleanup(func() {
		if s := p.State(); s != Exited && s != Killed && s != Detached {
			p.Kill()
		}
	})
	return &launched{p, out, cfg.Args}
}

func (l *launched) output(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(l.out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameChecksum fails the test unless the target printed the checksum that an
// untraced run with the same arguments prints: whatever the debugger did, the
// program computed the same.
func (l *launched) sameChecksum(t *testing.T) {
	t.Helper()
	if got, want := kv(t, l.output(t), "checksum"), kv(t, runPlain(t, l.argv[0], l.argv[1:]...), "checksum"); got != want {
		t.Fatalf("checksum %s, want %s", got, want)
	}
}

// runPlain runs a target without a debugger and returns its stdout.
func runPlain(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return string(out)
}

// loadBias is where the executable was loaded, minus its link address.
func loadBias(t testing.TB, pid int, bin string) uint64 {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type == elf.ET_EXEC {
		return 0
	}
	exe, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	// A main thread that called pthread_exit has no maps of its own: read a live task's.
	for _, tid := range append([]int{pid}, listTasks(pid)...) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/maps", pid, tid))
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 6 && fs[5] == exe && fs[2] == "00000000" {
				start, _ := strconv.ParseUint(strings.Split(fs[0], "-")[0], 16, 64)
				return start
			}
		}
	}
	t.Fatalf("no mapping of %s in process %d", exe, pid)
	return 0
}

// symAddr is the runtime address of a symbol of the executable.
func symAddr(t testing.TB, p *Process, bin, name string) uint64 {
	t.Helper()
	s, _ := elfSymbol(t, bin, name)
	return s.Value + loadBias(t, p.Pid(), bin)
}

// elfSymbol is the defined symbol name of the ELF file bin, with the file's
// program headers.
func elfSymbol(t testing.TB, bin, name string) (elf.Symbol, []*elf.Prog) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name && s.Value != 0 {
			return s, f.Progs
		}
	}
	t.Fatalf("no symbol %s in %s", name, bin)
	return elf.Symbol{}, nil
}

// waitKind waits for the next event and checks its kind.
func waitKind(t *testing.T, p *Process, kind EventKind) *Event {
	t.Helper()
	ev, err := p.Wait(60 * time.Second)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if ev.Kind != kind {
		t.Fatalf("got event %v, want %v", ev, kind)
	}
	return ev
}

// runToEnd continues the process until it exits and returns its exit event.
func runToEnd(t *testing.T, p *Process) *Event {
	t.Helper()
	for {
		if err := p.Continue(); err != nil {
			t.Fatalf("continue: %v", err)
		}
		ev, err := p.Wait(120 * time.Second)
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		switch ev.Kind {
		case EventExited, EventKilled:
			return ev
		case EventTimeout:
			t.Fatalf("target did not finish in time")
		}
		t.Fatalf("unexpected event %v", ev)
	}
}

// runToSuccess runs p to its end, which must be an exit with status 0.
func runToSuccess(t *testing.T, p *Process) {
	t.Helper()
	if ev := runToEnd(t, p); ev.Kind != EventExited || ev.Status != 0 {
		t.Fatalf("end: %v, want exit status 0", ev)
	}
}

func kv(t *testing.T, out, key string) string {
	t.Helper()
	v, ok := testtarget.KeyValues(out)[key]
	if !ok {
		t.Fatalf("no %s= in output %q", key, out)
	}
	return v
}

// letExec sets execrace's exec_now (at addr), which lets its other thread call
// execve while mark's callback runs.
func letExec(t *testing.T, p *Process, addr uint64) {
	t.Helper()
	if _, err := p.WriteMemory(addr, []byte{1, 0, 0, 0}); err != nil {
		t.Error(err)
	}
}

// waitExecve waits until a thread of p is inside execve (syscall 59, as
// /proc/PID/task/TID/syscall shows), for tests of what happens meanwhile.
func waitExecve(t *testing.T, p *Process) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", p.Pid()))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), "59 ") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("no thread entered execve")
}
