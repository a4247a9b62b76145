package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"stardbg/builtins"
	"stardbg/internal/testtarget"
)

// TestExitCodes checks the exit code contract, and that the message on
// stderr says why.
func TestExitCodes(t *testing.T) {
	hotloop := testtarget.Build(t, "c/hotloop", testtarget.Default)
	prog32 := testtarget.WriteI386(t, t.TempDir(), "exit7", testtarget.I386Exit7)
	tests := []struct {
		name   string
		args   []string // "SCRIPT" is replaced by the path of script
		script string
		code   int
		stdout string // regexp that stdout must match
		stderr string // regexp that stderr must match
	}{
		{name: "run ok", args: []string{"run", "SCRIPT", hotloop},
			script: `p = launch([argv[1], "5"], stdout="null")
ev = p.run()
assert.eq(ev.kind, "exited")
print("exit_code", p.exit_code)`,
			code: exitOK, stdout: `^exit_code 0\n$`, stderr: `^$`},
		{name: "fail", args: []string{"run", "SCRIPT"},
			script: "x = 1\nfail(\"boom\")\n",
			code:   exitFail, stderr: `(?s)Traceback.*script.star:2:5: in <toplevel>\nError: fail: boom\n$`},
		{name: "assert", args: []string{"run", "SCRIPT"},
			script: "assert.eq(1 + 1, 3)\n",
			code:   exitFail, stderr: `script.star:1:10: in <toplevel>\nError: assert.eq: 2 != 3\n$`},
		{name: "callback error", args: []string{"run", "SCRIPT", hotloop},
			script: `p = launch([argv[1], "5"], stdout="null")
p.break_at("hot", on_hit=lambda t, bp: 1 // 0)
p.run()`,
			code: exitFail, stderr: `(?s)script.star:3:6: in <toplevel>.*script.star:2:42: in lambda\nError: floored division by zero`},
		{name: "syntax error", args: []string{"run", "SCRIPT"},
			script: "x = 1\ny = (\n",
			code:   exitFail, stderr: `script.star:3:1: syntax error: got end of file, want primary expression`},
		{name: "undefined name", args: []string{"run", "SCRIPT"},
			script: "print(nope)\n",
			code:   exitFail, stderr: `script.star:1:7: undefined: nope`},
		{name: "bad flag", args: []string{"run", "--bogus", "SCRIPT"}, script: "",
			code: exitUsage, stderr: `(?s)^stardbg run: flag provided but not defined: -bogus\nusage: stardbg run`},
		{name: "bad timeout", args: []string{"run", "--timeout", "soon", "SCRIPT"}, script: "",
			code: exitUsage, stderr: `invalid value "soon" for flag -timeout`},
		{name: "missing script", args: []string{"run"},
			code: exitUsage, stderr: `(?s)^stardbg run: missing SCRIPT\nusage: stardbg run`},
		{name: "script not found", args: []string{"run", "/nonexistent/x.star"},
			code: exitUsage, stderr: `/nonexistent/x.star: no such file`},
		{name: "unknown command", args: []string{"frobnicate"},
			code: exitUsage, stderr: `unknown command "frobnicate"`},
		{name: "launch missing program", args: []string{"run", "SCRIPT"},
			script: `launch(["/nonexistent/prog"])`,
			code:   exitStart, stderr: `\nError: launch: .*/nonexistent/prog`},
		{name: "launch error said once", args: []string{"run", "SCRIPT"},
			script: `launch(["/nonexistent/prog"])`,
			code:   exitStart, stderr: `(?m)^Error: launch: /nonexistent/prog: no such file or directory$`},
		{name: "attach missing pid", args: []string{"run", "SCRIPT"},
			script: `attach(` + strconv.Itoa(missingPid(t)) + `)`,
			code:   exitStart, stderr: `\nError: attach: .*no such process`},
		{name: "exec missing program", args: []string{"exec", "-e", "pass", "/nonexistent/prog"},
			code: exitStart, stderr: `^stardbg: launch /nonexistent/prog: no such file or directory\n$`},
		{name: "exec program not in PATH", args: []string{"exec", "-e", "pass", "no-such-program-stardbg"},
			code: exitStart, stderr: `no-such-program-stardbg`},
		{name: "exec 32-bit program", args: []string{"exec", "-e", "pass", prog32},
			code: exitStart, stderr: `^stardbg: launch ` + regexp.QuoteMeta(prog32) + `: 32-bit programs are not supported\n$`},
		{name: "launch 32-bit program", args: []string{"run", "SCRIPT", prog32},
			script: `launch([argv[1]])`,
			code:   exitStart, stderr: `(?m)^Error: launch: ` + regexp.QuoteMeta(prog32) + `: 32-bit programs are not supported$`},
		{name: "attach missing pid", args: []string{"attach", "-e", "pass", strconv.Itoa(missingPid(t))},
			code: exitStart, stderr: `^stardbg: attach \d+: no such process\n$`},
		{name: "exec ok", args: []string{"exec", "-e", "print(p.exe, p.state)", hotloop, "5"},
			code: exitOK, stdout: `^` + regexp.QuoteMeta(hotloop) + ` stopped\n$`, stderr: `^$`},
		{name: "exec script file", args: []string{"exec", "-s", "SCRIPT", hotloop, "7"},
			script: `print(p.argv[1:], p.run().kind, p.exit_code)`,
			code:   exitOK, stdout: `(?m)^calls=7 .*\n(.*\n)*\["7"\] exited 0\n$`},
		{name: "exec -s and -e", args: []string{"exec", "-s", "SCRIPT", "-e", "pass", hotloop}, script: "",
			code: exitUsage, stderr: `-s and -e cannot be used together`},
		{name: "exec missing PROG", args: []string{"exec", "-e", "pass"},
			code: exitUsage, stderr: `missing PROG`},
		{name: "attach bad pid", args: []string{"attach", "12ab"},
			code: exitUsage, stderr: `PID must be a positive process id, got "12ab"`},
		{name: "max steps", args: []string{"run", "--max-steps", "1000", "SCRIPT"},
			script: "def f():\n    for i in range(100000):\n        pass\nf()\n",
			code:   exitFail, stderr: `too many steps`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := slices.Clone(tt.args)
			if i := slices.Index(args, "SCRIPT"); i >= 0 {
				args[i] = writeFile(t, "script.star", tt.script)
			}
			r := stardbg(t, nil, args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d\n%v", r.code, tt.code, r)
			}
			if !regexp.MustCompile(tt.stdout).MatchString(r.stdout) {
				t.Errorf("stdout does not match %q\n%v", tt.stdout, r)
			}
			if !regexp.MustCompile(tt.stderr).MatchString(r.stderr) {
				t.Errorf("stderr does not match %q\n%v", tt.stderr, r)
			}
		})
	}
}

