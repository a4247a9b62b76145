package core

import (
	"testing"
	"time"
)

func TestSyscallSmoke(t *testing.T) {
	e := newEngine(t)
	l := launch(t, e, "/usr/bin/ls", "-R", "/usr/share/doc/git")
	counts := map[string]int{}
	exits := 0
	bp, err := l.CatchSyscall(nil, func(th *Thread, bp *Breakpoint) bool {
		sc := th.sysAt
		if sc.exit {
			exits++
		} else {
			counts[sc.Name()]++
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(bp.Location(), l.sys.filter, l.sys.noFilter)
	l.Continue()
	ev, err := l.Wait(20 * time.Second)
	t.Log(ev, err, counts, exits)
}
