package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// writeFiles writes files (slash-separated path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		main    string // file to execute
		dir     string // Options.Dir, relative to the temp dir ("" = unset)
		want    string // value of the global "result", in Starlark repr
		wantErr string // expected error message, with ROOT for the temp dir
	}{{
		name: "relative",
		files: map[string]string{
			"main.star":  `load("lib/a.star", "a")` + "\nresult = a",
			"lib/a.star": `a = "from a"`,
		},
		main: "main.star",
		want: `"from a"`,
	}, {
		name: "nested loads resolve relative to the loader",
		files: map[string]string{
			"main.star":  `load("lib/a.star", "a")` + "\nresult = a",
			"lib/a.star": `load("b.star", "b")` + "\na = b + [\"a\"]",
			"lib/b.star": `load("../c.star", "c")` + "\nb = c + [\"b\"]",
			"c.star":     `c = ["c"]`,
		},
		main: "main.star",
		want: `["c", "b", "a"]`,
	}, {
		name: "shared predeclared names",
		files: map[string]string{
			"main.star": `load("m.star", "f")` + "\nresult = f()",
			"m.star":    "def f():\n    assert.eq(answer, 42)\n    return json.encode([answer])",
		},
		main: "main.star",
		want: `"[42]"`,
	}, {
		name: "Dir is the root, loads from a subdirectory may go up to it",
		files: map[string]string{
			"tests/main.star": `load("../lib/x.star", "x")` + "\nresult = x",
			"lib/x.star":      `x = 1`,
		},
		main: "tests/main.star",
		dir:  ".",
		want: `1`,
	}, {
		name: "cycle",
		files: map[string]string{
			"main.star": `load("a.star", "a")`,
			"a.star":    `load("b.star", "b")` + "\na = 1",
			"b.star":    `load("a.star", "a")` + "\nb = 1",
		},
		main:    "main.star",
		wantErr: `cannot load a.star: cannot load b.star: cannot load a.star: cycle in load graph: a.star -> b.star -> a.star`,
	}, {
		name: "cycle through the main file",
		files: map[string]string{
			"main.star": `load("b.star", "b")`,
			"b.star":    `load("main.star", "x")`,
		},
		main:    "main.star",
		wantErr: `cannot load b.star: cannot load main.star: cycle in load graph: main.star -> b.star -> main.star`,
	}, {
		name: "dot-dot out of the root",
		files: map[string]string{
			"sub/main.star": `load("../x.star", "x")`,
			"x.star":        `x = 1`,
		},
		main:    "sub/main.star",
		wantErr: `cannot load ../x.star: path "../x.star" escapes the root directory ROOT/sub`,
	}, {
		name: "dot-dot out of Dir",
		files: map[string]string{
			"sub/main.star": `load("../../x.star", "x")`,
		},
		main:    "sub/main.star",
		dir:     ".",
		wantErr: `cannot load ../../x.star: path "../../x.star" escapes the root directory ROOT`,
	}, {
		name: "absolute path",
		files: map[string]string{
			"main.star": `load("/etc/passwd", "x")`,
		},
		main:    "main.star",
		wantErr: `cannot load /etc/passwd: absolute path "/etc/passwd" not allowed: load paths are relative to the loading script`,
	}, {
		name: "missing module",
		files: map[string]string{
			"main.star": `load("nope.star", "x")`,
		},
		main:    "main.star",
		wantErr: `cannot load nope.star: openat nope.star: no such file or directory`,
	}, {
		name: "missing name",
		files: map[string]string{
			"main.star": `load("m.star", "y")`,
			"m.star":    `x = 1`,
		},
		main:    "main.star",
		wantErr: `load: name y not found in module m.star`,
	}}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			tmp := t.TempDir()
			writeFiles(t, tmp, test.files)
			opts := Options{Predeclared: starlark.StringDict{"answer": starlark.MakeInt(42)}}
			if test.dir != "" {
				opts.Dir = filepath.Join(tmp, test.dir)
			}
			s := NewSession(opts)
			globals, err := s.ExecFile(filepath.Join(tmp, test.main), nil)
			if test.wantErr != "" {
				want := strings.ReplaceAll(test.wantErr, "ROOT", tmp)
				if err == nil || err.Error() != want {
					t.Fatalf("error = %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(FormatError(err))
			}
			if got := globals["result"].String(); got != test.want {
				t.Errorf("result = %s, want %s", got, test.want)
			}
		})
	}
}

func TestLoadCachedPerSession(t *testing.T) {
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{
		"main.star": `load("a.star", "a")` + "\n" + `load("b.star", "b")` + "\nresult = [a, b]",
		"a.star":    `print("loading a")` + "\na = []",
		"b.star":    `load("a.star", "a")` + "\nb = a",
	})
	var printed []string
	s := NewSession(Options{Print: func(msg string) { printed = append(printed, msg) }})
	for range 2 {
		if _, err := s.ExecFile(filepath.Join(tmp, "main.star"), nil); err != nil {
			t.Fatal(FormatError(err))
		}
	}
	if len(printed) != 1 {
		t.Errorf("a.star printed %q, want it executed once", printed)
	}
}

func TestLoadRefusesSymlinkOutOfRoot(t *testing.T) {
	tmp := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.star": `secret = 1`})
	writeFiles(t, tmp, map[string]string{"main.star": `load("link.star", "secret")`})
	if err := os.Symlink(filepath.Join(outside, "secret.star"), filepath.Join(tmp, "link.star")); err != nil {
		t.Fatal(err)
	}
	_, err := NewSession(Options{}).ExecFile(filepath.Join(tmp, "main.star"), nil)
	if err == nil || !strings.Contains(err.Error(), "path escapes from parent") {
		t.Fatalf("error = %v, want the symlink refused", err)
	}
}

func TestLoadErrorBacktrace(t *testing.T) {
	tmp := t.TempDir()
	writeFiles(t, tmp, map[string]string{
		"main.star": `load("m.star", "x")`,
		"m.star":    "def f():\n    return 1 // 0\nx = f()\n",
	})
	s := NewSession(Options{Dir: tmp})
	_, err := s.ExecFile(filepath.Join(tmp, "main.star"), nil)
	got := strings.ReplaceAll(FormatError(err), tmp+"/", "")
	want := `Traceback (most recent call last):
  main.star:1:1: in <toplevel>
  m.star:3:6: in <toplevel>
  m.star:2:14: in f
Error: cannot load m.star: floored division by zero`
	if got != want {
		t.Errorf("FormatError =\n%s\nwant\n%s", got, want)
	}
}
