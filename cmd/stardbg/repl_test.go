package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"stardbg/internal/testtarget"
)

// A terminal is stardbg running in a pseudo-terminal.
type terminal struct {
	t      *testing.T
	cmd    *exec.Cmd
	pty    *os.File
	notify chan struct{} // signalled when output arrives
	done   chan struct{} // closed when stardbg has exited
	err    error         // from Wait, once done is closed

	mu   sync.Mutex
	out  bytes.Buffer
	seen int // output before this offset was matched by expect
}

// startTerminal starts stardbg with args in a new 40x160 pseudo-terminal,
// with env added to the environment.
func startTerminal(t *testing.T, env []string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, cmd: cmd, pty: f, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			select {
			case tm.notify <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		tm.err = cmd.Wait()
		close(tm.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-tm.done
		f.Close()
	})
	return tm
}

// send types s.
func (tm *terminal) send(s string) {
	tm.t.Helper()
	if _, err := tm.pty.WriteString(s); err != nil {
		tm.t.Fatalf("typing %q: %v", s, err)
	}
}

// expect waits until s appears in the output after what earlier calls
// matched, and returns the output up to it.
func (tm *terminal) expect(s string) string {
	tm.t.Helper()
	timeout := time.After(lineDeadline)
	for {
		tm.mu.Lock()
		out := tm.out.Bytes()[tm.seen:]
		if i := bytes.Index(out, []byte(s)); i >= 0 {
			tm.seen += i + len(s)
			tm.mu.Unlock()
			return string(out[:i+len(s)])
		}
		tm.mu.Unlock()
		select {
		case <-tm.notify:
		case <-timeout:
			tm.mu.Lock()
			defer tm.mu.Unlock()
			tm.t.Fatalf("no %q in the terminal within %v; after the last match it shows:\n%q", s, lineDeadline, tm.out.Bytes()[tm.seen:])
		}
	}
}

// wait waits for stardbg to exit and returns its exit code.
func (tm *terminal) wait() int {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(runDeadline):
		tm.t.Fatalf("stardbg did not exit within %v", runDeadline)
	}
	var ee *exec.ExitError
	if errors.As(tm.err, &ee) {
		return ee.ExitCode()
	}
	if tm.err != nil {
		tm.t.Fatal(tm.err)
	}
	return 0
}

