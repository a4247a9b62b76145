package core

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// sysCounter counts the entries and exits a catchpoint sees, by name.
type sysCounter struct {
	entries, exits map[string]int
}

func newSysCounter() *sysCounter {
	return &sysCounter{entries: map[string]int{}, exits: map[string]int{}}
}

func (c *sysCounter) hit(t *Thread, bp *Breakpoint) bool {
	sc := t.sysAt
	if sc.exit {
		c.exits[sc.Name()]++
	} else {
		c.entries[sc.Name()]++
	}
	return false
}

// runToExit runs p until it exits, failing on any other stop.
func runToExit(t *testing.T, p *Process) {
	t.Helper()
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev, err := p.Wait(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != EventExited {
		t.Fatalf("stopped with %v, want the exit", ev)
	}
}

// straceCounts runs argv under strace -f -c and returns its counts by name.
func straceCounts(t *testing.T, dir string, argv ...string) map[string]int {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed: the counts have nothing to be compared with (apt-get install strace)")
	}
	out := filepath.Join(t.TempDir(), "strace.out")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-c", "-o", out}, argv...)...)
	cmd.Dir = dir
	// Its stdout a file, as the launched program's (python seeks a file).
	stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd.Stdout, cmd.Stderr, cmd.Stdin = stdout, os.Stderr, os.Stdin
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("strace: %v", err)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || fs[len(fs)-1] == "total" || strings.HasPrefix(fs[0], "-") || fs[0] == "%" {
			continue
		}
		n, err := strconv.Atoi(fs[3])
		if err != nil {
			t.Fatalf("strace -c line %q", sc.Text())
		}
		counts[fs[len(fs)-1]] = n
	}
	// The execve that started the program is strace's; stardbg's count
	// starts after it.
	if counts["execve"]--; counts["execve"] == 0 {
		delete(counts, "execve")
	}
	return counts
}

// TestSyscallCountsMatchStrace counts every system call of real programs,
// by name, with a catchpoint of every call, and compares with strace's
// counts of the same command. Only the Go program's runtime calls (futex,
// nanosleep, mmap, signals: how the scheduler went) differ between two
// runs: there the calls of its file I/O are compared.
func TestSyscallCountsMatchStrace(t *testing.T) {
	repo := t.TempDir()
	for _, c := range [][]string{{"init", "-q"}, {"config", "user.email", "t@example.com"}, {"config", "user.name", "t"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, c...)...).CombinedOutput(); err != nil {
			t.Skipf("git: %v %s", err, out)
		}
	}
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("a\n"), 0o644)
	exec.Command("git", "-C", repo, "add", "a.txt").Run()
	exec.Command("git", "-C", repo, "commit", "-qm", "a").Run()
	os.WriteFile(filepath.Join(repo, "b.txt"), []byte("b\n"), 0o644)
	exec.Command("git", "-C", repo, "status").Run() // the index refreshed once, before the two runs
	os.Setenv("GIT_OPTIONAL_LOCKS", "0")            // and not written by them
	t.Cleanup(func() { os.Unsetenv("GIT_OPTIONAL_LOCKS") })
	gitPath, _ := exec.LookPath("git")
	fileio := testtarget.Build(t, "go/fileio", testtarget.Default)
	ioDir := t.TempDir()
	cases := []struct {
		name string
		dir  string
		argv []string
		only []string // compare these names only
	}{
		{"ls", "", []string{"/usr/bin/ls", "-R", "/usr/share/doc"}, nil},
		{"git", repo, []string{gitPath, "status"}, nil},
		{"python3", "", []string{"/usr/bin/python3", "-S", "-c", "import json; print(json.dumps([1, 2]))"}, nil},
		{"go", "", []string{fileio, "io", ioDir, "8", "25"}, []string{"openat", "write", "unlinkat", "fstat", "newfstatat"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.argv[0]); err != nil {
				t.Skipf("%s: %v", c.argv[0], err)
			}
			want := straceCounts(t, c.dir, c.argv...)
			sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
				compareCounts(t, start(LaunchConfig{Path: c.argv[0], Args: c.argv[1:], Dir: c.dir}), want, c.only)
			})
		})
	}
}

