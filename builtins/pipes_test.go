package builtins

import (
	"fmt"
	"hash/fnv"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"stardbg/script"
)

// TestExpectInterpreters drives real interactive programs line by line
// through expect: bc -q, and python3 -i (whose prompts go to stderr,
// merged into stdout here).
func TestExpectInterpreters(t *testing.T) {
	for _, c := range []struct {
		prog, src string
	}{
		{"bc", `
p = launch(["bc", "-q"], stdin="pipe", stdout="pipe", stderr="stdout")
p.write("2^64\n")
assert.eq(p.expect("(\\d+)\n"), ["18446744073709551616\n", "18446744073709551616"])
p.write("scale=5; 1/3\n")
assert.eq(p.expect("\\.(\\d+)\n")[1], "33333")
p.write("x = 6\nx * 7\n")
assert.eq(p.expect("(\\d+)\n")[1], "42")
p.write("quit\n")
if p.state == "stopped":
    p.run()
assert.eq(p.exit_code, 0)
`},
		{"python3", `
p = launch([PYTHON, "-i", "-q"], stdin="pipe", stdout="pipe", stderr="stdout")
p.expect(">>> ")
p.write("print(6 * 7)\n")
assert.eq(p.expect("(\\d+)\n>>> "), ["42\n>>> ", "42"])
p.write("for i in range(3):\n    print('line', i)\n\n")
assert.eq(p.expect("line 0\nline 1\nline (\\d)\n")[1], "2")
p.write("import sys; sys.exit(3)\n")
if p.state == "stopped":
    p.run()
assert.eq(p.exit_code, 3)
`},
	} {
		t.Run(c.prog, func(t *testing.T) {
			if _, err := exec.LookPath(c.prog); err != nil {
				t.Skipf("%s is not installed: the test drives it through expect", c.prog)
			}
			src := c.src
			if c.prog == "python3" {
				// The interpreter itself, not a wrapper that execs it
				// (pyenv's shim): expect stops at an exec.
				exe, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
				if err != nil {
					t.Fatal(err)
				}
				src = strings.Replace(src, "PYTHON", strconv.Quote(strings.TrimSpace(string(exe))), 1)
			}
			if err := execScript(t, c.prog+".star", src, sessionOptions{}); err != nil {
				t.Fatal(script.FormatError(err))
			}
		})
	}
}

// TestPipedOutput100MiB: a script launches bigwrite with stdout="pipe"
// while a breakpoint fires after every 64 KiB; the program never blocks on
// the pipe and p.output_bytes() holds all 100 MiB, hashing (FNV-1a) to what
// the program says on its stderr; and likewise while expect searches the
// output for a pattern that never matches.
func TestPipedOutput100MiB(t *testing.T) {
	fnv64 := func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var data starlark.Bytes
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "data", &data); err != nil {
			return nil, err
		}
		h := fnv.New64a()
		h.Write([]byte(data))
		return starlark.String(fmt.Sprintf("%016x", h.Sum64())), nil
	}
	src := `
p = launch([target("c/bigwrite"), "100"], stdout="pipe", stderr="pipe")
chunks = {"n": 0}
def on_chunk(t, bp):
    chunks["n"] += 1
p.break_at("chunk_written", on_hit=on_chunk)
ev = p.run(timeout=120)   # a program blocked on a full pipe would time out
assert.eq((ev.kind, ev.status), ("exited", 0))
assert.eq(chunks["n"], 1600)
out = p.output_bytes()
assert.eq(len(out), 100 << 20)
assert.eq(p.output(stream="stderr"), "bytes=%d fnv=%s\n" % (100 << 20, fnv64(out)))

# The same while an expect waits for what never comes: searching the output
# never holds up its draining, and the program ends unblocked.
# (32 MiB: a search of all of it takes seconds.)
p = launch([target("c/bigwrite"), "32"], stdout="pipe", stderr="pipe")
p.break_at("chunk_written", on_hit=on_chunk)
assert.fails(lambda: p.expect("[a-z]{40}", timeout=120), "expect: process %d exited with status 0 before stdout matched" % p.pid)
assert.eq(chunks["n"], 1600 + 32 * 16)
out = p.output_bytes()
assert.eq(len(out), 32 << 20)
assert.eq(p.output(stream="stderr"), "bytes=%d fnv=%s\n" % (32 << 20, fnv64(out)))
`
	if err := execScript(t, "bigwrite.star", src, sessionOptions{extra: map[string]builtinFn{"fnv64": fnv64}}); err != nil {
		t.Fatal(script.FormatError(err))
	}
}