// TestREPLTerminal drives the REPL in a pseudo-terminal: completion, a
// multi-line def, Ctrl-C while p.run() waits, Ctrl-C at the prompt, exit(),
// and the history a second session sees.
func TestREPLTerminal(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	state := t.TempDir()
	env := []string{"TERM=xterm", "XDG_STATE_HOME=" + state}

	tm := startTerminal(t, env, "exec", sleeper, "0", "1")
	// A banner says which process p is and how to get help.
	banner := regexp.MustCompile(`p is process (\d+), (.*) \(launched, stopped\)\.\r\n` +
		`help\(\) gives an overview, help\(x\) documents x, TAB completes, exit\(\) or Ctrl-D leaves\.\r\n`).
		FindStringSubmatch(tm.expect(">>> "))
	if banner == nil || banner[2] != sleeper {
		t.Fatalf("no banner naming the process %s: %q", sleeper, banner)
	}
	pidText := banner[1]

	// help() prints an overview of the API, then what p is.
	tm.send("help()\r")
	tm.expect("\r\nBuiltins:\r\n")
	tm.expect("\r\n  launch(argv, ")
	tm.expect("'stardbg doc'")
	tm.expect("docs/reference.md")
	tm.expect("\r\nAt this prompt:\r\n  p    <process " + pidText + " stopped>\r\n")
	tm.expect(">>> ")
	// help(x) prints the text, not a quoted string.
	tm.send("help(p.peek)\r")
	if out := tm.expect(">>> "); !strings.Contains(out, "\r\npeek(addr, n) -> bytes\r\n\r\nReads n bytes") {
		t.Errorf("help(p.peek) does not print its text:\n%q", out)
	}

	// TAB completes an attribute as far as the candidates agree, and a
	// second TAB lists them; Ctrl-C then clears the line.
	tm.send("p.br\t")
	tm.expect("p.break")
	tm.send("\t")
	tm.expect("break_at(")
	tm.expect("breakpoints(")
	tm.expect(">>> p.break")
	tm.send("\x03")
	tm.expect("^C")
	tm.expect(">>> ")
	// A method completes without "(" as the argument of help.
	tm.send("help(p.peek_s\t")
	tm.expect("help(p.peek_str")
	tm.send(")\r")
	tm.expect("\r\npeek_str(addr, ")
	tm.expect(">>> ")
	// A string as break_at's argument completes to the process's functions.
	tm.send(`p.break_at("no` + "\t")
	tm.expect(`p.break_at("now`)
	tm.send("\x03")
	tm.expect(">>> ")
	// The builtins and fields of process families complete too.
	tm.send("wait_a\t")
	tm.expect("wait_any(")
	tm.send("\x03")
	tm.expect(">>> ")
	tm.send("p.pare\t")
	tm.expect("p.parent")
	tm.send("\x03")
	tm.expect(">>> ")
	// And goroutines.
	tm.send("p.gorout\t\t")
	tm.expect("goroutine(")
	tm.expect("goroutines(")
	tm.expect(">>> p.goroutine")
	tm.send("\x03")
	tm.expect(">>> ")
	// And a breakpoint's pending_returns.
	tm.send(`b = p.break_at("main", on_return=lambda t, bp, call: None)` + "\r")
	tm.expect(">>> ")
	tm.send("b.pending_r\t")
	tm.expect("b.pending_returns")
	tm.send("\x03")
	tm.expect(">>> ")

	// A block goes on over "... " lines until a blank line.
	tm.send("def double(x):\r")
	tm.expect("... ")
	tm.send("    return x * 2\r")
	tm.expect("... ")
	tm.send("\r")
	tm.expect(">>> ")
	tm.send("double(21)\r")
	tm.expect("42\r\n")
	tm.expect(">>> ")
	// dir() lists the globals: the predeclared ones, the REPL's, the user's.
	tm.send("dir()\r")
	if out := tm.expect(">>> "); !regexp.MustCompile(`\["_", "assert", .*"dir", "double", "exit", .*"launch", .*"p", .*"quit",`).MatchString(out) {
		t.Errorf("dir() does not list the globals:\n%q", out)
	}

	// Ctrl-C while a statement waits on the target stops the target and
	// returns to the prompt, with the process stopped.
	tm.send("p.run()\r")
	ready := testtarget.KeyValues(tm.expect("\n"+"ready pid=") + strings.TrimSpace(tm.expect("\n")))
	tm.send("\x03")
	tm.expect("interrupted")
	tm.expect(">>> ")
	tm.send("p.state\r")
	tm.expect(`"stopped"`)
	tm.expect(">>> ")
	// A backtrace shows one frame per line, as gdb's bt does.
	tm.send("p.main_thread.backtrace()\r")
	tm.expect("\r\n#0  0x")
	tm.expect("\r\n#1  0x")
	tm.expect(">>> ")

	tm.send("exit()\r")
	if code := tm.wait(); code != 0 {
		t.Fatalf("exit() gave exit code %d", code)
	}
	pid, err := strconv.Atoi(ready["pid"])
	if err != nil {
		t.Fatalf("no pid in the target's ready line: %v", ready)
	}
	waitGone(t, pid)

	history, err := os.ReadFile(filepath.Join(state, "stardbg", "history"))
	if err != nil {
		t.Fatal(err)
	}
	wantHistory := "help()\nhelp(p.peek)\nhelp(p.peek_str)\n" + `b = p.break_at("main", on_return=lambda t, bp, call: None)` + "\ndef double(x):\n    return x * 2\ndouble(21)\ndir()\np.run()\np.state\np.main_thread.backtrace()\nexit()\n"
	if string(history) != wantHistory {
		t.Errorf("history file:\n%s\nwant:\n%s", history, wantHistory)
	}

	// A second session recalls the first one's lines with the up arrow;
	// Ctrl-D leaves.
	tm = startTerminal(t, env, "exec", sleeper, "0", "1")
	tm.expect(">>> ")
	tm.send("\x1b[A")
	tm.expect("exit()")
	tm.send("\x1b[A")
	tm.expect("p.main_thread.backtrace()")
	tm.send("\x1b[A")
	tm.expect("p.state")
	tm.send("\r")
	tm.expect(`"stopped"`)
	tm.expect(">>> ")
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Fatalf("Ctrl-D gave exit code %d", code)
	}
}

// TestREPLExitCode leaves a REPL with no process by exit(N) and quit().
func TestREPLExitCode(t *testing.T) {
	env := []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}
	tm := startTerminal(t, env, "repl")
	tm.expect(`No process yet: p = launch(["./prog", "arg"]) or p = attach(PID).`)
	tm.expect(">>> ")
	tm.send("exit(3)\r")
	if code := tm.wait(); code != 3 {
		t.Errorf("exit(3) gave exit code %d", code)
	}
	tm = startTerminal(t, env, "repl")
	tm.expect(">>> ")
	tm.send("undefined\r")
	tm.expect("undefined: undefined")
	tm.send("quit()\r")
	if code := tm.wait(); code != 0 {
		t.Errorf("quit() gave exit code %d", code)
	}
	// From a pipe too; exit(N) overrides the failed inputs' exit code 1.
	for _, tc := range []struct {
		input string
		code  int
	}{{"quit()\nnot_run()\n", 0}, {"nope\nexit(0)\n", 0}, {"exit(5)\n", 5}, {"nope\nexit()\n", exitFail}} {
		if r := stardbg(t, strings.NewReader(tc.input), "repl"); r.code != tc.code || strings.Contains(r.stderr, "not_run") {
			t.Errorf("input %q: exit code %d, want %d\n%v", tc.input, r.code, tc.code, r)
		}
	}
}

