package core

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// forkCounter counts, per process, the hits of breakpoints whose OnHit it
// gives, and records the children of the fork events of a hook.
type forkCounter struct {
	hits     map[int]int // by pid
	children []*Process
	forks    map[int]int // fork events by parent pid
	stop     bool        // the hook stops at a fork event
}

func newForkCounter() *forkCounter {
	return &forkCounter{hits: map[int]int{}, forks: map[int]int{}}
}

func (fc *forkCounter) onHit(t *Thread, _ *Breakpoint) bool {
	fc.hits[t.Process().Pid()]++
	return false
}

func (fc *forkCounter) hooks() Hooks {
	return Hooks{OnEvent: func(ev *Event) bool {
		if ev.Kind == EventFork {
			fc.children = append(fc.children, ev.Child)
			fc.forks[ev.Process.Pid()]++
			return fc.stop
		}
		return false
	}}
}

// runToFork has the hook stop at a fork event, and runs p to the first.
func (fc *forkCounter) runToFork(t *testing.T, p *Process) *Event {
	t.Helper()
	fc.stop = true
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	return waitKind(t, p, EventFork)
}

// A followed fork child gets a copy of the parent's breakpoint, on the int3
// it inherited: its hits are its own, the parent's count stays exact, and
// both print what they print untraced.
func TestFollowFork(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "fork", "300")
	bp := p.Breakpoints()[0]
	runToSuccess(t, p.Process)
	if len(fc.children) != 1 {
		t.Fatalf("%d fork events, want 1", len(fc.children))
	}
	c := fc.children[0]
	if c.Parent() != p.Process || !c.Launched() || !c.FollowForks() {
		t.Fatalf("child: parent %v launched %v follows %v", c.Parent(), c.Launched(), c.FollowForks())
	}
	if fc.hits[p.Pid()] != 600 || fc.hits[c.Pid()] != 300 {
		t.Fatalf("hits %v, want 600 in the parent %d and 300 in the child %d", fc.hits, p.Pid(), c.Pid())
	}
	cbs := c.Breakpoints()
	if len(cbs) != 1 || cbs[0].ID != bp.ID || cbs[0].Hits() != 300 || bp.Hits() != 600 {
		t.Fatalf("child's breakpoints %v, hits %d; parent's %d", cbs, cbs[0].Hits(), bp.Hits())
	}
	if code, ok := c.ExitCode(); !ok || code != 0 {
		t.Fatalf("child: %v exit %d %v", c.State(), code, ok)
	}
	p.sameLines(t)
}

// Without following, nothing of the above: no fork event, no child process.
func TestNoFollowFork(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "fork", "300")
	fc := newForkCounter()
	p.SetHooks(fc.hooks())
	if _, err := p.BreakAt("hot", fc.onHit); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if len(fc.children) != 0 || len(fc.hits) != 1 || fc.hits[p.Pid()] != 600 {
		t.Fatalf("children %v hits %v, want none and 600 in %d", fc.children, fc.hits, p.Pid())
	}
	if !strings.Contains(p.output(t), "child_status=0") {
		t.Fatal(p.output(t))
	}
}

// sameLines fails unless l printed the lines an untraced run prints, in
// any order (a parent's and its child's lines interleave).
func (l *launched) sameLines(t *testing.T) {
	t.Helper()
	if got, want := sortLines(l.output(t)), sortLines(runPlain(t, l.argv[0], l.argv[1:]...)); got != want {
		t.Fatalf("output under the debugger:\n%s\nwithout:\n%s", got, want)
	}
}

// launchFollowed launches bin with args, following its forks, with fc's
// hook and a breakpoint at spec counted by fc.
func launchFollowed(t *testing.T, bin, spec string, args ...string) (*Engine, *launched, *forkCounter) {
	t.Helper()
	e := newEngine(t)
	p := launch(t, e, bin, args...)
	fc := newForkCounter()
	p.SetHooks(fc.hooks())
	p.SetFollowForks(true)
	if _, err := p.BreakAt(spec, fc.onHit); err != nil {
		t.Fatal(err)
	}
	return e, p, fc
}

// waitAnyKind waits with WaitAny for an event of kind, failing on another.
func waitAnyKind(t *testing.T, e *Engine, ps []*Process, kind EventKind) *Event {
	t.Helper()
	ev, err := e.WaitAny(ps, 60*time.Second)
	if err != nil || ev == nil || ev.Kind != kind {
		t.Fatalf("wait_any: %v %v, want %v", ev, err, kind)
	}
	return ev
}

