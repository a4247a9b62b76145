package core

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/internal/testtarget"
)

// A stepStop is where a source step stopped: the function and the offset
// of the pc in it, and the line.
type stepStop struct {
	fn   string
	off  uint64
	file string
	line int
}

func (s stepStop) String() string {
	return fmt.Sprintf("%s+%d %s:%d", s.fn, s.off, filepath.Base(s.file), s.line)
}

// gdbStepScript drives gdb: it stops where START says (a breakpoint
// location), then repeats CMD, printing where each stop is, until the pc
// leaves the files FILE (base names, separated by commas) or the program
// ends. libc's separate debug file is
// kept from gdb (debug-file-directory), as stardbg reads no line table
// from it: both then step over libc's functions.
const gdbStepScript = `
import gdb, os
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("break " + os.environ["START"])
gdb.execute("run")
gdb.execute("delete")
for i in range(int(os.environ.get("MAX", "500"))):
    if not gdb.selected_inferior().pid:
        print("@@exited")
        break
    f = gdb.newest_frame()
    sal = f.find_sal()
    name = f.name() or "?"
    start = f.function().value().address if f.function() else None
    off = int(f.pc()) - int(start) if start is not None else -1
    fname = sal.symtab.filename if sal.symtab else "?"
    print("@@at %s %d %s %d" % (name, off, fname, sal.line))
    if os.path.basename(fname) not in os.environ["FILE"].split(","):
        break
    try:
        gdb.execute(os.environ["CMD"])
    except gdb.error as e:
        print("@@error %s" % e)
        break
`

var gdbAtRE = regexp.MustCompile(`^@@at (\S+) (-?\d+) (\S+) (\d+)$`)

// gdbSteps runs gdbStepScript on bin and returns the stops and the values
// finish printed ("Value returned is $1 = 6" gives "6"), which gdb prints
// itself, not into the output a Python script can capture.
func gdbSteps(t *testing.T, bin, start, cmd, file string, max int) (stops []stepStop, values []string) {
	t.Helper()
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found: it is the oracle of source stepping (apt-get install gdb)")
	}
	script := filepath.Join(t.TempDir(), "steps.py")
	if err := os.WriteFile(script, []byte(gdbStepScript), 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("gdb", "-nx", "-batch", "-ex", "set debug-file-directory /nonexistent", "-x", script, bin)
	c.Env = append(os.Environ(), "START="+start, "CMD="+cmd, "FILE="+file, "MAX="+strconv.Itoa(max))
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if m := gdbAtRE.FindStringSubmatch(l); m != nil {
			off, _ := strconv.ParseInt(m[2], 10, 64)
			line, _ := strconv.Atoi(m[4])
			stops = append(stops, stepStop{fn: m[1], off: uint64(off), file: filepath.Base(m[3]), line: line})
		} else if v, ok := strings.CutPrefix(l, "Value returned is "); ok {
			_, v, _ = strings.Cut(v, " = ")
			values = append(values, v)
		}
	}
	if len(stops) == 0 {
		t.Fatalf("gdb stopped nowhere:\n%s", out)
	}
	return stops, values
}

// stopOf says where th is stopped, as gdbSteps does.
func stopOf(t *testing.T, th *Thread) stepStop {
	t.Helper()
	tab, err := th.Process().Symbols()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := th.PC()
	if err != nil {
		t.Fatal(err)
	}
	var s stepStop
	var fn string
	s.file, s.line, fn, _ = tab.PCToLine(pc)
	s.fn, s.off = "?", ^uint64(0)
	if f := tab.PCToFunc(pc); f != nil && fn != "" {
		s.fn, s.off = f.Name, f.Offset
	}
	s.file = filepath.Base(s.file)
	if s.file == "." {
		s.file = "?"
	}
	return s
}

