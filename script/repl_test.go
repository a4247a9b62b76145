package script

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// fakePrompter replays inputs: a string is a typed line, an error is
// returned as is (io.EOF for Ctrl-D, ErrInterrupt for Ctrl-C). It writes
// a terminal-like transcript to out: the prompt, then the line, "^C" or
// "^D". After the inputs it returns io.EOF.
type fakePrompter struct {
	inputs []any
	out    io.Writer
}

func (p *fakePrompter) Prompt(prompt string) (string, error) {
	if len(p.inputs) == 0 {
		io.WriteString(p.out, prompt+"^D\n")
		return "", io.EOF
	}
	in := p.inputs[0]
	p.inputs = p.inputs[1:]
	switch in := in.(type) {
	case string:
		io.WriteString(p.out, prompt+in+"\n")
		return in, nil
	case error:
		switch in {
		case io.EOF:
			io.WriteString(p.out, prompt+"^D\n")
		case ErrInterrupt:
			io.WriteString(p.out, prompt+"^C\n")
		}
		return "", in
	}
	panic("bad input")
}

func TestREPL(t *testing.T) {
	tests := []struct {
		name   string
		inputs []any
		want   string // transcript
	}{{
		name:   "expressions print their repr, None does not",
		inputs: []any{`1 + 2`, `"s"`, `None`, `[x * x for x in range(3)]`},
		want: `>>> 1 + 2
3
>>> "s"
"s"
>>> None
>>> [x * x for x in range(3)]
[0, 1, 4]
>>> ^D
`,
	}, {
		name:   "underscore holds the last value",
		inputs: []any{`40`, `_ + 2`, `None`, `_`},
		want: `>>> 40
40
>>> _ + 2
42
>>> None
>>> _
42
>>> ^D
`,
	}, {
		name:   "globals stay mutable",
		inputs: []any{`x = 1`, `x += 1`, `x`, `d = {}`, `d["k"] = x`, `d`},
		want: `>>> x = 1
>>> x += 1
>>> x
2
>>> d = {}
>>> d["k"] = x
>>> d
{"k": 2}
>>> ^D
`,
	}, {
		name:   "multi-line def ends at a blank line",
		inputs: []any{`def f(n):`, `    if n > 0:`, `        return n * 2`, `    return 0`, ``, `f(21)`},
		want: `>>> def f(n):
...     if n > 0:
...         return n * 2
...     return 0
... 
>>> f(21)
42
>>> ^D
`,
	}, {
		name:   "functions mutate globals through a list",
		inputs: []any{`l = []`, `def add(v):`, `    l.append(v)`, ``, `add(1)`, `add(2)`, `l`},
		want: `>>> l = []
>>> def add(v):
...     l.append(v)
... 
>>> add(1)
>>> add(2)
>>> l
[1, 2]
>>> ^D
`,
	}, {
		name:   "open brackets continue",
		inputs: []any{`[1,`, ` 2,`, `]`},
		want: `>>> [1,
...  2,
... ]
[1, 2]
>>> ^D
`,
	}, {
		name:   "top-level for and print",
		inputs: []any{`for i in range(2):`, `    print("i =", i)`, ``},
		want: `>>> for i in range(2):
...     print("i =", i)
... 
i = 0
i = 1
>>> ^D
`,
	}, {
		name:   "errors print a backtrace and the loop goes on",
		inputs: []any{`y = 5`, `def f():`, `    return 1 // 0`, ``, `f()`, `y`, `x = = 1`, `z`, `y`},
		want: `>>> y = 5
>>> def f():
...     return 1 // 0
... 
>>> f()
Traceback (most recent call last):
  <stdin>:5:2: in <expr>
  <stdin>:3:14: in f
Error: floored division by zero
>>> y
5
>>> x = = 1
<stdin>:7:5: syntax error: got '=', want primary expression
>>> z
<stdin>:8:1: undefined: z
>>> y
5
>>> ^D
`,
	}, {
		name: "lines are numbered from the start of the input",
		inputs: []any{`x = 1`, `y = 2`, `z = x + nope`, `def f(a,`, `      b):`, `    return a // b`, ``, `load("m.star", "m")`,
			`f(1, 0)`, `for i in range(1):`, `    f(i, 0)`, ``, `x = (`, `  1 +`, `  ]`, `x`},
		want: `>>> x = 1
>>> y = 2
>>> z = x + nope
<stdin>:3:9: undefined: nope
>>> def f(a,
...       b):
...     return a // b
... 
>>> load("m.star", "m")
Traceback (most recent call last):
  <stdin>:8:1: in <toplevel>
Error: cannot load m.star: openat m.star: no such file or directory
>>> f(1, 0)
Traceback (most recent call last):
  <stdin>:9:2: in <expr>
  <stdin>:6:14: in f
Error: floored division by zero
>>> for i in range(1):
...     f(i, 0)
... 
Traceback (most recent call last):
  <stdin>:11:6: in <toplevel>
  <stdin>:6:14: in f
Error: floored division by zero
>>> x = (
...   1 +
...   ]
<stdin>:15:3: syntax error: got ']', want primary expression
>>> x
1
>>> ^D
`,
	}, {
		name:   "Ctrl-C at the prompt discards the input",
		inputs: []any{`x = 1`, ErrInterrupt, `def g():`, `    x = 2`, ErrInterrupt, `x`, `g`},
		want: `>>> x = 1
>>> ^C
>>> def g():
...     x = 2
... ^C
>>> x
1
>>> g
<stdin>:5:1: undefined: g
>>> ^D
`,
	}, {
		name:   "end of input within a block runs it",
		inputs: []any{`for i in range(2):`, `    print(i)`, io.EOF, `not read`},
		want: `>>> for i in range(2):
...     print(i)
... ^D
0
1
`,
	}, {
		name:   "end of input within brackets drops the statement",
		inputs: []any{`print(1,`, io.EOF},
		want: `>>> print(1,
... ^D
`,
	}, {
		name:   "exit ends the REPL",
		inputs: []any{`x = 1`, `exit()`, `not read`},
		want: `>>> x = 1
>>> exit()
`,
	}, {
		name:   "exit from a function",
		inputs: []any{`def quit():`, `    exit()`, ``, `quit()`, `not read`},
		want: `>>> def quit():
...     exit()
... 
>>> quit()
`,
	}, {
		name:   "the dialect options apply",
		inputs: []any{`n = 0`, `while n < 3:`, `    n += 1`, ``, `n`, `s = set([1, 1, 2])`, `len(s)`},
		want: `>>> n = 0
>>> while n < 3:
...     n += 1
... 
>>> n
3
>>> s = set([1, 1, 2])
>>> len(s)
2
>>> ^D
`,
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			var out bytes.Buffer
			s := NewSession(Options{})
			p := &fakePrompter{inputs: test.inputs, out: &out}
			if _, err := s.REPL(p, &out, &out); err != nil {
				t.Fatalf("REPL: %v", err)
			}
			if got := out.String(); got != test.want {
				t.Errorf("transcript:\n%s\nwant:\n%s", got, test.want)
			}
			if len(p.inputs) > 1 {
				t.Errorf("%d inputs left unread", len(p.inputs))
			}
		})
	}
}