// compareCounts runs l to its end counting its calls, and compares the
// counts by name with want (only those names, when only is not nil).
func compareCounts(t *testing.T, l *launched, want map[string]int, only []string) {
	t.Helper()
	n := newSysCounter()
	if _, err := l.CatchSyscall(nil, n.hit); err != nil {
		t.Fatal(err)
	}
	runToExit(t, l.Process)
	// strace -c counts the calls that returned: not exit_group.
	got := map[string]int{}
	for name, k := range n.entries {
		if name != "exit_group" {
			got[name] = k
		}
	}
	if only != nil {
		g, w := map[string]int{}, map[string]int{}
		for _, name := range only {
			if got[name] != 0 {
				g[name] = got[name]
			}
			if want[name] != 0 {
				w[name] = want[name]
			}
		}
		got, want = g, w
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts by name:\nstardbg %v\nstrace  %v", got, want)
	}
	// Every call returned but those that never do, and, in the
	// Go program, those its end cut short (futex waits): its file I/O
	// calls did.
	for name, k := range n.entries {
		if name == "exit_group" || name == "exit" || only != nil && !slices.Contains(only, name) {
			continue
		}
		if n.exits[name] != k {
			t.Errorf("%s: %d entries, %d exits", name, k, n.exits[name])
		}
	}
}

// forcePtraceSyscall makes a launched process caught as an attached one is,
// with PTRACE_SYSCALL and no filter.
func forcePtraceSyscall(p *Process) { p.e.Do(func() { p.sys.noFilter = true }) }

// sysModes runs a test with a filter and with PTRACE_SYSCALL: start
// launches the test's program (cfg.Path, with cfg.Args after it) caught the
// mode's way.
func sysModes(t *testing.T, test func(t *testing.T, start func(cfg LaunchConfig) *launched)) {
	for _, mode := range []string{"seccomp", "ptrace"} {
		t.Run(mode, func(t *testing.T) {
			test(t, func(cfg LaunchConfig) *launched {
				cfg.Args = append([]string{cfg.Path}, cfg.Args...)
				l := launchCfg(t, newEngine(t), cfg)
				if mode == "ptrace" {
					forcePtraceSyscall(l.Process)
				}
				return l
			})
		})
	}
}

// TestSyscallThreadsExact: 8 threads call getppid at once, 2000 times
// each; every call is counted once, at its entry and at its exit.
func TestSyscallThreadsExact(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
		l := start(LaunchConfig{Path: bin, Args: []string{"threads", "8", "2000"}})
		n := newSysCounter()
		bp, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, n.hit)
		if err != nil {
			t.Fatal(err)
		}
		runToExit(t, l.Process)
		if n.entries["getppid"] != 16000 || n.exits["getppid"] != 16000 || bp.Hits() != 16000 {
			t.Errorf("entries %d exits %d hits %d, want 16000", n.entries["getppid"], n.exits["getppid"], bp.Hits())
		}
		if out := l.output(t); !strings.Contains(out, "threads=8 calls=16000") {
			t.Errorf("output %q", out)
		}
	})
}

// TestSyscallCatchClearInCallbacks: a callback clears its catchpoint every
// 500 calls and makes a new one, while 8 threads make calls; the calls are
// shared among the catchpoints without a loss, and each catchpoint sees the
// exit of every call whose entry it saw.
func TestSyscallCatchClearInCallbacks(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
		l := start(LaunchConfig{Path: bin, Args: []string{"threads", "8", "2000"}})
		type count struct{ entries, exits int }
		counts := map[*Breakpoint]*count{}
		var hit func(th *Thread, bp *Breakpoint) bool
		hit = func(th *Thread, bp *Breakpoint) bool {
			c := counts[bp]
			if th.sysAt.exit {
				c.exits++
				return false
			}
			c.entries++
			if c.entries == 500 {
				bp.Clear()
				nb, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, hit)
				if err != nil {
					t.Error(err)
					return true
				}
				counts[nb] = &count{}
			}
			return false
		}
		bp, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, hit)
		if err != nil {
			t.Fatal(err)
		}
		counts[bp] = &count{}
		runToExit(t, l.Process)
		total := 0
		for bp, c := range counts {
			total += c.entries
			if c.entries != c.exits {
				t.Errorf("catchpoint %d: %d entries, %d exits", bp.ID, c.entries, c.exits)
			}
		}
		if total != 16000 || len(counts) != 33 {
			t.Errorf("%d calls over %d catchpoints, want 16000 over 33", total, len(counts))
		}
	})
}

