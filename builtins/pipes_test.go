package builtins

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

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
