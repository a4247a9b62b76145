package core

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/internal/testtarget"
)

// storeInWorker is worker's "j->checksum += hot(i)" store, mov [reg+disp], reg,
// and its displacement.
func storeInWorker(t *testing.T, p *Process, bin string) (uint64, int64) {
	t.Helper()
	var disp int64
	addr := firstInsn(t, p, symAddr(t, p, bin, "worker"), func(in x86asm.Inst) bool {
		m, ok := in.Args[0].(x86asm.Mem)
		if in.Op != x86asm.MOV || !ok || m.Base == x86asm.RBP || m.Base == x86asm.RSP || m.Base == x86asm.RIP {
			return false
		}
		disp = m.Disp
		return true
	})
	return addr, disp
}

// A watchpoint on memory that the instruction under a breakpoint writes sees
// every write, however the breakpoint steps over it: emulated (no CPU trap at
// all), out of line or in place (the trap comes as the step's).
func TestWatchUnderBreakpoint(t *testing.T) {
	for _, mode := range []string{"emulated", "displaced", "in place"} {
		t.Run(mode, func(t *testing.T) {
			bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
			e := newEngine(t)
			p := launch(t, e, bin, "1", "50")
			p.e.Do(func() { p.noEmulate, p.noDisplace = mode != "emulated", mode == "in place" })
			store, disp := storeInWorker(t, p.Process, bin)
			writes, last := 0, uint64(0)
			if _, err := p.SetBreakpoint(store, func(th *Thread, bp *Breakpoint) bool {
				if bp.Hits() > 1 {
					return false
				}
				r, err := th.Regs()
				if err != nil {
					t.Error(err)
					return false
				}
				_, err = p.Watch(r.Rax+uint64(disp), 8, WatchWrite, func(_ *Thread, w *Breakpoint) bool {
					writes++
					_, last = w.WatchValues()
					return false
				})
				if err != nil {
					t.Error(err)
				}
				return false
			}); err != nil {
				t.Fatal(err)
			}
			runToSuccess(t, p.Process)
			if writes != 50 || last != 3725 {
				t.Fatalf("%d writes seen, the last of %d; want 50, the last of 3725", writes, last)
			}
		})
	}
}

// Stepping over a store into watched memory reports the watchpoint, with the
// old and new values, as gdb does, rather than the step.
func TestStepOntoWatchpoint(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "1", "50")
	store, disp := storeInWorker(t, p.Process, bin)
	bp, err := p.SetBreakpoint(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	ev := waitKind(t, p.Process, EventBreakpoint)
	r, err := ev.Thread.Regs()
	if err != nil {
		t.Fatal(err)
	}
	bp.Clear()
	w, err := p.Watch(r.Rax+uint64(disp), 8, WatchWrite, nil)
	if err != nil {
		t.Fatal(err)
	}
	step, err := ev.Thread.Step()
	if err != nil {
		t.Fatal(err)
	}
	if step.Kind != EventWatch || step.Breakpoint != w || step.Old != 0 || step.New != 1 {
		t.Fatalf("step: %v (old %d, new %d), want the watchpoint, 0 -> 1", step, step.Old, step.New)
	}
}