// stopAtBody launches bin and runs it to where gdb's "break fn" stops.
func stopAtBody(t *testing.T, e *Engine, bin, fn string) (*launched, *Thread) {
	t.Helper()
	p := launch(t, e, bin)
	tab, err := p.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	locs, err := tab.LookupFunc(fn)
	if err != nil || len(locs) != 1 {
		t.Fatalf("LookupFunc(%s) = %v, %v", fn, locs, err)
	}
	bp, err := p.SetBreakpoint(locs[0].Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := contWait(t, p.Process)
	if ev.Kind != EventBreakpoint || ev.Breakpoint != bp {
		t.Fatalf("run to %s: %v", fn, ev)
	}
	if err := bp.Clear(); err != nil {
		t.Fatal(err)
	}
	return p, ev.Thread
}

func contWait(t *testing.T, p *Process) *Event {
	t.Helper()
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev, err := p.Wait(0)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// stepSeq repeats step from where th stands, recording each stop, until
// the pc leaves file or the process ends, as gdbStepScript does.
func stepSeq(t *testing.T, th *Thread, file string, max int, step func(*Thread) (*Event, error)) []stepStop {
	t.Helper()
	var stops []stepStop
	for i := 0; i < max; i++ {
		s := stopOf(t, th)
		stops = append(stops, s)
		if !inFiles(s, file) {
			break
		}
		ev, err := step(th)
		if err != nil {
			t.Fatalf("after %d steps (at %s): %v", i, s, err)
		}
		if ev.Kind == EventExited {
			break
		}
		if ev.Kind != EventStep {
			t.Fatalf("after %d steps (at %s): event %v", i, s, ev)
		}
		th = ev.Thread
	}
	return stops
}

// inFiles says whether s is in one of files, base names separated by
// commas.
func inFiles(s stepStop, files string) bool {
	return slices.Contains(strings.Split(files, ","), s.file)
}

// compareStops compares the stops in the program's files: where the step
// leaves it (into libc), the two differ in what they know of libc (gdb
// without its debug file has no name for __libc_start_call_main, and steps
// out of it to the exit).
func compareStops(t *testing.T, what, file string, got, want []stepStop) {
	t.Helper()
	inFile := func(ss []stepStop) []stepStop {
		var in []stepStop
		for _, s := range ss {
			if !inFiles(s, file) {
				break
			}
			in = append(in, s)
		}
		return in
	}
	got, want = inFile(got), inFile(want)
	bad := 0
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w stepStop
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s: stop %d is %s, gdb's is %s", what, i, g, w)
			if bad++; bad > 5 {
				break
			}
		}
	}
	if bad > 0 || testing.Verbose() {
		t.Logf("%s: stardbg %v", what, got)
		t.Logf("%s: gdb      %v", what, want)
	}
}

// TestNextMatchesGDB steps c/stepper with Next from main's first line to
// the end, and with StepIn, and compares every stop (function, offset and
// line) with gdb's next and step on the same binary.
func TestNextMatchesGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		bin := testtarget.Build(t, "c/stepper", v)
		for _, c := range []struct {
			cmd  string
			step func(*Thread) (*Event, error)
		}{
			{"next", (*Thread).Next},
			{"step", (*Thread).StepIn},
		} {
			t.Run(v.String()+"/"+c.cmd, func(t *testing.T) {
				stepsLikeGDB(t, bin, "main", c.cmd, "stepper.c", c.step)
			})
		}
	}
}

// TestNextRecursionMatchesGDB steps with Next from inside fact(5), over its
// recursive call: the returns of the deeper calls pass the internal
// breakpoint at the return address, which stops only fact(5)'s frame.
func TestNextRecursionMatchesGDB(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	stepsLikeGDB(t, bin, "fact", "next", "stepper.c", (*Thread).Next)
}

// stepsLikeGDB stops bin where gdb's "break fn" does, repeats step until
// the pc leaves files (or the program ends), compares the stops with those
// of gdb's cmd, and returns them.
func stepsLikeGDB(t *testing.T, bin, fn, cmd, files string, step func(*Thread) (*Event, error)) []stepStop {
	t.Helper()
	want, _ := gdbSteps(t, bin, fn, cmd, files, 300)
	e := newEngine(t)
	_, th := stopAtBody(t, e, bin, fn)
	got := stepSeq(t, th, files, 300, step)
	compareStops(t, cmd, files, got, want)
	return got
}