// TestREPLAttachBanner checks the banner of a REPL on an attached process.
func TestREPLAttachBanner(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	target := exec.Command(sleeper, "0", "1") // runs until killed
	out, err := target.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		target.Process.Kill()
		target.Wait()
	})
	expectLine(t, lines(out), "ready ")
	pid := strconv.Itoa(target.Process.Pid)

	tm := startTerminal(t, []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}, "attach", pid)
	tm.expect("p is process " + pid + ", " + sleeper + " (attached, stopped).\r\n")
	tm.expect(">>> ")
	tm.send("exit()\r")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit() gave exit code %d", code)
	}
}

// TestREPLPipe feeds the REPL from a pipe: no prompts, expression values
// and print output on stdout, errors on stderr and the loop going on, exit
// code 1 because an input failed.
func TestREPLPipe(t *testing.T) {
	hotloop := testtarget.Build(t, "c/hotloop", testtarget.Default)
	input := `print(p.pid)
def inc(x):
    return x + 1

inc(41)
undefined_name
print(p.state)
`
	r := stardbg(t, strings.NewReader(input), "exec", hotloop, "10")
	if r.code != exitFail || r.stderr != "<stdin>:6:1: undefined: undefined_name\nstardbg: 1 input failed\n" {
		t.Fatalf("%v", r)
	}
	m := regexp.MustCompile(`^(\d+)\n42\nstopped\n$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("unexpected output:\n%v", r)
	}
	pid, _ := strconv.Atoi(m[1])
	waitGone(t, pid)
}

// TestREPLPipeLines checks that a statement piped into the REPL reports
// its line in the input, and a failed builtin names itself once.
func TestREPLPipeLines(t *testing.T) {
	r := stardbg(t, strings.NewReader("x = 1\ny = 2\nz = x + nope\n"), "repl")
	if r.code != exitFail || r.stderr != "<stdin>:3:9: undefined: nope\nstardbg: 1 input failed\n" {
		t.Errorf("undefined name:\n%v", r)
	}
	r = stardbg(t, strings.NewReader("x = 1\n\nlaunch([\n  '/nonexistent/prog'])\n"), "repl")
	want := "Traceback (most recent call last):\n  <stdin>:3:7: in <expr>\nError: launch: /nonexistent/prog: no such file or directory\nstardbg: 1 input failed\n"
	if r.code != exitFail || r.stderr != want {
		t.Errorf("failed launch:\n%v\nwant stderr:\n%s", r, want)
	}
}

// TestREPLStopped checks that the REPL, waiting for input, ends when
// --timeout expires (exit 1) or on SIGTERM (exit 143), in a terminal and
// with input from a pipe that stays open.
func TestREPLStopped(t *testing.T) {
	t.Run("terminal timeout", func(t *testing.T) {
		tm := startTerminal(t, []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}, "repl", "--timeout", "1s")
		tm.expect(">>> ")
		tm.expect("stardbg: timeout after 1s")
		if code := tm.wait(); code != exitFail {
			t.Errorf("exit code %d, want 1", code)
		}
	})
	t.Run("terminal SIGTERM", func(t *testing.T) {
		tm := startTerminal(t, []string{"TERM=xterm", "XDG_STATE_HOME=" + t.TempDir()}, "repl")
		tm.expect(">>> ")
		tm.cmd.Process.Signal(syscall.SIGTERM)
		tm.expect("stardbg: terminated")
		if code := tm.wait(); code != exitTerminate {
			t.Errorf("exit code %d, want 143", code)
		}
	})
	t.Run("pipe SIGINT", func(t *testing.T) {
		// An *os.File, so that stardbg's exit does not wait for the copy
		// of a stdin that stays open.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pw.Close()
		s := startWithStdin(t, pr, "repl")
		pr.Close()
		if _, err := pw.WriteString("print('hello')\n"); err != nil {
			t.Fatal(err)
		}
		expectLine(t, s.stdout, "hello")
		s.cmd.Process.Signal(syscall.SIGINT)
		if code := s.wait(t); code != exitInterrupt {
			t.Errorf("exit code %d, want 130; stderr:\n%s", code, s.stderr.String())
		}
	})
}
