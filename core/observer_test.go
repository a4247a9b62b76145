package core

import (
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// The observer sees every event once: each hit that counts (also those that
// resume, and the one that stops, which Wait returns again), no hit whose
// Cond fails, thread events without any hook, signals, steps and the end.
func TestObserverSeesEachEventOnce(t *testing.T) {
	defer watchdog(t, 2*time.Minute)()
	e := newEngine(t)
	seen := map[*Event]int{}
	count := map[EventKind]int{}
	e.SetObserver(func(ev *Event) {
		if !e.OnTracer() {
			t.Errorf("observer called off the tracer thread for %v", ev)
		}
		seen[ev]++
		count[ev.Kind]++
	})

	// threadchurn 2 2: hot(0) to hot(3), each in a thread of its own.
	p := launch(t, e, testtarget.Build(t, "c/threadchurn", testtarget.Default), "2", "2")
	stops := 0
	bp, err := p.BreakAt("hot", func(*Thread, *Breakpoint) bool { stops++; return stops == 1 })
	if err != nil {
		t.Fatal(err)
	}
	bp.Cond = func(th *Thread, _ *Breakpoint) bool {
		n, err := th.Reg(RDI)
		return err == nil && n%2 == 0 // hot(0) and hot(2)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	hit := waitKind(t, p.Process, EventBreakpoint)
	end := runToEnd(t, p.Process)
	if end.Kind != EventExited {
		t.Fatalf("end: %v", end)
	}
	if seen[hit] != 1 || seen[end] != 1 {
		t.Errorf("the stopping hit observed %d times, the exit %d times; want once each", seen[hit], seen[end])
	}
	want := map[EventKind]int{EventBreakpoint: 2, EventThreadCreate: 4, EventThreadExit: 4, EventExited: 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %v events observed, want %d; all: %v", count[k], k, n, count)
		}
	}
	if bp.Hits() != 2 || stops != 2 {
		t.Errorf("Hits %d, OnHit called %d times; want 2 and 2 (the Cond holds for hot(0) and hot(2))", bp.Hits(), stops)
	}
	for ev, n := range seen {
		if n != 1 {
			t.Errorf("%v observed %d times", ev, n)
		}
	}

	// A step, a signal and a death by signal.
	clear(seen)
	clear(count)
	q := launch(t, e, testtarget.Build(t, "c/sigsegv", testtarget.Default))
	step, err := q.MainThread().Step()
	if err != nil || step.Kind != EventStep {
		t.Fatalf("step: %v %v", step, err)
	}
	if err := q.Continue(); err != nil {
		t.Fatal(err)
	}
	sig := waitKind(t, q.Process, EventSignal)
	killed := runToEnd(t, q.Process)
	for _, ev := range []*Event{step, sig, killed} {
		if seen[ev] != 1 {
			t.Errorf("%v observed %d times, want once", ev, seen[ev])
		}
	}
	if count[EventSignal] != 1 || count[EventKilled] != 1 || count[EventStep] != 1 {
		t.Errorf("observed %v, want one step, one signal, one killed", count)
	}
}
