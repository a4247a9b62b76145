package core

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// capSysPtrace is CAP_SYS_PTRACE's bit in the capability sets of /proc/PID/status.
const capSysPtrace = 19

// pfKthread is PF_KTHREAD in the flags of /proc/PID/stat.
const pfKthread = 0x00200000

// ptraceFacts are what decides whether the kernel lets stardbg attach to a
// process, as far as /proc can tell: read by readPtraceFacts, explained by
// refusal when PTRACE_SEIZE failed with EPERM.
type ptraceFacts struct {
	pid        int
	tracer     int    // the TracerPid of pid, 0 if none
	tracerName string // its comm, "" if unknown
	kthread    bool   // pid is a kernel thread
	uids       [3]int // pid's real, effective and saved uid; -1 if unknown
	ourUID     int    // stardbg's real uid (ptrace compares the real one)
	capPtrace  bool   // stardbg has CAP_SYS_PTRACE in its effective set
	yama       int    // /proc/sys/kernel/yama/ptrace_scope, -1 without Yama
	descendant bool   // pid descends from stardbg (Yama scope 1 lets it be traced)
}

// readPtraceFacts reads the facts about pid and about stardbg from /proc.
func readPtraceFacts(pid int) ptraceFacts {
	f := ptraceFacts{pid: pid, uids: [3]int{-1, -1, -1}, ourUID: os.Getuid(), yama: -1}
	st := procStatus(pid)
	f.tracer, _ = strconv.Atoi(st["TracerPid"])
	if f.tracer != 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", f.tracer)); err == nil {
			f.tracerName = strings.TrimSpace(string(b))
		}
	}
	for i, s := range strings.Fields(st["Uid"]) {
		if i < len(f.uids) {
			f.uids[i], _ = strconv.Atoi(s)
		}
	}
	if eff, err := strconv.ParseUint(procStatus(os.Getpid())["CapEff"], 16, 64); err == nil {
		f.capPtrace = eff&(1<<capSysPtrace) != 0
	}
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			f.yama = n
		}
	}
	if fields := statFields(pid); len(fields) > 6 {
		flags, _ := strconv.ParseUint(fields[6], 10, 64)
		f.kthread = flags&pfKthread != 0
	}
	for p, seen := pid, 0; p > 1 && seen < 4096; seen++ {
		fields := statFields(p)
		if len(fields) < 2 {
			break
		}
		if p, _ = strconv.Atoi(fields[1]); p == os.Getpid() {
			f.descendant = true
			break
		}
	}
	return f
}

// refusal says why the kernel refused to let stardbg trace the process: the
// first reason that applies, in the order the kernel checks them (the
// credentials, then Yama, then an existing tracer), or what to check when
// /proc cannot tell (a program that is not dumpable, as a setuid
// one is, or a security module).
func (f ptraceFacts) refusal() string {
	switch {
	case f.kthread:
		return fmt.Sprintf("process %d is a kernel thread, which cannot be traced", f.pid)
	case f.uids[0] >= 0 && (f.uids[0] != f.ourUID || f.uids[1] != f.ourUID || f.uids[2] != f.ourUID) && !f.capPtrace:
		return fmt.Sprintf("process %d runs as another user (uid %d, effective %d, saved %d) and stardbg runs as uid %d without CAP_SYS_PTRACE",
			f.pid, f.uids[0], f.uids[1], f.uids[2], f.ourUID)
	case f.yama == 3:
		return "the Yama security module forbids ptrace attach for everyone, root included (kernel.yama.ptrace_scope = 3, which only a reboot resets)"
	case f.yama == 2 && !f.capPtrace:
		return "the Yama security module lets only processes with CAP_SYS_PTRACE attach (kernel.yama.ptrace_scope = 2), and stardbg does not have it"
	case f.yama == 1 && !f.capPtrace && !f.descendant:
		return fmt.Sprintf("the Yama security module lets a process attach only to its own descendants (kernel.yama.ptrace_scope = 1), "+
			"and process %d is not one of stardbg's; run stardbg with CAP_SYS_PTRACE, or set the scope to 0 (sysctl kernel.yama.ptrace_scope=0)", f.pid)
	case f.tracer != 0:
		name := ""
		if f.tracerName != "" {
			name = " (" + f.tracerName + ")"
		}
		return fmt.Sprintf("process %d is already traced by process %d%s; a process has one tracer at a time", f.pid, f.tracer, name)
	}
	return fmt.Sprintf("process %d may not be dumpable (a setuid or setgid program, or prctl(PR_SET_DUMPABLE, 0)), or a security module (SELinux, AppArmor) refused", f.pid)
}

// procStatus is /proc/PID/status as a map of its fields, or an empty map.
func procStatus(pid int) map[string]string {
	m := map[string]string{}
	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// statFields are the fields of /proc/PID/stat after the command name: the
// state is fields[0], the parent pid fields[1], the flags fields[6]. Nil if
// the process is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}
