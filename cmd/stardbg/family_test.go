package main

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// familyScript stops a followed family at the fork of its last worker, and
// prints the pid of every process it traces then: the end of the script is
// left to release them.
const familyScript = `
p = launch(argv[1:], stdout="null", follow_forks=True)
p.on("fork", lambda ev: len(processes()) == 5)
ev = p.run()
assert.eq(ev.kind, "fork")
print(" ".join([str(q.pid) for q in processes()]))
`

// The end of a script kills every process of a launched family: the
// server and its 4 workers are gone, none left running or stopped.
func TestRunKillsLaunchedFamily(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	script := filepath.Join(t.TempDir(), "family.star")
	if err := os.WriteFile(script, []byte(familyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stardbg(t, nil, "run", script, bin, "server", "4", "1000")
	pids := strings.Fields(r.stdout)
	if r.code != 0 || len(pids) != 5 {
		t.Fatalf("want 5 pids:\n%v", r)
	}
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err == nil && !strings.Contains(string(b), ") Z ") {
			t.Fatalf("process %s lives on after the script: %s", pid, b)
		}
	}
}

// The end of a script detaches every process of an attached family, which
// runs on unharmed: the child reads its stdin to the end and exits 0, and
// its parent says so.
func TestRunDetachesAttachedFamily(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	cmd, out, stdin := testtarget.StartReady(t, bin, "waitfork")
	script := filepath.Join(t.TempDir(), "attach.star")
	src := `
p = attach(int(argv[1]), follow_forks=True)
p.break_at("hot")
p.on("fork", lambda ev: True)
p.poke_int("go_fork", 1, size=4)
ev = p.run()
assert.eq(ev.kind, "fork")
assert.eq(ev.child.run().kind, "breakpoint")
print(ev.child.pid, ev.child.state)
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := stardbg(t, nil, "run", script, strconv.Itoa(cmd.Process.Pid))
	if f := strings.Fields(r.stdout); r.code != 0 || len(f) != 2 || f[1] != "stopped" {
		t.Fatalf("want the child's pid, stopped:\n%v", r)
	}
	stdin.Close()
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil || string(rest) != "child_status=0\n" {
		t.Fatalf("%v, output %q", err, rest)
	}
}
