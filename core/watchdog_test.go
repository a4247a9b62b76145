package core

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// watchdog fails the whole test binary, with every goroutine's stack, if the
// returned stop function is not called within d: a hang in the engine cannot
// be reported by the hung test itself.
func watchdog(t *testing.T, d time.Duration) (stop func()) {
	t.Helper()
	name := t.Name()
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("%s hung for %v; processes:\n%s\ngoroutines:\n%s", name, d, related(), buf))
	})
	return func() { timer.Stop() }
}

// related describes the processes that are children or tracees of this one,
// for the report of a hang.
func related() string {
	var b strings.Builder
	me := strconv.Itoa(os.Getpid())
	for _, tid := range listTasks(os.Getpid()) {
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%s/task/%d/children", me, tid))
		if len(strings.TrimSpace(string(kids))) > 0 {
			fmt.Fprintf(&b, "thread %d has children %s\n", tid, strings.TrimSpace(string(kids)))
		}
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		for _, tid := range listTasks(pid) {
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))
			var state, tracer, ppid string
			for _, l := range strings.Split(string(status), "\n") {
				k, v, _ := strings.Cut(l, ":")
				switch k {
				case "State":
					state = strings.TrimSpace(v)
				case "TracerPid":
					tracer = strings.TrimSpace(v)
				case "PPid":
					ppid = strings.TrimSpace(v)
				}
			}
			if ppid == me || (tracer != "0" && tracer != "" && listTasksHas(os.Getpid(), tracer)) {
				fmt.Fprintf(&b, "pid %d tid %d state %s tracer %s ppid %s\n", pid, tid, state, tracer, ppid)
			}
		}
	}
	return b.String()
}

func listTasksHas(pid int, tid string) bool {
	for _, t := range listTasks(pid) {
		if strconv.Itoa(t) == tid {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or d has passed, and reports whether it held.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}
