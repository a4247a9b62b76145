package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// foreground returns the foreground process group of the terminal.
func (tm *terminal) foreground() int {
	tm.t.Helper()
	conn, err := tm.pty.SyscallConn()
	if err != nil {
		tm.t.Fatal(err)
	}
	var pgrp int
	var ierr error
	if err := conn.Control(func(fd uintptr) { pgrp, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP) }); err != nil {
		tm.t.Fatal(err)
	}
	if ierr != nil {
		tm.t.Fatalf("ioctl(TIOCGPGRP): %v", ierr)
	}
	return pgrp
}

// waitForeground waits until process group pgrp is the terminal's
// foreground one.
func (tm *terminal) waitForeground(pgrp int, who string) {
	tm.t.Helper()
	deadline := time.Now().Add(lineDeadline)
	for fg := tm.foreground(); fg != pgrp; fg = tm.foreground() {
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s (process group %d) is not the terminal's foreground group within %v: %d is", who, pgrp, lineDeadline, fg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// targetPid reads the pid of a sleeper from its ready line in the terminal.
func (tm *terminal) targetPid() int {
	tm.t.Helper()
	tm.expect("ready pid=")
	pid, err := strconv.Atoi(strings.Fields(tm.expect(" "))[0])
	if err != nil {
		tm.t.Fatalf("ready line: %v", err)
	}
	return pid
}

// TestTerminalRead launches head -1 from a stardbg in a terminal: head
// reads the line typed, as it would untraced, where it stopped with
// SIGTTIN (a launched program has its own process group, which was never
// given the terminal).
func TestTerminalRead(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	script := writeFile(t, "head.star", fmt.Sprintf(`p = launch(["head", "-1"], stdout=%q)
print("running")
ev = p.run()
print("head", ev.kind, p.exit_code)
`, out))
	tm := startTerminal(t, []string{"TERM=xterm"}, "run", script)
	tm.expect("running")
	tm.send("typed line\r")
	tm.expect("head exited 0")
	if code := tm.wait(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "typed line\n" {
		t.Fatalf("head wrote %q (%v), want the line typed", b, err)
	}
}

// TestTerminalInterrupt types Ctrl-C while a launched program that reads
// the terminal runs under the REPL: the program holds the terminal, so the
// SIGINT goes to it; it must stop, not die, the statement must be
// interrupted as when stardbg gets the Ctrl-C, and stardbg must hold the
// terminal again at the prompt. The program then reads the terminal to
// its end of file and exits 0.
func TestTerminalInterrupt(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	tm := startTerminal(t, []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}, "exec", sleeper, "stdin", "1")
	stardbg := tm.cmd.Process.Pid // a session leader: its process group is its pid
	tm.expect(">>> ")
	tm.send("p.run()\r")
	pid := tm.targetPid()
	tm.waitForeground(pid, "the program")
	tm.send("\x03")
	tm.expect("interrupted")
	tm.expect(">>> ")
	if fg := tm.foreground(); fg != stardbg {
		t.Fatalf("at the prompt the terminal's foreground group is %d, want stardbg's, %d", fg, stardbg)
	}
	tm.send("p.state\r")
	tm.expect(`"stopped"`)
	tm.expect(">>> ")

	// The SIGINT was not delivered: the program runs on, and ends at the
	// end of file typed (Ctrl-D, in the program's turn at the terminal).
	tm.send("p.run()\r")
	tm.waitForeground(pid, "the program")
	tm.send("\x04")
	tm.expect("patch_me=1")
	tm.expect(">>> ")
	tm.send("p.exit_code\r")
	tm.expect("\r\n0\r\n>>> ")
	if fg := tm.foreground(); fg != stardbg {
		t.Fatalf("after the program's exit the terminal's foreground group is %d, want stardbg's, %d", fg, stardbg)
	}
	tm.send("exit()\r")
	if code := tm.wait(); code != 0 {
		t.Fatalf("exit() gave exit code %d", code)
	}
}

// TestTerminalInterruptRun types Ctrl-C while 'stardbg run' waits on a
// launched program that holds the terminal: the run ends as when stardbg
// gets the Ctrl-C (exit 130, the program killed).
func TestTerminalInterruptRun(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	script := writeFile(t, "wait.star", `p = launch([argv[1], "stdin", "1"])
p.run()
print("not reached")
`)
	tm := startTerminal(t, []string{"TERM=xterm"}, "run", script, sleeper)
	pid := tm.targetPid()
	tm.waitForeground(pid, "the program")
	tm.send("\x03")
	tm.expect("stardbg: interrupted")
	if code := tm.wait(); code != exitInterrupt {
		t.Fatalf("exit code %d, want %d", code, exitInterrupt)
	}
	waitGone(t, pid)
}

// TestTerminalAfterCont lets a launched program run after a bare p.cont(),
// in the background while the REPL reads the terminal: its read of the
// terminal earns it a SIGTTIN. When p.wait_stop() then hands it the
// terminal, that SIGTTIN must not be reported or delivered (it would stop
// the program): its read goes on in the foreground, and gets the end of
// file typed.
func TestTerminalAfterCont(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	// No thread: nothing it does before its read needs stardbg.
	tm := startTerminal(t, []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}, "exec", sleeper, "stdin", "0")
	tm.expect(">>> ")
	tm.send("p.cont()\r")
	pid := tm.targetPid() // before or after the prompt
	tm.send("p.wait_stop()\r")
	tm.waitForeground(pid, "the program")
	tm.send("\x04")
	tm.expect("patch_me=1")
	tm.expect("exited")
	tm.expect(">>> ")
	tm.send("p.exit_code\r")
	tm.expect("\r\n0\r\n>>> ")
	tm.send("exit()\r")
	if code := tm.wait(); code != 0 {
		t.Fatalf("exit() gave exit code %d", code)
	}
}
