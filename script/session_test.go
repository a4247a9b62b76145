package script

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

func TestPrint(t *testing.T) {
	var got []string
	s := NewSession(Options{Print: func(msg string) { got = append(got, msg) }})
	if _, err := s.ExecFile("p.star", `print("a", 1)`+"\n"+`print("b")`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a 1", "b"}; !slices.Equal(got, want) {
		t.Errorf("Print got %q, want %q", got, want)
	}

	var buf bytes.Buffer
	s = NewSession(Options{Stdout: &buf})
	if _, err := s.ExecFile("p.star", `print("to stdout")`); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "to stdout\n"; got != want {
		t.Errorf("Stdout got %q, want %q", got, want)
	}
}

func TestRunHook(t *testing.T) {
	inRun, calls := false, 0
	check := starlark.NewBuiltin("check", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.Bool(inRun), nil
	})
	s := NewSession(Options{
		Predeclared: starlark.StringDict{"check": check},
		Run: func(fn func()) {
			calls++
			inRun = true
			fn()
			inRun = false
		},
	})
	globals, err := s.ExecFile("r.star", "assert.true(check())\ndef f():\n    return check()")
	if err != nil {
		t.Fatal(FormatError(err))
	}
	v, err := s.Call(globals["f"].(starlark.Callable))
	if err != nil {
		t.Fatal(err)
	}
	if v != starlark.True || calls != 2 {
		t.Errorf("f() = %v after %d Run calls, want True after 2", v, calls)
	}
}

func TestPredeclared(t *testing.T) {
	s := NewSession(Options{Predeclared: starlark.StringDict{"json": starlark.String("overridden")}})
	src := `
assert.eq(argv, ["x.star", "-v", "a"])
assert.eq(json, "overridden")
assert.eq(math.floor(2.5), 2)
assert.eq(time.second // time.millisecond, 1000)
s = set([1, 2])
n = 0
while n < 3:
    n += 1
assert.eq(n, 3)
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)
assert.eq(fact(5), 120)
sleep(0)
sleep(0.001)
`
	if _, err := s.ExecFile("x.star", src, "-v", "a"); err != nil {
		t.Fatal(FormatError(err))
	}
	for src, want := range map[string]string{
		`sleep(-1)`:    "sleep: negative duration -1",
		`sleep("1")`:   "sleep: for parameter seconds: got string, want int, float or time.duration",
		`sleep(1e300)`: "sleep: invalid duration 1e+300",
	} {
		if _, err := s.ExecFile("x.star", src); err == nil || err.Error() != want {
			t.Errorf("%s: error = %v, want %s", src, err, want)
		}
	}
}

func TestCallAndTestNames(t *testing.T) {
	src := `
calls = []
def test_b():
    calls.append("b")  # globals are frozen after ExecFile
def helper():
    pass
def test_a():
    return "a"
test_value = 1
test_lambda = lambda: 0
`
	s := NewSession(Options{})
	globals, err := s.ExecFile("t.star", src)
	if err != nil {
		t.Fatal(err)
	}
	names := TestNames(globals)
	if want := []string{"test_b", "test_a", "test_lambda"}; !slices.Equal(names, want) {
		t.Errorf("TestNames = %q, want %q", names, want)
	}
	v, err := s.Call(globals["test_a"].(starlark.Callable))
	if err != nil || v != starlark.String("a") {
		t.Errorf("Call(test_a) = %v, %v; want \"a\"", v, err)
	}
	_, err = s.Call(globals["test_b"].(starlark.Callable))
	if want := "append: cannot append to frozen list"; err == nil || err.Error() != want {
		t.Errorf("Call(test_b) error = %v, want %s", err, want)
	}
}

func TestFormatError(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"x = 1 +", "f.star:1:8: syntax error: got end of file, want primary expression"},
		{"x = 1\n  y = 2", "f.star:2:3: syntax error: got indent, want primary expression"},
		{"x = = 1", "f.star:1:5: syntax error: got '=', want primary expression"},
		{"x = a\ny = b", "f.star:1:5: undefined: a\nf.star:2:5: undefined: b"},
		{"def f():\n    return 1 // 0\nf()", `Traceback (most recent call last):
  f.star:3:2: in <toplevel>
  f.star:2:14: in f
Error: floored division by zero`},
		{`assert.eq(1, 2)`, `Traceback (most recent call last):
  f.star:1:10: in <toplevel>
Error: assert.eq: 1 != 2`},
		// A builtin whose message does not name it is named by the trace.
		{`bare()`, `Traceback (most recent call last):
  f.star:1:5: in <toplevel>
Error in bare: oops`},
		// A failed load names the builtin once too, from inside the module.
		{`load("m.star", "m")`, `Traceback (most recent call last):
  f.star:1:1: in <toplevel>
  m.star:1:10: in <toplevel>
Error: cannot load m.star: assert.eq: 1 != 2`},
		// Updating a module's state from a function says why it cannot
		// and shows how.
		{"count = 0\ndef on_hit():\n    count += 1\non_hit()", `Traceback (most recent call last):
  f.star:4:7: in <toplevel>
  f.star:3:5: in on_hit
Error: local variable count referenced before assignment
Note: the function assigns count, which makes count local to it: a function cannot
assign a module global (Starlark has no "global" statement), and module globals are
frozen once their file has finished loading. Keep the state in a dict and update it:
    counts = {"n": 0}         # at module level (in a test_ function: inside the test)
    counts["n"] += 1          # in the callback`},
		{"argv.append(1)", `Traceback (most recent call last):
  f.star:1:12: in <toplevel>
Error: append: cannot append to frozen list
Note: module globals, and the dicts and lists they hold, are frozen once their file
has finished loading, so a function that runs later (a test_ function, its callbacks)
cannot change them. Make the state inside the function that runs and let the callbacks
defined there update it:
    counts = {"n": 0}         # inside the test_ function
    counts["n"] += 1          # in a callback defined in it`},
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"m.star": "assert.eq(1, 2)\nm = 1"})
	bare := starlark.NewBuiltin("bare", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return nil, errors.New("oops")
	})
	for _, test := range tests {
		s := NewSession(Options{Dir: dir, Predeclared: starlark.StringDict{"bare": bare}})
		_, err := s.ExecFile(filepath.Join(dir, "f.star"), test.src)
		if err == nil {
			t.Errorf("%q: no error", test.src)
			continue
		}
		if got := strings.ReplaceAll(FormatError(err), dir+"/", ""); got != test.want {
			t.Errorf("%q: FormatError =\n%s\nwant\n%s", test.src, got, test.want)
		}
	}
	if got := FormatError(nil); got != "" {
		t.Errorf("FormatError(nil) = %q", got)
	}
}
