package script

import (
	"io"
	"slices"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// completeEnv returns predeclared values shaped like the debugger API.
func completeEnv(called *bool) starlark.StringDict {
	method := func(name string) *starlark.Builtin {
		return starlark.NewBuiltin(name, func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			*called = true
			return starlark.None, nil
		})
	}
	regs := starlarkstruct.FromStringDict(starlark.String("regs"), starlark.StringDict{
		"rax": starlark.MakeInt(1), "rip": starlark.MakeInt(2), "rsp": starlark.MakeInt(3),
	})
	thread := starlarkstruct.FromStringDict(starlark.String("thread"), starlark.StringDict{
		"id": starlark.MakeInt(7), "regs": regs, "step": method("step"),
	})
	proc := starlarkstruct.FromStringDict(starlark.String("process"), starlark.StringDict{
		"pid":         starlark.MakeInt(4242),
		"break_at":    method("break_at"),
		"breakpoints": method("breakpoints"),
		"threads":     starlark.NewList([]starlark.Value{thread}),
		"threads_fn":  method("threads_fn"),
	})
	d := starlark.NewDict(1)
	d.SetKey(starlark.String("k"), starlark.String("text"))
	return starlark.StringDict{"p": proc, "process_count": starlark.MakeInt(1), "d": d, "boom": method("boom")}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		line     string
		pos      int // -1: end of line
		wantHead string
		want     []string
		wantTail string
	}{
		{"pri", -1, "", []string{"print("}, ""},
		{"p", -1, "", []string{"p", "pass", "print(", "process_count"}, ""},
		{"whi", -1, "", []string{"while"}, ""},
		{"json", -1, "", []string{"json"}, ""},
		{"x = ass", -1, "x = ", []string{"assert"}, ""},
		{"p.br", -1, "p.", []string{"break_at(", "breakpoints("}, ""},
		{"x = p.br", -1, "x = p.", []string{"break_at(", "breakpoints("}, ""},
		{"p.br + 1", 4, "p.", []string{"break_at(", "breakpoints("}, " + 1"},
		{"p.", -1, "p.", []string{"break_at(", "breakpoints(", "pid", "threads", "threads_fn("}, ""},
		{"p.threads[0].regs.r", -1, "p.threads[0].regs.", []string{"rax", "rip", "rsp"}, ""},
		{"print(p.threads[-1].i", -1, "print(p.threads[-1].", []string{"id"}, ""},
		{"p.threads[0].st", -1, "p.threads[0].", []string{"step("}, ""},
		{`d["k"].up`, -1, `d["k"].`, []string{"upper("}, ""},
		{"assert.f", -1, "assert.", []string{"fails("}, ""},
		{"é = p.pi", -1, "é = p.", []string{"pid"}, ""},
		// Nothing is called, and what cannot be evaluated completes to nothing.
		{"boom().x", -1, "boom().", nil, ""},
		{"p.threads_fn()[0].i", -1, "p.threads_fn()[0].", nil, ""},
		{"p.threads[5].i", -1, "p.threads[5].", nil, ""},
		{"nosuch.x", -1, "nosuch.", nil, ""},
		{"p.nosuch.x", -1, "p.nosuch.", nil, ""},
		{"1.", -1, "1.", nil, ""},
		{"x[0", -1, "x[", nil, ""},
		{"p[0]", -1, "p[0]", nil, ""},
		{"zzz", -1, "", nil, ""},
		// The argument of help( gets no "(".
		{"help(p.br", -1, "help(p.", []string{"break_at", "breakpoints"}, ""},
		{"x = help( p.threads[0].st", -1, "x = help( p.threads[0].", []string{"step"}, ""},
		{"help(pri", -1, "help(", []string{"print"}, ""},
		{"print(p.br", -1, "print(p.", []string{"break_at(", "breakpoints("}, ""},
		// A string as a call's first argument completes with the hook.
		{`p.break_at("ho`, -1, `p.break_at("`, []string{"hot", "hotter"}, ""},
		{`bp = p.break_at( 'm`, -1, `bp = p.break_at( '`, []string{"main"}, ""},
		{`p.break_at("ho")`, 14, `p.break_at("`, []string{"hot", "hotter"}, `")`},
		{`p.break_at("`, -1, `p.break_at("`, []string{"hot", "hotter", "main"}, ""},
		{`p.breakpoints("ho`, -1, `p.breakpoints("`, nil, ""},
		{`p.break_at(x, "ho`, -1, `p.break_at(x, "`, nil, ""},
		{`p.break_at(["ho`, -1, `p.break_at(["`, []string{"hot", "hotter"}, ""},
		{`p.break_at(["main", 'ho`, -1, `p.break_at(["main", '`, []string{"hot", "hotter"}, ""},
		{`p.break_at([x("ho`, -1, `p.break_at([x("`, nil, ""},
		{`p.break_at("a\"b`, -1, `p.break_at("`, nil, ""},
		{`nosuch("ho`, -1, `nosuch("`, nil, ""},
		{`boom()("ho`, -1, `boom()("`, nil, ""},
		// Within another string, nothing completes; after one, as usual.
		{`print("p.br`, -1, `print("`, nil, ""},
		{`"a(" + p.br`, -1, `"a(" + p.`, []string{"break_at(", "breakpoints("}, ""},
	}
	called := false
	runs := 0
	s := NewSession(Options{
		Predeclared: completeEnv(&called),
		Run:         func(fn func()) { runs++; fn() },
		CompleteString: func(fn starlark.Value, prefix string) []string {
			if b, ok := fn.(*starlark.Builtin); !ok || b.Name() != "break_at" {
				return nil
			}
			var names []string
			for _, name := range []string{"hot", "hotter", "main"} {
				if strings.HasPrefix(name, prefix) {
					names = append(names, name)
				}
			}
			return names
		},
	})
	for _, test := range tests {
		pos := test.pos
		if pos < 0 {
			pos = len([]rune(test.line))
		}
		head, got, tail := s.Complete(test.line, pos)
		if head != test.wantHead || !slices.Equal(got, test.want) || tail != test.wantTail {
			t.Errorf("Complete(%q, %d) = %q, %q, %q; want %q, %q, %q",
				test.line, pos, head, got, tail, test.wantHead, test.want, test.wantTail)
		}
	}
	if called {
		t.Error("Complete called a function")
	}
	if runs == 0 {
		t.Error("Complete did not evaluate through the Run hook")
	}
}