// missingPid returns a pid that no process has.
func missingPid(t *testing.T) int {
	for pid := 4194000; pid > 1000; pid-- {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return pid
		}
	}
	t.Fatal("no free pid")
	return 0
}

// TestArgv checks that the arguments after SCRIPT reach argv untouched,
// with an optional "--" right after SCRIPT dropped.
func TestArgv(t *testing.T) {
	script := writeFile(t, "argv.star", "print(json.encode(argv))\n")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"tar", "-cf", "/dev/null", "dir"}, []string{"tar", "-cf", "/dev/null", "dir"}},
		{[]string{"--", "prog", "-v", "--", "x"}, []string{"prog", "-v", "--", "x"}},
		{[]string{"-x", "--help", "--timeout", "1s"}, []string{"-x", "--help", "--timeout", "1s"}},
		{nil, nil},
	}
	for _, tt := range tests {
		r := stardbg(t, nil, append([]string{"run", "--max-steps", "100000", script}, tt.args...)...)
		if r.code != 0 {
			t.Fatalf("args %q: %v", tt.args, r)
		}
		var got []string
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("args %q: %v\n%v", tt.args, err, r)
		}
		if want := append([]string{script}, tt.want...); !slices.Equal(got, want) {
			t.Errorf("args %q: argv = %q, want %q", tt.args, got, want)
		}
	}
}

// TestHelp checks that every command answers --help with its usage on
// stdout and exit 0, and that stardbg alone answers -h.
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			r := stardbg(t, nil, args...)
			if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: stardbg "+c.name) {
				t.Errorf("stardbg %s:\n%v", strings.Join(args, " "), r)
			}
		}
	}
	for _, arg := range []string{"--help", "-h", "help"} {
		r := stardbg(t, nil, arg)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "usage: stardbg COMMAND") {
			t.Errorf("stardbg %s:\n%v", arg, r)
		}
		for _, c := range commands() {
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") {
				t.Errorf("stardbg %s does not list %s:\n%s", arg, c.name, r.stdout)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	r := stardbg(t, nil, "version")
	if r.code != 0 || !regexp.MustCompile(`^stardbg \S.* go1\.\d+\S* linux/amd64\n$`).MatchString(r.stdout) {
		t.Errorf("stardbg version:\n%v", r)
	}
}

// TestDoc checks that stardbg doc prints every topic of the reference, and
// doc NAME one entry, as help() gives it.
func TestDoc(t *testing.T) {
	r := stardbg(t, nil, "doc")
	if r.code != 0 {
		t.Fatalf("stardbg doc:\n%v", r)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") {
			names[line] = true
		}
	}
	topics := builtins.Topics()
	for _, topic := range topics {
		if !names[topic.Name] {
			t.Errorf("stardbg doc does not list %s", topic.Name)
		}
	}
	if len(names) != len(topics) {
		t.Errorf("stardbg doc lists %d names, want %d", len(names), len(topics))
	}

	for _, name := range []string{"launch", "process.peek", "breakpoint", "event.kind", "argv", "p", "assert",
		"assert.eq", "json.encode", "time.now", "math.pi", "regs.orig_rax", "frame", "mapping.perms", "fail", "len"} {
		want, ok := builtins.Doc(name)
		if !ok {
			t.Fatalf("builtins.Doc(%q) is missing", name)
		}
		r := stardbg(t, nil, "doc", name)
		if r.code != 0 || r.stdout != want+"\n" {
			t.Errorf("stardbg doc %s: got\n%v\nwant stdout\n%s", name, r, want)
		}
	}

	// A bare member name finds it in its type or module.
	for name, topic := range map[string]string{"fs_base": "regs.fs_base", "encode_indent": "json.encode_indent", "module_addr": "frame.module_addr"} {
		r := stardbg(t, nil, "doc", name)
		if doc, _ := builtins.Doc(topic); r.code != 0 || doc == "" || r.stdout != doc+"\n" {
			t.Errorf("stardbg doc %s: got\n%v\nwant the doc of %s", name, r, topic)
		}
	}

	r = stardbg(t, nil, "doc", "wait_stop")
	if doc, _ := builtins.Doc("process.wait_stop"); r.code != 0 || !strings.Contains(r.stdout, doc) {
		t.Errorf("stardbg doc wait_stop:\n%v", r)
	}
	r = stardbg(t, nil, "doc", "no_such_thing")
	if r.code != exitFail || !strings.Contains(r.stderr, `no documentation for "no_such_thing"`) {
		t.Errorf("stardbg doc no_such_thing:\n%v", r)
	}
}