// runFamily continues every stop of root's family (execs, breakpoints that
// stop) with WaitAny until root and each child of fc's fork events have
// ended, and returns the events by kind.
func runFamily(t *testing.T, root *Process, fc *forkCounter) map[EventKind]int {
	t.Helper()
	e := root.Engine()
	seen := map[EventKind]int{}
	if err := root.Continue(); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := e.WaitAny([]*Process{root}, 60*time.Second) // its descendants too
		if err != nil || ev == nil {
			t.Fatalf("wait_any: %v %v (events so far %v)", ev, err, seen)
		}
		seen[ev.Kind]++
		switch ev.Kind {
		case EventExited, EventKilled:
			if seen[EventExited]+seen[EventKilled] == 1+len(fc.children) {
				return seen
			}
		default:
			if err := ev.Process.Continue(); err != nil {
				t.Fatalf("continue after %v: %v", ev, err)
			}
		}
	}
}

// vfork children (posix_spawn, system) are processes once they exec: the
// fork event, then their exec, with a breakpoint by name resolved in the new
// program; the parent never misses a hit and each child exits 0.
func TestFollowSpawn(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "spawn", "100")
	if _, err := p.BreakAt("libc:exit", fc.onHit); err != nil {
		t.Fatal(err)
	}
	seen := runFamily(t, p.Process, fc)
	if len(fc.children) < 2 || fc.forks[p.Pid()] != 2 {
		t.Fatalf("fork events %v, children %d: want 2 of the parent's", fc.forks, len(fc.children))
	}
	spawned := false
	for _, c := range fc.children {
		spawned = spawned || strings.HasSuffix(c.Exe(), "/true")
	}
	if !spawned || seen[EventExec] < len(fc.children) {
		t.Fatalf("events %v: an exec for each of %d children", seen, len(fc.children))
	}
	if fc.hits[p.Pid()] != 201 {
		t.Fatalf("parent hits %d, want 200 of hot and 1 of exit", fc.hits[p.Pid()])
	}
	for _, c := range fc.children {
		// dash runs true as a builtin and leaves with _exit.
		code, ok := c.ExitCode()
		if !ok || code != 0 || strings.HasSuffix(c.Exe(), "/true") && fc.hits[c.Pid()] != 1 {
			t.Fatalf("child %d (%s): exit %d %v, %d hits of exit", c.Pid(), c.Exe(), code, ok, fc.hits[c.Pid()])
		}
	}
	if got, want := p.output(t), runPlain(t, bin, "spawn", "100"); got != want {
		t.Fatalf("output under the debugger:\n%s\nwithout:\n%s", got, want)
	}
}

// stormScript forks 200 children that exec /bin/true, and says so if one fails.
const stormScript = `for i in $(seq 200); do /bin/true || echo "true failed: $?"; done; echo done`

// A fork storm, followed: every child (seq's command substitution, then 200
// of true) is reported by a fork event and an exec, runs its copy of the
// breakpoint on libc's exit once, and exits 0; bash says only "done".
func TestForkStormFollowed(t *testing.T) {
	bash := lookPath(t, "bash")
	_, p, fc := launchFollowed(t, bash, "libc:exit", "-c", stormScript)
	seen := runFamily(t, p.Process, fc)
	n := len(fc.children)
	if n != 201 || fc.forks[p.Pid()] != 201 || seen[EventExec] != 201 || seen[EventExited] != 202 {
		t.Fatalf("%d children, fork events %v, events %v: want 201 forks, execs and child exits", n, fc.forks, seen)
	}
	trues := 0
	for _, c := range fc.children {
		if code, ok := c.ExitCode(); !ok || code != 0 || fc.hits[c.Pid()] != 1 {
			t.Fatalf("child %d (%s): exit %d %v, %d hits of exit", c.Pid(), c.Exe(), code, ok, fc.hits[c.Pid()])
		}
		if strings.HasSuffix(c.Exe(), "/true") {
			trues++
		}
	}
	if out := p.output(t); trues != 200 || out != "done\n" {
		t.Fatalf("%d children ran true; bash said %q", trues, out)
	}
	noZombies(t)
}