// TestREPLInterrupt cancels a running input as cmd/stardbg does on SIGINT.
func TestREPLInterrupt(t *testing.T) {
	started, ch := startedBuiltin()
	s := NewSession(Options{Predeclared: starlark.StringDict{"started": started}})
	go func() {
		<-ch
		s.Cancel("interrupted")
	}()
	var out bytes.Buffer
	p := &fakePrompter{out: &out, inputs: []any{
		`y = 3`,
		`def spin():`,
		`    y = 4`,
		`    started()`,
		`    while True:`,
		`        pass`,
		``,
		`spin()`,
		`y`,
		`y = y + 1`,
		`y`,
	}}
	if _, err := s.REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := `>>> y = 3
>>> def spin():
...     y = 4
...     started()
...     while True:
...         pass
... 
>>> spin()
interrupted
>>> y
3
>>> y = y + 1
>>> y
4
>>> ^D
`
	if got := out.String(); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestREPLLoadBindsGlobally(t *testing.T) {
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{"lib/m.star": `v = "from m"`})
	var out bytes.Buffer
	s := NewSession(Options{Dir: tmp})
	p := &fakePrompter{out: &out, inputs: []any{`load("lib/m.star", "v")`, `v`, `load("../x.star", "x")`}}
	if _, err := s.REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	want := `>>> load("lib/m.star", "v")
>>> v
"from m"
>>> load("../x.star", "x")
Traceback (most recent call last):
  <stdin>:3:1: in <toplevel>
Error: cannot load ../x.star: path "../x.star" escapes the root directory ROOT
>>> ^D
`
	if got := strings.ReplaceAll(out.String(), tmp, "ROOT"); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

type failingPrompter struct{ err error }

func (p failingPrompter) Prompt(string) (string, error) { return "", p.err }

func TestREPLPrompterError(t *testing.T) {
	bad := errors.New("terminal gone")
	_, err := NewSession(Options{}).REPL(failingPrompter{bad}, io.Discard, io.Discard)
	if err != bad {
		t.Errorf("REPL error = %v, want %v", err, bad)
	}
}

func TestREPLPrintRouting(t *testing.T) {
	var printed []string
	var out bytes.Buffer
	s := NewSession(Options{Print: func(msg string) { printed = append(printed, msg) }})
	p := &fakePrompter{out: io.Discard, inputs: []any{`print("hi")`, `1`}}
	if _, err := s.REPL(p, &out, &out); err != nil {
		t.Fatal(err)
	}
	if len(printed) != 1 || printed[0] != "hi" || out.String() != "1\n" {
		t.Errorf("printed %q, out %q; want [hi] and \"1\\n\"", printed, out.String())
	}
}

// Errors go to their own writer and are counted; results and the loop go on.
func TestREPLFailures(t *testing.T) {
	var out, errs bytes.Buffer
	s := NewSession(Options{})
	p := &fakePrompter{out: io.Discard, inputs: []any{`1`, `undefined`, `)`, `print(2)`, `fail("no")`, `3`}}
	failed, err := s.REPL(p, &out, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if failed != 3 || out.String() != "1\n2\n3\n" {
		t.Errorf("failed %d, out %q; want 3 and \"1\\n2\\n3\\n\"", failed, out.String())
	}
	for _, want := range []string{"undefined: undefined", "unexpected ')'", "fail: no"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("errors %q do not say %q", errs.String(), want)
		}
	}
}
