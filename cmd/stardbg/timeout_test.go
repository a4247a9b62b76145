package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// TestTimeout runs a script that waits forever on a target that never
// stops: --timeout must stop it, print a backtrace of each of its threads
// and exit 1.
func TestTimeout(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	script := writeFile(t, "hang.star", `p = launch([argv[1], "0", "2"], stdout="null")
print("pid", p.pid)
p.run()
`)
	start := time.Now()
	r := stardbg(t, nil, "run", "--timeout", "1s", script, sleeper)
	elapsed := time.Since(start)
	if r.code != exitFail {
		t.Fatalf("exit code %d, want 1\n%v", r.code, r)
	}
	if elapsed > 30*time.Second {
		t.Errorf("stardbg took %v to time out after 1s", elapsed)
	}
	pid := strings.TrimPrefix(strings.TrimSpace(r.stdout), "pid ")
	for _, re := range []string{
		`^stardbg: timeout after 1s\n`,
		`hang.star:3:6: in <toplevel>\nError in run: timeout\n`,
		`process ` + pid + ` \(` + regexp.QuoteMeta(sleeper) + `\):\n`,
		// the main thread and two more, each with its frames
		`(?s)(  thread \d+ \(sleeper\):\n(    #\d+ +0x[0-9a-f]+ \S+.*?\n)+){3}`,
		// frames are gdb's: "#N  pc in function at file:line" or "... from module"
		`    #\d  0x[0-9a-f]{16} in nap_loop at sleeper\.c:\d+\n`,
		`    #\d  0x[0-9a-f]{16} in main at sleeper\.c:\d+\n`,
		`    #0  0x[0-9a-f]{16} in \S*nanosleep from libc\S*\n`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("stderr does not match %q\n%v", re, r)
		}
	}
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("no pid in stdout: %v", r)
	}
	waitGone(t, n)
}