// TestSyscallCatchWhileRunning catches and clears between Continue and
// Wait, while the threads run (or stop, unseen yet): the catchpoint made
// last sees every call, once, and the cleared one none.
func TestSyscallCatchWhileRunning(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		l := start(LaunchConfig{Path: bin, Args: []string{"threads", "8", "2000", "wait"}, Stdin: r})
		r.Close()
		if err := l.Continue(); err != nil {
			t.Fatal(err)
		}
		first, last := newSysCounter(), newSysCounter()
		bp, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, first.hit)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(w, "go")
		if err := bp.Clear(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, last.hit); err != nil {
			t.Fatal(err)
		}
		ev, err := l.Wait(120 * time.Second)
		if err != nil || ev.Kind != EventExited {
			t.Fatalf("%v, %v; want the exit", ev, err)
		}
		if len(first.entries) != 0 || last.entries["getppid"] != 16000 || last.exits["getppid"] != 16000 {
			t.Errorf("cleared: %v; last: entries %v exits %v, want 16000 of each", first.entries, last.entries, last.exits)
		}
	})
}

// TestSyscallEINTR: a timer's handler without SA_RESTART interrupts a read
// on an empty pipe: the read's exit is EINTR, as the program sees it, and
// the handler ran; with SA_RESTART, the restarted read is one call, which
// returns the byte the handler wrote.
func TestSyscallEINTR(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
		l := start(LaunchConfig{Path: bin, Args: []string{"eintr"}})
		var rets []int64
		entries := 0
		if _, err := l.CatchSyscall([]int{unix.SYS_READ}, func(th *Thread, bp *Breakpoint) bool {
			sc := th.sysAt
			if sc.Args[2] != 1 {
				return false // not the one-byte reads of the pipe
			}
			if sc.exit {
				rets = append(rets, sc.Ret)
			} else {
				entries++
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
		runToExit(t, l.Process)
		if fmt.Sprint(rets) != "[-4 1]" || entries != 2 {
			t.Errorf("the pipe's reads: %d entries, results %v; want 2, [-4 1] (EINTR, then the restarted read's byte)", entries, rets)
		}
		out := l.output(t)
		for _, want := range []string{"eintr_read=-1 errno=EINTR handled=1", "restart_read=1 byte=x handled=2"} {
			if !strings.Contains(out, want) {
				t.Errorf("output %q, want %q", out, want)
			}
		}
	})
}

// TestSyscallGoPathError: a Go program's os.ReadFile sees an openat failed
// with EACCES as the *fs.PathError the kernel's error would make.
func TestSyscallGoPathError(t *testing.T) {
	bin := testtarget.Build(t, "go/fileio", testtarget.Default)
	path := filepath.Join(t.TempDir(), "data")
	os.WriteFile(path, []byte("data"), 0o644)
	e := newEngine(t)
	l := launch(t, e, bin, "read", path)
	failed := 0
	if _, err := l.CatchSyscall([]int{unix.SYS_OPENAT}, func(th *Thread, bp *Breakpoint) bool {
		sc := th.sysAt
		var b [256]byte
		n, _ := l.ReadMemory(sc.Args[1], b[:])
		if !sc.exit && strings.HasPrefix(string(b[:n]), path+"\x00") {
			if err := sc.Skip(-int64(unix.EACCES)); err != nil {
				t.Error(err)
			}
			failed++
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToExit(t, l.Process)
	want := fmt.Sprintf("type=*fs.PathError errno=13 err=open %s: permission denied", path)
	if out := l.output(t); failed != 1 || !strings.Contains(out, want) {
		t.Errorf("failed %d openat; output %q, want %q", failed, out, want)
	}
}

// TestSyscallExecveExit: the exit of a successful execve is reported in the
// new program, after the exec event.
func TestSyscallExecveExit(t *testing.T) {
	e := newEngine(t)
	l := launch(t, e, "/bin/sh", "-c", "exec /bin/true")
	if _, err := l.CatchSyscall([]int{unix.SYS_EXECVE}, nil); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i := 0; i < 4; i++ {
		if err := l.Continue(); err != nil {
			t.Fatal(err)
		}
		ev, err := l.Wait(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind.String())
		if ev.Kind == EventSyscallExit {
			if ev.Syscall.Ret != 0 || !strings.HasSuffix(l.Exe(), "true") || ev.Thread.Tid() != l.Pid() {
				t.Errorf("execve's exit: ret %d in %s, thread %d", ev.Syscall.Ret, l.Exe(), ev.Thread.Tid())
			}
		}
		if ev.Kind == EventExited {
			break
		}
	}
	if got := strings.Join(kinds, " "); got != "syscall_entry exec syscall_exit exited" {
		t.Errorf("events %s", got)
	}
}

// TestSyscallAttached: an attached process is caught without a filter
// (every thread with PTRACE_SYSCALL), and can be detached.
func TestSyscallAttached(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	for _, detach := range []bool{false, true} {
		cmd := exec.Command(bin, "threads", "4", "1000", "wait")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(stdout)
		if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, "ready") {
			t.Fatalf("syscaller said %q", line)
		}
		e := newEngine(t)
		p, err := e.Attach(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		n := newSysCounter()
		bp, err := p.CatchSyscall([]int{unix.SYS_GETPPID}, n.hit)
		if err != nil {
			t.Fatal(err)
		}
		if p.sys.filter {
			t.Fatal("a filter in an attached process")
		}
		if detach {
			bp.Clear()
			if err := p.Detach(); err != nil {
				t.Fatalf("detach: %v", err)
			}
			fmt.Fprintln(stdin, "go")
		} else {
			if err := p.Continue(); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(stdin, "go")
			ev, err := p.Wait(60 * time.Second)
			if err != nil || ev.Kind != EventExited {
				t.Fatalf("%v %v", ev, err)
			}
			if n.entries["getppid"] != 4000 || n.exits["getppid"] != 4000 {
				t.Errorf("attached: %d entries, %d exits, want 4000", n.entries["getppid"], n.exits["getppid"])
			}
		}
		line, _ := rd.ReadString('\n')
		if line != "threads=4 calls=4000\n" {
			t.Errorf("detach %v: syscaller said %q", detach, line)
		}
		cmd.Wait()
	}
}

// TestSyscallChildrenPassThrough: the children a filtered shell forks or
// vforks inherit its filter; they are passed through, their caught calls
// running as untraced (a detached child would get ENOSYS for them), and
// only the shell's own calls are caught.
func TestSyscallChildrenPassThrough(t *testing.T) {
	e := newEngine(t)
	l := launch(t, e, "/bin/sh", "-c", "for i in 1 2 3; do /bin/echo $i; done; /bin/echo end")
	n := newSysCounter()
	if _, err := l.CatchSyscall([]int{unix.SYS_WRITE, unix.SYS_WAIT4, unix.SYS_EXECVE}, n.hit); err != nil {
		t.Fatal(err)
	}
	runToExit(t, l.Process)
	if code, _ := l.ExitCode(); code != 0 {
		t.Errorf("exit code %d", code)
	}
	if out := l.output(t); out != "1\n2\n3\nend\n" {
		t.Errorf("output %q", out)
	}
	// The children's writes and execs are theirs, not the shell's.
	if n.entries["write"] != 0 || n.entries["execve"] != 0 || n.entries["wait4"] < 4 || n.exits["wait4"] != n.entries["wait4"] {
		t.Errorf("the shell's calls: entries %v exits %v", n.entries, n.exits)
	}
	e.Do(func() {
		if len(e.passthru) != 0 {
			t.Errorf("children still passed through after they exited: %v", e.passthru)
		}
	})
}

// TestSyscallFilterFromEntry: a catchpoint's callback at the entry of a
// call (a seccomp stop) catches another call, which needs another filter:
// the thread is taken out of its call to install it, and makes the call
// again, which is not seen as a second entry; skipped from the same
// callback afterwards, it is skipped.
func TestSyscallFilterFromEntry(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	e := newEngine(t)
	l := launch(t, e, bin, "threads", "4", "500")
	closes, getppids := newSysCounter(), newSysCounter()
	var second *Breakpoint
	var skipped *Syscall
	if _, err := l.CatchSyscall([]int{unix.SYS_CLOSE}, func(th *Thread, bp *Breakpoint) bool {
		closes.hit(th, bp)
		if second == nil {
			var err error
			if second, err = l.CatchSyscall([]int{unix.SYS_GETPPID}, getppids.hit); err != nil {
				t.Error(err)
				return true
			}
			skipped = th.Syscall()
			if err := skipped.Skip(-int64(unix.EBADF)); err != nil { // the dynamic linker ignores its close failing
				t.Error(err)
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToExit(t, l.Process)
	if closes.entries["close"] == 0 || closes.entries["close"] != closes.exits["close"] {
		t.Errorf("close: %d entries, %d exits", closes.entries["close"], closes.exits["close"])
	}
	if skipped == nil || !skipped.exit || skipped.Ret != -int64(unix.EBADF) || !skipped.skip {
		t.Errorf("the skipped close: %+v", skipped)
	}
	if getppids.entries["getppid"] != 2000 || getppids.exits["getppid"] != 2000 {
		t.Errorf("getppid: %d entries, %d exits, want 2000", getppids.entries["getppid"], getppids.exits["getppid"])
	}
	if out := l.output(t); !strings.Contains(out, "threads=4 calls=2000") {
		t.Errorf("output %q", out)
	}
	// Against an untraced run: as many close calls.
	strace := straceCounts(t, "", bin, "threads", "4", "500")
	if strace["close"] != closes.entries["close"] {
		t.Errorf("close: stardbg %d, strace %d", closes.entries["close"], strace["close"])
	}
}

// TestSyscallFilterFromExit: a callback at a call's exit catches another
// call, which needs another filter: the thread leaves its call's exit for
// the installation, the call's result unchanged.
func TestSyscallFilterFromExit(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	e := newEngine(t)
	l := launch(t, e, bin, "threads", "4", "500")
	getppids := newSysCounter()
	var second *Breakpoint
	var first *Syscall
	if _, err := l.CatchSyscall([]int{unix.SYS_OPENAT}, func(th *Thread, bp *Breakpoint) bool {
		sc := th.Syscall()
		if sc.exit && second == nil {
			first = sc
			var err error
			if second, err = l.CatchSyscall([]int{unix.SYS_GETPPID}, getppids.hit); err != nil {
				t.Error(err)
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToExit(t, l.Process)
	if getppids.entries["getppid"] != 2000 || getppids.exits["getppid"] != 2000 {
		t.Errorf("getppid: %d entries, %d exits, want 2000", getppids.entries["getppid"], getppids.exits["getppid"])
	}
	if out := l.output(t); !strings.Contains(out, "threads=4 calls=2000") || first == nil || first.Ret < 3 {
		t.Errorf("output %q; the first openat returned %+v", out, first)
	}
}

// TestSyscallFilterAtExec: the first catchpoint, made at the exec event of
// the only thread, installs the filter from inside execve: execve returns
// 0 to the new program all the same.
func TestSyscallFilterAtExec(t *testing.T) {
	bin := testtarget.Build(t, "c/syscaller", testtarget.Default)
	e := newEngine(t)
	l := launch(t, e, "/bin/sh", "-c", "exec "+bin+" threads 2 100")
	if err := l.Continue(); err != nil {
		t.Fatal(err)
	}
	ev, err := l.Wait(10 * time.Second)
	if err != nil || ev.Kind != EventExec {
		t.Fatalf("%v %v, want the exec", ev, err)
	}
	n := newSysCounter()
	if _, err := l.CatchSyscall([]int{unix.SYS_GETPPID}, n.hit); err != nil {
		t.Fatal(err)
	}
	var rax uint64
	e.Do(func() { rax = ev.Thread.regs.Rax })
	runToExit(t, l.Process)
	if n.entries["getppid"] != 200 || n.exits["getppid"] != 200 || rax != 0 || !l.sys.filter {
		t.Errorf("getppid: %d entries, %d exits, want 200; execve's rax %#x; filter %v", n.entries["getppid"], n.exits["getppid"], rax, l.sys.filter)
	}
	if out := l.output(t); !strings.Contains(out, "threads=2 calls=200") {
		t.Errorf("output %q", out)
	}
}

// TestSyscallWithBreakpointsAndSignals: while the handler of a POSIX
// timer's signals is caught returning (rt_sigreturn), at every one of 2,000
// ticks, a breakpoint on an imul stepped out of line counts every
// multiplication, and each signal keeps its siginfo (SI_TIMER, the timer's
// id and sival_ptr, which the program checks).
func TestSyscallWithBreakpointsAndSignals(t *testing.T) {
	bin := testtarget.Build(t, "c/sigtimer", testtarget.Default)
	sysModes(t, func(t *testing.T, start func(LaunchConfig) *launched) {
		l := start(LaunchConfig{Path: bin, Args: []string{"2000"}})
		hits := 0
		if _, err := l.SetBreakpoint(symAddr(t, l.Process, bin, "imul_site"), func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
			t.Fatal(err)
		}
		n := newSysCounter()
		if _, err := l.CatchSyscall([]int{unix.SYS_RT_SIGRETURN, unix.SYS_TIMER_SETTIME, unix.SYS_TIMER_DELETE}, n.hit); err != nil {
			t.Fatal(err)
		}
		runToExit(t, l.Process)
		out := l.output(t)
		if got := strings.Join(strings.Fields(out)[:2], " "); got != "ticks=2000 corrupt=0" {
			t.Fatalf("the program said %q", strings.TrimSpace(out))
		}
		if calls, _ := strconv.Atoi(kv(t, out, "calls")); hits != calls {
			t.Errorf("%d hits, the program made %d multiplications", hits, calls)
		}
		if n.entries["rt_sigreturn"] < 2000 || n.entries["rt_sigreturn"] != n.exits["rt_sigreturn"] ||
			n.entries["timer_settime"] != 1 || n.exits["timer_delete"] != 1 {
			t.Errorf("entries %v exits %v", n.entries, n.exits)
		}
	})
}