// stopInFact launches c/stepper and runs it to where gdb's "break fact if
// n == N" stops.
func stopInFact(t *testing.T, e *Engine, bin string, n uint64) (*launched, *Thread) {
	t.Helper()
	p := launch(t, e, bin)
	tab, err := p.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	locs, err := tab.LookupFunc("fact")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := p.SetBreakpoint(locs[0].Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	bp.Cond = func(th *Thread, _ *Breakpoint) bool { rdi, _ := th.Reg(RDI); return rdi == n }
	ev := contWait(t, p.Process)
	if ev.Kind != EventBreakpoint {
		t.Fatalf("run to fact(%d): %v", n, ev)
	}
	bp.Clear()
	return p, ev.Thread
}

// TestFinishMatchesGDB runs Finish from fact(2) out to main, each return
// (to the recursive caller's frame, then to main) where gdb's finish
// stops, with the value gdb prints ("Value returned") in rax.
func TestFinishMatchesGDB(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	want, values := gdbSteps(t, bin, "fact if n == 2", "finish", "stepper.c", 20)
	e := newEngine(t)
	_, th := stopInFact(t, e, bin, 2)
	var rets []string
	got := stepSeq(t, th, "stepper.c", 20, func(th *Thread) (*Event, error) {
		ev, err := th.Finish()
		if err == nil && ev.Kind == EventStep {
			rax, _ := ev.Thread.Reg(RAX)
			rets = append(rets, strconv.FormatInt(int64(rax), 10))
		}
		return ev, err
	})
	compareStops(t, "finish", "stepper.c", got, want)
	// The values of the returns into fact and main (gdb prints none for
	// the return out of main, into a caller it cannot name).
	if len(values) != 4 || len(rets) < 4 || strings.Join(values, " ") != strings.Join(rets[:4], " ") {
		t.Errorf("finish returned %v in rax, gdb's values are %v", rets, values)
	}
}

// TestUntilRecursion runs Until a line of fact from fact(3): deeper calls
// reach the line first, and do not count; fact(3)'s frame does. Until to a
// line never reached in the frame stops when the frame returns.
func TestUntilRecursion(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	want, _ := gdbSteps(t, bin, "fact if n == 3", "until stepper.c:"+strconv.Itoa(testtarget.Line(t, "c/stepper.c", "fact-ret")), "stepper.c", 2)
	e := newEngine(t)
	p, th := stopInFact(t, e, bin, 3)
	tab, err := p.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	ret, err := tab.LineToPC("stepper.c", testtarget.Line(t, "c/stepper.c", "fact-ret"))
	if err != nil || len(ret) != 1 {
		t.Fatalf("LineToPC: %v %v", ret, err)
	}
	got := []stepStop{stopOf(t, th)}
	ev, err := th.Until([]uint64{ret[0].Addr})
	if err != nil || ev.Kind != EventStep {
		t.Fatalf("Until: %v, %v", ev, err)
	}
	got = append(got, stopOf(t, ev.Thread))
	compareStops(t, "until", "stepper.c", got, want)
	// fact(3) returns 6: rax holds n * fact(n-1) at the closing line.
	if rax, _ := ev.Thread.Reg(RAX); rax != 6 {
		t.Errorf("until stopped in the frame whose rax is %d, not fact(3)'s 6", rax)
	}
	// Until main's last line from fact(3): the frame returns first.
	done, err := tab.LineToPC("stepper.c", testtarget.Line(t, "c/stepper.c", "main-done"))
	if err != nil {
		t.Fatal(err)
	}
	if ev, err = ev.Thread.Until([]uint64{done[0].Addr}); err != nil || ev.Kind != EventStep {
		t.Fatalf("Until: %v, %v", ev, err)
	}
	if s := stopOf(t, ev.Thread); s.fn != "fact" || s.line != testtarget.Line(t, "c/stepper.c", "fact-rec") {
		t.Errorf("until a line of main from fact(3) stopped at %s, want the return into fact(4) at line %d", s, testtarget.Line(t, "c/stepper.c", "fact-rec"))
	}
}

// TestNextOtherThreads steps a worker of c/hotthreads with Next while the
// other workers run the same loop: every step ends on the stepped thread,
// in its lines, though the others pass the internal breakpoint at hot's
// return address (they run during a step over a call: hot's breakpoint,
// which never stops, counts their calls).
func TestNextOtherThreads(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "4", "200000")
	call := testtarget.Line(t, "c/hotthreads.c", "worker-call")
	bp, err := p.BreakAt("hotthreads.c:"+strconv.Itoa(call), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only the first thread there stops: the others' hits, made while
	// the process stops, would be the next events.
	var first *Thread
	bp.Cond = func(ht *Thread, _ *Breakpoint) bool {
		if first == nil {
			first = ht
		}
		return ht == first
	}
	ev := contWait(t, p.Process)
	if ev.Kind != EventBreakpoint {
		t.Fatalf("run to worker: %v", ev)
	}
	bp.Clear()
	th := ev.Thread
	others := 0
	hot, err := p.BreakAt("hot", func(ht *Thread, _ *Breakpoint) bool {
		if ht != th {
			others++
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := map[int]bool{call: true, call + 1: true, call - 1: true}
	for i := 0; i < 30; i++ {
		ev, err := th.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != EventStep || ev.Thread != th {
			t.Fatalf("next %d: %v, want a step of thread %d", i, ev, th.Tid())
		}
		if s := stopOf(t, th); s.fn != "worker" || !lines[s.line] {
			t.Fatalf("next %d stopped at %s, want worker's loop (lines %d-%d)", i, s, call-1, call+1)
		}
	}
	hot.Clear()
	if others == 0 {
		t.Errorf("the other threads never called hot while the worker's calls were stepped over")
	}
}

// TestNextBreakpointInCall: a breakpoint in a call that Next steps over
// fires; when its callback stops, the step ends with its event, and one
// whose callback resumes lets the step complete. A step that lands on a
// breakpoint's address counts as its hit: step_in onto one at a called
// function's entry, next onto one at a line's first address.
func TestNextBreakpointInCall(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	e := newEngine(t)
	p, th := stopAtBody(t, e, bin, "main")
	tab, _ := p.Symbols()
	sq, err := tab.LookupFunc("square")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	quiet, err := p.SetBreakpoint(sq[0].Addr, func(*Thread, *Breakpoint) bool { calls++; return false })
	if err != nil {
		t.Fatal(err)
	}
	stops, err := p.SetBreakpoint(sq[0].Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	for stopOf(t, th).line != testtarget.Line(t, "c/stepper.c", "main-square") {
		if ev, err := th.Next(); err != nil || ev.Kind != EventStep {
			t.Fatalf("next: %v, %v", ev, err)
		}
	}
	ev, err := th.Next()
	if err != nil || ev.Kind != EventBreakpoint || ev.Breakpoint != stops {
		t.Fatalf("next over square with a breakpoint in it: %v, %v; want breakpoint %d", ev, err, stops.ID)
	}
	if calls != 1 || stops.Hits() != 1 {
		t.Errorf("square's breakpoints counted %d and %d hits, want 1 and 1", calls, stops.Hits())
	}
	// step_in lands on the breakpoint at square's entry: it counts, and
	// one that stops ends the step there.
	if ev, err = th.Finish(); err != nil || ev.Kind != EventStep {
		t.Fatalf("finish: %v, %v", ev, err)
	}
	if ev, err = th.Next(); err != nil || ev.Kind != EventStep { // out of the call's line
		t.Fatalf("next: %v, %v", ev, err)
	}
	for stopOf(t, th).line != testtarget.Line(t, "c/stepper.c", "main-square") {
		if ev, err := th.Next(); err != nil || ev.Kind != EventStep {
			t.Fatalf("next: %v, %v", ev, err)
		}
	}
	quiet.OnHit = nil
	if ev, err = th.StepIn(); err != nil || ev.Kind != EventBreakpoint || ev.Breakpoint != quiet || quiet.Hits() != 2 {
		t.Fatalf("step_in onto square's entry breakpoint %d: %v, %v (hits %d)", quiet.ID, ev, err, quiet.Hits())
	}
	quiet.OnHit = func(*Thread, *Breakpoint) bool { calls++; return false }
	calls = 2
	// From the breakpoint, finish back to main; then next over the
	// next call with only the quiet breakpoint: the step completes.
	stops.Disable()
	if ev, err = th.Finish(); err != nil || ev.Kind != EventStep {
		t.Fatalf("finish: %v, %v", ev, err)
	}
	for i := 0; i < 3 && calls < 3; i++ {
		if ev, err = th.Next(); err != nil || ev.Kind != EventStep {
			t.Fatalf("next: %v, %v", ev, err)
		}
	}
	if calls != 3 {
		t.Errorf("the quiet breakpoint's callback ran %d times, want 3", calls)
	}
	quiet.Clear()
	// A breakpoint at the next line's first address: the step lands on
	// it, and reports it.
	fact, err := tab.LineToPC("stepper.c", testtarget.Line(t, "c/stepper.c", "main-fact"))
	if err != nil {
		t.Fatal(err)
	}
	if ev, err = th.Until([]uint64{fact[0].Addr}); err != nil || ev.Kind != EventStep {
		t.Fatalf("until main-fact: %v, %v", ev, err)
	}
	locs, err := tab.LineToPC("stepper.c", testtarget.Line(t, "c/stepper.c", "main-half"))
	if err != nil {
		t.Fatal(err)
	}
	at, err := p.SetBreakpoint(locs[0].Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err = th.Next(); err != nil || ev.Kind != EventBreakpoint || ev.Breakpoint != at || at.Hits() != 1 {
		t.Fatalf("next onto breakpoint %d: %v, %v (hits %d)", at.ID, ev, err, at.Hits())
	}
	// Going on steps over it, without counting it again.
	if ev, err = th.Next(); err != nil || ev.Kind != EventStep || at.Hits() != 1 {
		t.Fatalf("next from breakpoint %d: %v, %v (hits %d)", at.ID, ev, err, at.Hits())
	}
}

// TestStepFromUnhitBreakpoint: a thread standing on a breakpoint it did
// not trap on (planted where it stands) steps the instruction under it,
// not the int3, and the breakpoint does not count a hit.
func TestStepFromUnhitBreakpoint(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	e := newEngine(t)
	p, th := stopAtBody(t, e, bin, "main")
	pc, _ := th.PC()
	var code [15]byte
	if _, err := p.ReadMemory(pc, code[:]); err != nil {
		t.Fatal(err)
	}
	in, err := x86asm.Decode(code[:], 64)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := p.SetBreakpoint(pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := th.Step()
	if err != nil || ev.Kind != EventStep {
		t.Fatalf("step: %v, %v", ev, err)
	}
	if now, _ := th.PC(); now != pc+uint64(in.Len) || bp.Hits() != 0 {
		t.Errorf("step from breakpoint %d at %#x (%v) went to %#x with %d hits; want %#x and none", bp.ID, pc, in, now, bp.Hits(), pc+uint64(in.Len))
	}
}

// TestNextGoroutine steps work in go/stepgo with Next while seven other
// goroutines run the same lines: every step ends on the goroutine it
// started on, wherever the scheduler runs it, in work's lines; the step
// over grow, whose deep recursion moves the goroutine's stack, still ends
// in the same frame.
func TestNextGoroutine(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.Go, testtarget.GoNoDWARF} {
		t.Run(v.String(), func(t *testing.T) { nextGoroutine(t, v) })
	}
}

// nextGoroutine is TestNextGoroutine on variant v of go/stepgo: without
// DWARF, lines come from .gopclntab and the goroutine from the runtime's
// known layouts.
func nextGoroutine(t *testing.T, v testtarget.Variant) {
	bin := testtarget.Build(t, "go/stepgo", v)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "2000000")
	call := testtarget.Line(t, "go/stepgo/main.go", "work-call")
	bp, err := p.BreakAt("stepgo/main.go:"+strconv.Itoa(call), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first goroutine there stops, at its first iteration (i = 0,
	// which calls grow); the others' hits do not count.
	var first int64
	bp.Cond = func(ht *Thread, _ *Breakpoint) bool {
		g, err := ht.Goroutine()
		if err != nil || g == nil {
			return false
		}
		if first == 0 {
			first = g.ID
		}
		return g.ID == first
	}
	ev := contWait(t, p.Process)
	if ev.Kind != EventBreakpoint {
		t.Fatalf("run to work: %v", ev)
	}
	bp.Clear()
	th := ev.Thread
	g, err := th.Goroutine()
	if err != nil || g == nil || g.ID != first {
		t.Fatalf("stopped in goroutine %v (%v), want %d", g, err, first)
	}
	stacks := map[uint64]bool{g.StackHi: true}
	lines := map[int]bool{}
	threads := map[int]bool{}
	for i := 0; i < 40; i++ {
		ev, err := th.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != EventStep {
			t.Fatalf("next %d: %v", i, ev)
		}
		th = ev.Thread
		g, err := th.Goroutine()
		if err != nil || g == nil || g.ID != first {
			t.Fatalf("next %d ended in goroutine %v (%v) on thread %d, want goroutine %d", i, g, err, th.Tid(), first)
		}
		s := stopOf(t, th)
		if s.fn != "main.work" {
			t.Fatalf("next %d stopped at %s, outside main.work", i, s)
		}
		lines[s.line] = true
		stacks[g.StackHi] = true
		threads[th.Tid()] = true
	}
	for _, tag := range []string{"work-call", "work-xor"} {
		if l := testtarget.Line(t, "go/stepgo/main.go", tag); !lines[l] {
			t.Errorf("no next stopped at line %d (%s): lines %v", l, tag, lines)
		}
	}
	if len(stacks) < 2 {
		t.Errorf("the goroutine's stack never moved (stack top %v): grow did not test a move", stacks)
	}
	t.Logf("goroutine %d: lines %v, threads %v, stack tops %d", first, lines, threads, len(stacks))
}

// TestStepInLibraryMatchesGDB steps c/steplib with StepIn from main into
// the functions of its library, which main calls through the PLT (the
// first call of each through the dynamic linker's lazy binding), and
// compares every stop with gdb's step.
func TestStepInLibraryMatchesGDB(t *testing.T) {
	bin := testtarget.Build(t, "c/steplib", testtarget.CO0)
	got := stepsLikeGDB(t, bin, "main", "step", "main.c,lib.c", (*Thread).StepIn)
	entered := 0
	for _, s := range got {
		if s.file == "lib.c" {
			entered++
		}
	}
	if entered < 3 {
		t.Errorf("step_in stopped %d times in the library, want its three calls' lines: %v", entered, got)
	}
}

// TestNextStop: a Next that never ends (a line that loops for ever) ends
// with EventStopped when Process.Stop is called, as Ctrl-C at the REPL
// does, the thread still on its line.
func TestNextStop(t *testing.T) {
	bin := testtarget.Build(t, "c/stepper", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "spin")
	spin := testtarget.Line(t, "c/stepper.c", "spin")
	bp, err := p.BreakAt("stepper.c:"+strconv.Itoa(spin), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := contWait(t, p.Process)
	if ev.Kind != EventBreakpoint {
		t.Fatalf("run to the loop: %v", ev)
	}
	bp.Clear()
	th := ev.Thread
	type result struct {
		ev  *Event
		err error
	}
	done := make(chan result, 1)
	go func() {
		ev, err := th.Next()
		done <- result{ev, err}
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-done:
			if r.err != nil || r.ev.Kind != EventStopped {
				t.Fatalf("next stopped: %v, %v; want a stopped event", r.ev, r.err)
			}
			if s := stopOf(t, th); s.line != spin {
				t.Errorf("stopped at %s, not on the loop's line %d", s, spin)
			}
			return
		case <-deadline:
			t.Fatal("next did not end within 30s of Stop")
		default:
			p.Stop() // until the step has begun and sees it
			runtime.Gosched()
		}
	}
}