// The same storm unfollowed: no child is traced, none is harmed.
func TestForkStormUnfollowed(t *testing.T) {
	bash := lookPath(t, "bash")
	e := newEngine(t)
	p := launch(t, e, bash, "-c", stormScript)
	fc := newForkCounter()
	p.SetHooks(fc.hooks())
	if _, err := p.BreakAt("libc:exit", fc.onHit); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if out := p.output(t); out != "done\n" || len(fc.children) != 0 || len(fc.hits) != 1 {
		t.Fatalf("bash said %q; children %d, hits %v", out, len(fc.children), fc.hits)
	}
	if ps := e.Processes(); len(ps) != 0 {
		t.Fatalf("still traced: %v", ps)
	}
	noZombies(t)
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return path
}

// noZombies fails if the test process has a child that has exited and
// that nobody reaped.
func noZombies(t *testing.T) {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, pid := range strings.Fields(string(b)) {
			st, _ := os.ReadFile("/proc/" + pid + "/stat")
			if f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:])); len(f) > 0 && f[0] == "Z" {
				t.Fatalf("child %s is a zombie: %s", pid, st)
			}
		}
	}
}

// A pre-forking server: a breakpoint on the handler counts each request
// once, in whichever worker handled it; the parent handles none.
func TestPreforkServer(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "handle", "server", "4", "1000")
	runFamily(t, p.Process, fc)
	total := 0
	for _, c := range fc.children {
		total += fc.hits[c.Pid()]
		if code, ok := c.ExitCode(); !ok || code != 0 {
			t.Fatalf("worker %d: exit %d %v", c.Pid(), code, ok)
		}
	}
	if len(fc.children) != 4 || total != 1000 || fc.hits[p.Pid()] != 0 {
		t.Fatalf("%d workers, %d requests handled in them, %d in the parent", len(fc.children), total, fc.hits[p.Pid()])
	}
	if out := p.output(t); out != "served=1000 sum=1002000 workers_ok=4\n" {
		t.Fatalf("output %q", out)
	}
}

// A followed child's children are followed: three processes, each with its
// own count of hot, and the exit statuses go up the family as untraced.
func TestFollowGrandchild(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "grand")
	runFamily(t, p.Process, fc)
	if len(fc.children) != 2 {
		t.Fatalf("%d children, want a child and a grandchild", len(fc.children))
	}
	child, grand := fc.children[0], fc.children[1]
	if grand.Parent() != child || fc.forks[p.Pid()] != 1 || fc.forks[child.Pid()] != 1 {
		t.Fatalf("grandchild's parent %v, forks %v", grand.Parent(), fc.forks)
	}
	for _, q := range []*Process{p.Process, child, grand} {
		if fc.hits[q.Pid()] != 10 {
			t.Fatalf("hits %v: want 10 in each of %d, %d, %d", fc.hits, p.Pid(), child.Pid(), grand.Pid())
		}
	}
	cc, _ := child.ExitCode()
	gc, _ := grand.ExitCode()
	if out := p.output(t); cc != 7 || gc != 3 || out != "child_status=7\n" {
		t.Fatalf("exit codes %d and %d, output %q", cc, gc, out)
	}
}

// A parent that exits before its child: the child, traced still, goes on
// and its end is reported when it comes.
func TestFollowOrphan(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "orphan")
	runFamily(t, p.Process, fc)
	if len(fc.children) != 1 {
		t.Fatalf("%d children, want 1", len(fc.children))
	}
	c := fc.children[0]
	code, _ := c.ExitCode()
	if c.State() != Exited || code != 5 || fc.hits[c.Pid()] != 5 || fc.hits[p.Pid()] != 0 || p.output(t) != "parent_exits\n" {
		t.Fatalf("child %v %d: hits %v, output %q", c.State(), code, fc.hits, p.output(t))
	}
	noZombies(t)
}