// completingPrompter asks for completions at its second prompt.
type completingPrompter struct {
	s     *Session
	n     int
	heads []string
	got   [][]string
}

func (p *completingPrompter) Prompt(string) (string, error) {
	p.n++
	switch p.n {
	case 1:
		return "my_var = [1]", nil
	case 2:
		head, got, _ := p.s.Complete("my_var.app", 10)
		p.heads, p.got = append(p.heads, head), append(p.got, got)
		head, got, _ = p.s.Complete("my_", 3)
		p.heads, p.got = append(p.heads, head), append(p.got, got)
		head, got, _ = p.s.Complete("exi", 3)
		p.heads, p.got = append(p.heads, head), append(p.got, got)
	}
	return "", io.EOF
}

func TestCompleteInREPL(t *testing.T) {
	s := NewSession(Options{})
	p := &completingPrompter{s: s}
	if _, err := s.REPL(p, io.Discard, io.Discard); err != nil {
		t.Fatalf("REPL: %v", err)
	}
	want := [][]string{{"append("}, {"my_var"}, {"exit("}}
	if !slices.EqualFunc(p.got, want, slices.Equal) || !slices.Equal(p.heads, []string{"my_var.", "", ""}) {
		t.Errorf("completions %q with heads %q, want %q", p.got, p.heads, want)
	}
	// Outside the REPL, its globals are gone.
	if _, got, _ := s.Complete("my_", 3); got != nil {
		t.Errorf("after the REPL, Complete(my_) = %q, want none", got)
	}
}
