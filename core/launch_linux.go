package core

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// LaunchConfig says how to start a program.
type LaunchConfig struct {
	Path string   // the executable; looked up in PATH when it has no slash
	Args []string // argv, argv[0] included; defaults to {Path}
	Env  []string // nil inherits stardbg's environment
	Dir  string   // working directory; "" inherits
	// Stdin, Stdout and Stderr default to stardbg's own.
	Stdin, Stdout, Stderr *os.File
}

// Launch starts a program stopped before its first instruction, right after
// execve, with every thread it will create traced.
func (e *Engine) Launch(cfg LaunchConfig) (*Process, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	path := cfg.Path
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return nil, &StartError{Op: "launch", Path: path, Err: cause(err)}
		}
		path = lp
	}
	if st, err := os.Stat(path); err != nil {
		return nil, &StartError{Op: "launch", Path: path, Err: cause(err)}
	} else if st.IsDir() {
		return nil, &StartError{Op: "launch", Path: path, Err: unix.EISDIR}
	} else if st.Mode()&0o111 == 0 {
		return nil, &StartError{Op: "launch", Path: path, Err: fmt.Errorf("not executable (mode %v)", st.Mode().Perm())}
	}
	if elfClass32(path) {
		return nil, &StartError{Op: "launch", Path: path, Err: Err32Bit}
	}
	args := cfg.Args
	if len(args) == 0 {
		args = []string{cfg.Path}
	}
	files := []*os.File{cfg.Stdin, cfg.Stdout, cfg.Stderr}
	for i, def := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if files[i] == nil {
			files[i] = def
		}
	}
	var p *Process
	var err error
	e.Do(func() {
		// The fork must happen on the tracer thread: PTRACE_TRACEME makes the thread
		// that forked the child its tracer.
		// It runs with the tracer's CPU mask widened: see forkWide.
		var proc *os.Process
		err = e.pin.forkWide(func() error {
			var serr error
			proc, serr = os.StartProcess(path, args, &os.ProcAttr{
				Dir: cfg.Dir, Env: cfg.Env, Files: files,
				Sys: &syscall.SysProcAttr{Ptrace: true, Setpgid: true},
			})
			return serr
		})
		if err != nil {
			err = &StartError{Op: "launch", Path: path, Err: cause(err)}
			return
		}
		pid := proc.Pid
		proc.Release()
		_, ws, werr := wait4(pid, false)
		if werr != nil || !ws.Stopped() {
			err = &StartError{Op: "launch", Path: path, Err: fmt.Errorf("did not stop after exec (status %v, %v)", ws, werr)}
			return
		}
		if oerr := unix.PtraceSetOptions(pid, traceOptions|unix.PTRACE_O_EXITKILL); oerr != nil {
			unix.Kill(pid, unix.SIGKILL)
			wait4(pid, false)
			err = &StartError{Op: "launch", Path: path, Err: os.NewSyscallError("ptrace(PTRACE_SETOPTIONS)", oerr)}
			return
		}
		abs := exePath(pid)
		if abs == "" {
			abs = path
		}
		p = newProcess(e, pid, abs, args, true)
		p.term = newTerminal(files[0], pid) // Setpgid: its process group is pid
		t := p.addThread(pid, false)
		t.state = tsStopped
		p.state = Stopped
	})
	return p, err
}

// Attach stops every thread of a running process and traces it.
func (e *Engine) Attach(pid int) (*Process, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if pid <= 0 {
		return nil, &StartError{Op: "attach", Pid: pid, Err: fmt.Errorf("invalid pid")}
	}
	if pid == os.Getpid() {
		return nil, &StartError{Op: "attach", Pid: pid, Err: fmt.Errorf("cannot attach to stardbg itself")}
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return nil, &StartError{Op: "attach", Pid: pid, Err: unix.ESRCH}
	}
	if st := taskState(pid, pid); st == 'Z' || st == 'X' {
		if len(listTasks(pid)) <= 1 {
			return nil, &StartError{Op: "attach", Pid: pid, Err: fmt.Errorf("process is a zombie")}
		}
	}
	if elfClass32("/proc/" + strconv.Itoa(pid) + "/exe") {
		return nil, &StartError{Op: "attach", Pid: pid, Err: Err32Bit}
	}
	var p *Process
	var err error
	e.Do(func() {
		if e.procs[pid] != nil {
			err = &StartError{Op: "attach", Pid: pid, Err: fmt.Errorf("already traced by this session")}
			return
		}
		p = newProcess(e, pid, exePath(pid), readCmdline(pid), false)
		for {
			added := 0
			for _, tid := range listTasks(pid) {
				if p.threads[tid] != nil || e.threads[tid] != nil {
					continue
				}
				// PTRACE_SEIZE sets the options at once, and PTRACE_INTERRUPT
				// stops the thread without a signal: less than half the cost of
				// PTRACE_ATTACH's SIGSTOP for a thousand threads.
				aerr := ptrace(unix.PTRACE_SEIZE, tid, 0, traceOptions)
				if aerr == nil {
					t := p.addThread(tid, false)
					p.mu.Lock()
					t.interrupted = true
					p.mu.Unlock()
					if ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0) != nil {
						p.mu.Lock()
						t.interrupted = false
						p.mu.Unlock()
					}
					added++
					continue
				}
				if st := taskState(pid, tid); aerr == unix.ESRCH || st == 'Z' || st == 'X' {
					continue // gone, or a zombie (a main thread that called pthread_exit)
				}
				if len(p.threads) == 0 {
					var cause error = os.NewSyscallError("ptrace(PTRACE_SEIZE)", aerr)
					if aerr == unix.EPERM {
						cause = fmt.Errorf("%w: %s", cause, readPtraceFacts(pid).refusal())
					}
					err = &StartError{Op: "attach", Pid: pid, Err: cause}
					delete(e.procs, pid)
					return
				}
			}
			if added == 0 {
				break
			}
			// Wait until every new thread is stopped; list the tasks again for
			// the threads created meanwhile (from now on clones are traced).
			p.stopAll()
		}
		if len(p.threads) == 0 {
			err = &StartError{Op: "attach", Pid: pid, Err: fmt.Errorf("no thread could be attached")}
			delete(e.procs, pid)
			return
		}
		p.state = Stopped
		p.events = nil // what threads did while being attached is not news
		for _, t := range p.threads {
			if t.pendingSig == unix.SIGTRAP && execTrap(t.tid, pid) {
				t.pendingSig = 0
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// cause is the errno of a failed file operation (ENOENT, ENOEXEC...) without
// the operation and the path, which a StartError says already, or err itself.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// execTrap reports whether thread tid stands in the stop of the SIGTRAP that
// the kernel sends a traced program when its execve completes, without
// PTRACE_O_TRACEEXEC (an attach that came just before the end of an execve:
// the options are set only once the thread is stopped). It is not the
// program's signal. The kernel sends it as kill(2) would, from the program.
func execTrap(tid, pid int) bool {
	const siUser = 0
	si, err := getSiginfo(tid)
	return err == nil && si.Signo == int32(unix.SIGTRAP) && si.Code == siUser && siginfoPid(&si) == int32(pid)
}

// exePath is the executable of a process, also when its main thread is a zombie.
func exePath(pid int) string {
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
		return exe
	}
	for _, tid := range listTasks(pid) {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/task/%d/exe", pid, tid)); err == nil {
			return exe
		}
	}
	return ""
}

func listTasks(pid int) []int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids
}

// taskState is the one-letter state of /proc/PID/task/TID/stat, or 0.
func taskState(pid, tid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

func readCmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}