// A fork hook that returns true stops the family: Wait returns the fork
// event, the child is stopped until continued, and both then run to their
// end with their own breakpoints.
func TestForkEventStops(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "fork", "50")
	ev := fc.runToFork(t, p.Process)
	c := ev.Child
	if c == nil || c.State() != Stopped || p.State() != Stopped || fc.hits[p.Pid()] != 50 {
		t.Fatalf("%v: child %v, parent %v, hits %v", ev, c, p.State(), fc.hits)
	}
	if ev.String() != fmt.Sprintf("fork pid=%d tid=%d child=%d", p.Pid(), p.Pid(), c.Pid()) {
		t.Fatalf("event %q", ev)
	}
	if err := c.Continue(); err != nil {
		t.Fatal(err)
	}
	if ev := waitKind(t, c, EventExited); ev.Status != 0 || fc.hits[c.Pid()] != 50 {
		t.Fatalf("child: %v, hits %v", ev, fc.hits)
	}
	runToSuccess(t, p.Process)
	if fc.hits[p.Pid()] != 100 || !strings.Contains(p.output(t), "child_status=0") {
		t.Fatalf("hits %v, output %q", fc.hits, p.output(t))
	}
}

// Detaching a stopped child takes its copies of the breakpoints out of its
// memory: it runs on untraced and unharmed (an int3 left would kill it with
// SIGTRAP, and the parent would say so), and the parent keeps counting.
func TestDetachChild(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "hot", "fork", "50")
	c := fc.runToFork(t, p.Process).Child
	if err := c.Detach(); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if c.State() != Detached || fc.hits[c.Pid()] != 0 || fc.hits[p.Pid()] != 100 {
		t.Fatalf("child %v, hits %v", c.State(), fc.hits)
	}
	p.sameLines(t)
}

// WaitAny's timeout leaves every process running and returns nothing.
func TestWaitAnyTimeout(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "0", "1")
	if _, err := e.WaitAny([]*Process{p.Process}, time.Second); err != ErrNoneRunning {
		t.Fatalf("wait_any on a stopped process: %v, want %v", err, ErrNoneRunning)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev, err := e.WaitAny([]*Process{p.Process}, 50*time.Millisecond)
	if ev != nil || err != nil || p.State() != Running {
		t.Fatalf("wait_any: %v %v, process %v; want nothing, running", ev, err, p.State())
	}
	p.Stop()
	if ev := waitAnyKind(t, e, []*Process{p.Process}, EventStopped); ev.Process != p.Process {
		t.Fatalf("%v", ev)
	}
}

// A child that gets to its end while a callback of its parent runs: its exit
// waits in its exit stop for the tracer, and is reported once the callback
// has returned; the parent's waitpid sees it exit 0. The child, stopped at
// its fork, is only continued from the callback, so it cannot end sooner.
func TestChildExitsInParentCallback(t *testing.T) {
	bin := testtarget.Build(t, "c/forker", testtarget.CO0)
	// No breakpoint the child runs: one would wait for the tracer.
	_, p, fc := launchFollowed(t, bin, "libc:waitpid", "fork", "50")
	c := fc.runToFork(t, p.Process).Child
	var inCallback string // the child's state seen in the callback
	if _, err := p.BreakAt("libc:waitpid", func(th *Thread, _ *Breakpoint) bool {
		if err := c.Continue(); err != nil {
			t.Error(err)
			return true
		}
		deadline := time.Now().Add(30 * time.Second)
		for inCallback != "t" && time.Now().Before(deadline) {
			if strings.Contains(p.output(t), "child ok") { // it has printed, and is on its way out
				inCallback = string(taskState(c.Pid(), c.Pid()))
			}
			time.Sleep(time.Millisecond)
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if code, ok := c.ExitCode(); inCallback != "t" || !ok || code != 0 {
		t.Fatalf("child in the callback: %q; then %v, exit %d", inCallback, c.State(), code)
	}
	if fc.hits[p.Pid()] != 1 || !strings.Contains(p.output(t), "child_status=0") {
		t.Fatalf("hits %v, output %q", fc.hits, p.output(t))
	}
}

// The end of the session releases a whole launched family: every process is
// killed and reaped, none is left behind, not even as a zombie of ours.
func TestCloseKillsFamily(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	e := NewEngine()
	p := launch(t, e, bin, "server", "4", "1000")
	fc := newForkCounter()
	forks := 0
	p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
		fc.hooks().OnEvent(ev)
		forks++
		return forks == 4
	}})
	p.SetFollowForks(true)
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventFork)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]*Process{p.Process}, fc.children...) {
		if q.State() != Killed {
			t.Fatalf("process %d: %v, want killed", q.Pid(), q.State())
		}
		if st := taskState(q.Pid(), q.Pid()); st != 0 && st != 'Z' {
			t.Fatalf("process %d still runs (%c)", q.Pid(), st)
		}
	}
	noZombies(t)
}

