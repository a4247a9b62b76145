package core

import (
	"errors"
	"testing"

	"stardbg/core/goruntime"
	"stardbg/internal/testtarget"
)

// TestGoroutineOfHit reads the goroutine of every hit of main.hot in hotgo,
// whose goroutine number w calls hot(w*M + j): the argument names the
// goroutine, so every hit with the same w must see the same goroutine id,
// and 8 goroutines 8 ids. The thread's sp is in the goroutine's stack.
func TestGoroutineOfHit(t *testing.T) {
	const workers, m = 8, 2000
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "2000")
	addr := symAddr(t, p.Process, bin, "main.hot")
	idOf := map[uint64]int64{}     // worker -> goid
	workerOf := map[int64]uint64{} // goid -> worker
	hits := 0
	var failed error
	fail := func(err error) bool {
		if failed == nil {
			failed = err
		}
		return false
	}
	_, err := p.SetBreakpoint(addr, func(th *Thread, _ *Breakpoint) bool {
		hits++
		g, err := th.Goroutine()
		if err != nil {
			return fail(err)
		}
		if g == nil || g.System() {
			return fail(errors.New("hit of main.hot on no goroutine"))
		}
		i, _ := th.Reg(RAX)
		sp, _ := th.SP()
		if sp < g.StackLo || sp >= g.StackHi {
			return fail(errors.New("sp out of the goroutine's stack"))
		}
		if g.Status != goruntime.StatusRunning {
			return fail(errors.New("the goroutine of a hit is " + g.Status.String()))
		}
		w := i / m
		if id, ok := idOf[w]; ok && id != g.ID {
			t.Errorf("worker %d ran on goroutines %d and %d", w, id, g.ID)
		}
		if prev, ok := workerOf[g.ID]; ok && prev != w {
			t.Errorf("goroutine %d ran workers %d and %d", g.ID, prev, w)
		}
		idOf[w], workerOf[g.ID] = g.ID, w
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if failed != nil {
		t.Fatal(failed)
	}
	if hits != workers*m || len(idOf) != workers || len(workerOf) != workers {
		t.Fatalf("%d hits, %d workers, %d goroutine ids; want %d, %d, %d", hits, len(idOf), len(workerOf), workers*m, workers, workers)
	}
}

// TestGoroutinesAtStop lists the goroutines at a stop in main.hot: the one
// the thread runs is among them, running on that thread, with main's, and
// the ids are distinct. (How many workers exist yet at the first hit
// depends on the scheduler.)
func TestGoroutinesAtStop(t *testing.T) {
	bin := testtarget.Build(t, "go/hotgo", testtarget.Go)
	e := newEngine(t)
	p := launch(t, e, bin, "8", "2000")
	addr := symAddr(t, p.Process, bin, "main.hot")
	if _, err := p.SetBreakpoint(addr, func(*Thread, *Breakpoint) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev := waitKind(t, p.Process, EventBreakpoint)
	cur, err := ev.Thread.Goroutine()
	if err != nil || cur == nil {
		t.Fatalf("Goroutine: %v, %v", cur, err)
	}
	raw, err := ev.Thread.CurrentG()
	if err != nil || raw == nil || raw.Addr != cur.Addr {
		t.Fatalf("CurrentG: %+v, %v; Goroutine's g is at %#x", raw, err, cur.Addr)
	}
	gs, err := p.Goroutines()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var found *goruntime.G
	for _, g := range gs {
		if seen[g.ID] {
			t.Errorf("goroutine %d listed twice", g.ID)
		}
		seen[g.ID] = true
		if g.ID == cur.ID {
			found = g
		}
	}
	if found == nil {
		t.Fatalf("goroutine %d of the hit is not among %d goroutines", cur.ID, len(gs))
	}
	if found.Status != goruntime.StatusRunning {
		t.Errorf("goroutine %d is %v, want running", found.ID, found.Status)
	}
	th, err := p.GoThread(found.M)
	if err != nil || th != ev.Thread {
		t.Errorf("goroutine %d runs on thread %v (%v), want %d", found.ID, th, err, ev.Thread.Tid())
	}
	if !seen[1] {
		t.Errorf("no goroutine 1 (main) among %d", len(gs))
	}
}

// TestGoRuntimeLoad: a C program is not a Go one, and a Go binary without
// DWARF is read with the layouts of its Go release (goruntime's table).
func TestGoRuntimeLoad(t *testing.T) {
	e := newEngine(t)
	c := launch(t, e, testtarget.Build(t, "c/hotthreads", testtarget.CO0), "1", "1")
	if _, err := c.MainThread().Goroutine(); !errors.Is(err, goruntime.ErrNotGo) {
		t.Errorf("Goroutine of a C program: %v, want ErrNotGo", err)
	}
	bin := testtarget.Build(t, "go/hotgo", testtarget.GoNoDWARF)
	p := launch(t, e, bin, "1", "10")
	rt, _, err := p.GoRuntime()
	if err != nil {
		t.Fatal(err)
	}
	if fb, _ := rt.Fallback(); !fb {
		if _, err := p.Goroutines(); !errors.Is(err, goruntime.ErrNoDWARF) {
			t.Errorf("Goroutines without DWARF or a known layout: %v, want ErrNoDWARF", err)
		}
		return
	}
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "main.hot"), func(*Thread, *Breakpoint) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev := waitKind(t, p.Process, EventBreakpoint)
	g, err := ev.Thread.Goroutine()
	sp, _ := ev.Thread.SP()
	if err != nil || g == nil || g.ID <= 1 || sp < g.StackLo || sp >= g.StackHi || g.Status != goruntime.StatusRunning {
		t.Fatalf("the goroutine of main.hot, without DWARF: %+v, %v; want a worker's, running, sp %#x in its stack", g, err, sp)
	}
	gs, err := p.Goroutines()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for _, x := range gs {
		ids[x.ID] = true
	}
	if !ids[1] || !ids[g.ID] {
		t.Errorf("goroutines without DWARF: %v, want 1 and %d among them", ids, g.ID)
	}
}
