package script

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"go.starlark.net/starlark"
)

func TestREPLExit(t *testing.T) {
	tests := []struct {
		inputs   []any
		wantCode int // -1: a nil error
		wantOut  string
	}{
		{[]any{`exit()`, `not read`}, -1, ""},
		{[]any{`quit()`, `not read`}, -1, ""},
		{[]any{`exit(3)`, `not read`}, 3, ""},
		{[]any{`quit(0)`, `not read`}, 0, ""},
		{[]any{`def leave():`, `    exit(7)`, ``, `leave()`, `not read`}, 7, ""},
		{[]any{`exit(256)`, `exit("x")`, `exit(1, 2)`, `exit(-1)`, `exit(1 << 70)`, `1`}, -1,
			"Traceback (most recent call last):\n  <stdin>:1:5: in <expr>\nError: exit: exit code 256 out of range [0, 255]\n" +
				"Traceback (most recent call last):\n  <stdin>:2:5: in <expr>\nError: exit: for parameter code: got string, want int\n" +
				"Traceback (most recent call last):\n  <stdin>:3:5: in <expr>\nError: exit: got 2 arguments, want at most 1\n" +
				"Traceback (most recent call last):\n  <stdin>:4:5: in <expr>\nError: exit: exit code -1 out of range [0, 255]\n" +
				"Traceback (most recent call last):\n  <stdin>:5:5: in <expr>\nError: exit: exit code 1180591620717411303424 out of range [0, 255]\n" +
				"1\n"},
	}
	for _, test := range tests {
		var out bytes.Buffer
		p := &fakePrompter{inputs: test.inputs, out: io.Discard}
		_, err := NewSession(Options{}).REPL(p, &out, &out)
		var xe *ExitError
		switch {
		case test.wantCode < 0 && err != nil:
			t.Errorf("%q: REPL error %v, want none", test.inputs, err)
		case test.wantCode >= 0 && (!errors.As(err, &xe) || xe.Code != test.wantCode):
			t.Errorf("%q: REPL error %v, want exit code %d", test.inputs, err, test.wantCode)
		}
		if len(p.inputs) > 1 {
			t.Errorf("%q: %d inputs left unread", test.inputs, len(p.inputs))
		}
		if out.String() != test.wantOut {
			t.Errorf("%q: output\n%s\nwant\n%s", test.inputs, out.String(), test.wantOut)
		}
	}
}

func TestREPLDir(t *testing.T) {
	var out bytes.Buffer
	p := &fakePrompter{out: &out, inputs: []any{`x = 1`, `dir()`, `dir("")[:3]`}}
	if _, err := NewSession(Options{}).REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := `>>> x = 1
>>> dir()
["assert", "dir", "exit", "json", "math", "quit", "sleep", "time", "x"]
>>> dir("")[:3]
["capitalize", "codepoint_ords", "codepoints"]
>>> ^D
`
	if got := out.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

// A hostValue is a value of the host's own type, as a process is.
type hostValue string

func (v hostValue) String() string        { return string(v) }
func (v hostValue) Type() string          { return "process" }
func (v hostValue) Freeze()               {}
func (v hostValue) Truth() starlark.Bool  { return true }
func (v hostValue) Hash() (uint32, error) { return 0, nil }

func TestREPLHelp(t *testing.T) {
	// The host's help returns its text, as builtins' does.
	help := starlark.NewBuiltin("help", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var x starlark.Value
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x?", &x); err != nil {
			return nil, err
		}
		switch {
		case x == nil:
			return starlark.String("The API.\n\nMore: 'doc'."), nil
		case x.Type() == "process":
			return starlark.String("process\n\nA \"traced\" process."), nil
		}
		return nil, errors.New("help: no documentation for " + x.Type())
	})
	s := NewSession(Options{Predeclared: starlark.StringDict{"help": help, "p": hostValue("<process 42 stopped>")}})
	var out bytes.Buffer
	p := &fakePrompter{out: &out, inputs: []any{`help(p)`, `h = help(p)`, `h`, `t = p`, `n = 1`, `help()`, `help(1)`, `help(exit)`, `help(dir)`}}
	if _, err := s.REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := `>>> help(p)
process

A "traced" process.
>>> h = help(p)
process

A "traced" process.
>>> h
>>> t = p
>>> n = 1
>>> help()
The API.

More: 'doc'.

At this prompt:
  p    <process 42 stopped>
  t    <process 42 stopped>
dir() lists the globals, _ is the last value, exit() or Ctrl-D leaves.
>>> help(1)
Traceback (most recent call last):
  <stdin>:7:5: in <expr>
Error: help: no documentation for int
>>> help(exit)
exit(code=None)

Leaves the REPL, as Ctrl-D does. With code (0 to 255), stardbg exits with it;
without, it exits as at the end of input. quit is the same.
>>> help(dir)
dir(x=None) -> list of string

With no argument, the names of the REPL's globals, sorted; with x, the names
of x's fields and methods: dir(p), dir(t.regs).
>>> ^D
`
	if got := out.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

// A list of host values, as a backtrace is, prints one element per line;
// other lists print their repr.
func TestREPLDisplay(t *testing.T) {
	s := NewSession(Options{Predeclared: starlark.StringDict{
		"f0": hostValue("#0  0x1000 in hot at hot.c:3"),
		"f1": hostValue("#1  0x2000 in main at hot.c:9"),
	}})
	var out bytes.Buffer
	p := &fakePrompter{out: &out, inputs: []any{`[f0, f1]`, `(f1,)`, `_`, `[f0, 1]`, `[]`, `print([f0, f1])`, `[[f0]]`}}
	if _, err := s.REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := `>>> [f0, f1]
#0  0x1000 in hot at hot.c:3
#1  0x2000 in main at hot.c:9
>>> (f1,)
#1  0x2000 in main at hot.c:9
>>> _
#1  0x2000 in main at hot.c:9
>>> [f0, 1]
[#0  0x1000 in hot at hot.c:3, 1]
>>> []
[]
>>> print([f0, f1])
[#0  0x1000 in hot at hot.c:3, #1  0x2000 in main at hot.c:9]
>>> [[f0]]
[[#0  0x1000 in hot at hot.c:3]]
>>> ^D
`
	if got := out.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}