// A clone(CLONE_VM) child shares the memory for its whole life: traced with
// its parent's threads (its hits are the parent's breakpoint's), it is a
// process only to be reported, by the fork event and its exit, when it ends.
func TestFollowCloneVM(t *testing.T) {
	bin := testtarget.Build(t, "c/sharedvm", testtarget.CO0)
	for _, mode := range []string{"clone", "clone0"} { // clone0: no exit signal, reported as a clone
		t.Run(mode, func(t *testing.T) {
			_, p, fc := launchFollowed(t, bin, "hot", mode, "1000")
			seen := runFamily(t, p.Process, fc)
			if len(fc.children) != 1 || seen[EventExited] != 2 {
				t.Fatalf("%d children, events %v: want 1 and two exits", len(fc.children), seen)
			}
			c := fc.children[0]
			out := p.output(t)
			if code, ok := c.ExitCode(); !ok || code != 0 || kv(t, out, "child_status") != "0" || kv(t, out, "child_calls") != "1000" {
				t.Fatalf("child %d: %v exit %d; output %q", c.Pid(), c.State(), code, out)
			}
			if calls := kv(t, out, "calls"); fmt.Sprint(fc.hits[p.Pid()]) != calls {
				t.Fatalf("hits %v, the program counted %s calls", fc.hits, calls)
			}
		})
	}
}

// A fork hook that stops the family stops the processes already running
// too: at the third worker's fork, the first two are stopped, as if never
// continued, until the script continues them.
func TestForkStopsFamily(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	_, p, fc := launchFollowed(t, bin, "handle", "server", "4", "1000")
	p.SetHooks(Hooks{OnEvent: func(ev *Event) bool {
		fc.hooks().OnEvent(ev)
		return len(fc.children) == 3
	}})
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p.Process, EventFork)
	for _, c := range fc.children {
		if c.State() != Stopped {
			t.Fatalf("worker %d of %d: %v, want stopped", c.Pid(), len(fc.children), c.State())
		}
	}
	for _, c := range fc.children {
		if err := c.Continue(); err != nil {
			t.Fatal(err)
		}
	}
	p.SetHooks(fc.hooks())
	seen := runFamily(t, p.Process, fc)
	if len(fc.children) != 4 || seen[EventExited] != 5 {
		t.Fatalf("%d workers, events %v: want 4, and 5 exits", len(fc.children), seen)
	}
	for _, c := range fc.children {
		if code, ok := c.ExitCode(); !ok || code != 0 {
			t.Fatalf("worker %d: %v exit %d", c.Pid(), c.State(), code)
		}
	}
	if out := p.output(t); out != "served=1000 sum=1002000 workers_ok=4\n" {
		t.Fatalf("output %q", out)
	}
}

// An attached process's followed children are attached too: the end of the
// session detaches the whole family, which goes on unharmed.
func TestCloseDetachesAttachedFamily(t *testing.T) {
	bin := testtarget.Build(t, "c/prefork", testtarget.CO0)
	cmd, r, stdin := testtarget.StartReady(t, bin, "waitfork")
	e := NewEngine()
	defer e.Close()
	p, err := e.Attach(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	fc := newForkCounter()
	p.SetHooks(fc.hooks())
	p.SetFollowForks(true)
	if _, err := p.BreakAt("hot", func(th *Thread, bp *Breakpoint) bool {
		fc.onHit(th, bp)
		return fc.hits[th.Process().Pid()] == 3
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteMemory(symAddr(t, p, bin, "go_fork"), []byte{1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	c := fc.runToFork(t, p).Child
	if c.Launched() {
		t.Fatal("the child of an attached process counts as launched")
	}
	if err := c.Continue(); err != nil {
		t.Fatal(err)
	}
	if ev := waitAnyKind(t, e, []*Process{p}, EventBreakpoint); ev.Process != c {
		t.Fatalf("%v, want the child's third hit", ev)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if p.State() != Detached || c.State() != Detached || fc.hits[c.Pid()] != 3 {
		t.Fatalf("parent %v, child %v, hits %v", p.State(), c.State(), fc.hits)
	}
	stdin.Close() // the child reads to the end of it, and exits
	rest, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil || string(rest) != "child_status=0\n" {
		t.Fatalf("%v, output %q", err, rest)
	}
}
