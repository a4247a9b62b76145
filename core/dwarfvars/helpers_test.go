package dwarfvars

import (
	"debug/elf"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// openTarget builds a testdata target and returns its data model.
func openTarget(t *testing.T, name string, v testtarget.Variant) (*Data, string) {
	t.Helper()
	bin := testtarget.Build(t, name, v)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	d, err := FromELF(f)
	if err != nil {
		t.Fatal(err)
	}
	return d, bin
}

// gdbBatch runs gdb in batch mode on bin (not running) and returns the
// output of each command (stdout and stderr), in order.
func gdbBatch(t *testing.T, bin string, cmds []string) []string {
	t.Helper()
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found: the comparisons with gdb are skipped")
	}
	args := []string{"-batch", "-nx"}
	for i, c := range cmds {
		args = append(args, "-ex", fmt.Sprintf("echo @@%d\\n", i), "-ex", c)
	}
	out, err := exec.Command("gdb", append(args, bin)...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	res := make([]string, len(cmds))
	cur := -1
	for _, line := range strings.Split(string(out), "\n") {
		var n int
		if _, err := fmt.Sscanf(line, "@@%d", &n); err == nil && strings.HasPrefix(line, "@@") {
			cur = n
			continue
		}
		if cur >= 0 {
			res[cur] += line + "\n"
		}
	}
	for i := range res {
		res[i] = strings.TrimRight(res[i], "\n")
	}
	return res
}
