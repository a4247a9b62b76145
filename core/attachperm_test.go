package core

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// An attach refused because another process traces the target says which
// process that is, by pid and name.
func TestAttachAlreadyTraced(t *testing.T) {
	defer watchdog(t, time.Minute)()
	bin := testtarget.Build(t, "c/tracedchild", testtarget.Default)
	cmd := exec.Command(bin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var tracer, traced int
	line, err := bufio.NewReader(out).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "ready tracer=%d traced=%d", &tracer, &traced); err != nil || serr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("tracedchild said %q (%v, %v)", line, err, serr)
	}
	t.Cleanup(func() {
		unix.Kill(traced, unix.SIGKILL) // the tracer then exits
		cmd.Wait()
	})

	e := newEngine(t)
	p, err := e.Attach(traced)
	var se *StartError
	if !errors.As(err, &se) || se.Pid != traced || !errors.Is(err, unix.EPERM) {
		t.Fatalf("attach %d: %v %v, want a StartError with EPERM", traced, p, err)
	}
	want := fmt.Sprintf("process %d is already traced by process %d (tracedchild)", traced, tracer)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("attach %d: %q, want it to say %q", traced, err, want)
	}
}

// An attach to a kernel thread (kthreadd, pid 2) says that it is one.
func TestAttachKernelThread(t *testing.T) {
	if !strings.Contains(string(readFileOr(t, "/proc/2/status")), "Name:\tkthreadd") {
		t.Skip("pid 2 is not kthreadd here")
	}
	_, err := newEngine(t).Attach(2)
	if !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "process 2 is a kernel thread") {
		t.Fatalf("attach 2: %v, want EPERM saying it is a kernel thread", err)
	}
}

func readFileOr(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("%v", err)
	}
	return b
}

// What the kernel checks, as /proc shows it, makes the message of a refused
// attach: the first reason that applies.
func TestPtraceRefusal(t *testing.T) {
	me := ptraceFacts{pid: 42, uids: [3]int{1000, 1000, 1000}, ourUID: 1000, yama: -1}
	with := func(change func(*ptraceFacts)) ptraceFacts {
		f := me
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name  string
		facts ptraceFacts
		want  string
	}{
		{"kernel thread", with(func(f *ptraceFacts) { f.kthread = true }), "process 42 is a kernel thread, which cannot be traced"},
		{"another user", with(func(f *ptraceFacts) { f.uids = [3]int{0, 0, 0} }),
			"process 42 runs as another user (uid 0, effective 0, saved 0) and stardbg runs as uid 1000 without CAP_SYS_PTRACE"},
		{"setuid", with(func(f *ptraceFacts) { f.uids[1] = 0 }),
			"process 42 runs as another user (uid 1000, effective 0, saved 1000) and stardbg runs as uid 1000 without CAP_SYS_PTRACE"},
		{"yama 3", with(func(f *ptraceFacts) { f.yama, f.capPtrace = 3, true }),
			"the Yama security module forbids ptrace attach for everyone, root included (kernel.yama.ptrace_scope = 3, which only a reboot resets)"},
		{"yama 2", with(func(f *ptraceFacts) { f.yama = 2 }),
			"the Yama security module lets only processes with CAP_SYS_PTRACE attach (kernel.yama.ptrace_scope = 2), and stardbg does not have it"},
		{"yama 1", with(func(f *ptraceFacts) { f.yama = 1 }),
			"the Yama security module lets a process attach only to its own descendants (kernel.yama.ptrace_scope = 1), and process 42 is not one of stardbg's; " +
				"run stardbg with CAP_SYS_PTRACE, or set the scope to 0 (sysctl kernel.yama.ptrace_scope=0)"},
		{"another tracer", with(func(f *ptraceFacts) { f.tracer, f.tracerName = 7, "gdb" }),
			"process 42 is already traced by process 7 (gdb); a process has one tracer at a time"},
		{"another tracer, name unknown", with(func(f *ptraceFacts) { f.tracer = 7 }),
			"process 42 is already traced by process 7; a process has one tracer at a time"},
		{"yama 1, a descendant traced by another", with(func(f *ptraceFacts) { f.yama, f.descendant, f.tracer = 1, true, 7 }),
			"process 42 is already traced by process 7; a process has one tracer at a time"},
		{"another user, but CAP_SYS_PTRACE", with(func(f *ptraceFacts) { f.uids, f.capPtrace = [3]int{0, 0, 0}, true }),
			"process 42 may not be dumpable (a setuid or setgid program, or prctl(PR_SET_DUMPABLE, 0)), or a security module (SELinux, AppArmor) refused"},
	} {
		if got := tc.facts.refusal(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// readPtraceFacts reads the facts of a process of ours: same user, its
// parent is us, no tracer.
func TestReadPtraceFacts(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	f := readPtraceFacts(cmd.Process.Pid)
	uid := os.Getuid()
	if f.tracer != 0 || f.kthread || !f.descendant || f.uids != [3]int{uid, uid, uid} || f.ourUID != uid {
		t.Fatalf("facts of our child %d: %+v", cmd.Process.Pid, f)
	}
}
