package core

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"

	"stardbg/internal/testtarget"
)

// A callback reads and writes back the registers of every other thread: each
// running one is stopped on demand and runs on after the callback. Hits that
// those threads made meanwhile are not lost and run their own callbacks after,
// never inside another; a thread held at its own hit shows rip on the
// breakpoint's address, as a hit does, never the address after the int3.
func TestCallbackHoldsOtherThreads(t *testing.T) {
	for _, emulate := range []bool{true, false} {
		name := map[bool]string{true: "emulated", false: "displaced"}[emulate]
		t.Run(name, func(t *testing.T) {
			bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
			e := newEngine(t)
			p := launch(t, e, bin, "8", "500")
			p.e.Do(func() { p.noEmulate = !emulate })
			// An instruction of two bytes or more: rip can be just after its
			// first byte only when something shows the raw trap.
			hot := firstInsn(t, p.Process, symAddr(t, p.Process, bin, "hot"), func(in x86asm.Inst) bool { return in.Len > 1 })
			hits, reads, depth := 0, 0, 0
			_, err := p.SetBreakpoint(hot, func(th *Thread, _ *Breakpoint) bool {
				hits++
				depth++
				defer func() { depth-- }()
				if depth > 1 {
					t.Error("a callback ran inside another")
				}
				for _, o := range p.Threads() {
					if o == th {
						continue
					}
					r, err := o.Regs()
					if err != nil {
						continue // it exited meanwhile
					}
					if r.Rip == hot+1 {
						t.Errorf("thread %d shows rip %#x, just after the int3", o.Tid(), r.Rip)
					}
					if err := o.SetRegs(r); err != nil {
						t.Errorf("thread %d: SetRegs: %v", o.Tid(), err)
					}
					reads++
				}
				return false
			})
			if err != nil {
				t.Fatal(err)
			}
			runToSuccess(t, p.Process)
			if hits != 4000 || reads < 4000 {
				t.Fatalf("%d hits, want 4000; %d reads of other threads' registers", hits, reads)
			}
			p.sameChecksum(t)
		})
	}
}

// On the all-stop path (an instruction neither emulated nor displaced), the
// hitting thread's step-over stops and resumes every thread: the held ones
// are left to the end of the callback, which handles what they reported.
func TestHoldsAcrossInPlaceStep(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "4", "300")
	p.e.Do(func() { p.noEmulate, p.noDisplace = true, true })
	hits := 0
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "hot"), func(th *Thread, _ *Breakpoint) bool {
		hits++
		for _, o := range p.Threads() {
			if o != th {
				o.Regs()
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if ev := runToEnd(t, p.Process); ev.Kind != EventExited || ev.Status != 0 || hits != 1200 {
		t.Fatalf("%v after %d hits, want a normal exit after 1200", ev, hits)
	}
	p.sameChecksum(t)
}

// A callback that makes a held thread return from hot at once (rip on the
// return address, the result in rax) cancels that thread's pending hit: every
// call is either a hit or skipped, and the program computes the same.
func TestHeldThreadMovedByCallback(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "4", "500")
	hot := symAddr(t, p.Process, bin, "hot")
	hits, skipped := 0, 0
	if _, err := p.SetBreakpoint(hot, func(th *Thread, _ *Breakpoint) bool {
		hits++
		for _, o := range p.Threads() {
			if o == th {
				continue
			}
			r, err := o.Regs()
			if err != nil || r.Rip != hot {
				continue
			}
			var ret [8]byte
			if _, err := p.ReadMemory(r.Rsp, ret[:]); err != nil {
				t.Error(err)
				continue
			}
			r.Rip, r.Rsp, r.Rax = binary.LittleEndian.Uint64(ret[:]), r.Rsp+8, r.Rdi*3+1
			if err := o.SetRegs(r); err != nil {
				t.Error(err)
				continue
			}
			skipped++
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p.Process)
	if hits+skipped != 2000 {
		t.Fatalf("%d hits and %d calls skipped, want 2000 in all", hits, skipped)
	}
	p.sameChecksum(t)
}

// A thread held on a hardware trap whose breakpoint the callback then clears
// (planting a software one at the same address) has its trap dropped: no
// callback of a cleared breakpoint, and each call counted once.
func TestHeldOnClearedHardwareBreakpoint(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	for range 3 {
		e := newEngine(t)
		p := launch(t, e, bin, "4", "2000")
		hot := symAddr(t, p.Process, bin, "hot")
		hw, sw, late := 0, 0, 0
		cleared := false
		onHW := func(th *Thread, bp *Breakpoint) bool {
			if cleared {
				late++
			}
			if hw++; hw == 300 {
				for _, o := range p.Threads() {
					if o != th {
						o.Regs()
					}
				}
				bp.Clear()
				cleared = true
				if _, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { sw++; return false }); err != nil {
					t.Error(err)
				}
			}
			return false
		}
		// No thread calls hot before the first one to enter worker passes the
		// start barrier, so the hardware breakpoint sees every call.
		if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "worker"), func(_ *Thread, bp *Breakpoint) bool {
			bp.Clear()
			if _, err := p.SetHWBreakpoint(hot, onHW); err != nil {
				t.Error(err)
			}
			return false
		}); err != nil {
			t.Fatal(err)
		}
		runToSuccess(t, p.Process)
		if hw != 300 || sw != 7700 || late != 0 {
			t.Fatalf("hardware %d, software %d, %d callbacks after the clear; want 300, 7700, 0", hw, sw, late)
		}
	}
}

// A hook that panics ends its callback all the same: the process can be
// killed afterwards.
func TestHookPanicEndsCallback(t *testing.T) {
	bin := testtarget.Build(t, "c/hotthreads", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "2", "10")
	failed := false
	p.SetHooks(Hooks{OnEvent: func(*Event) bool {
		if !failed {
			failed = true
			panic("hook failed")
		}
		return false
	}})
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "hook failed" {
				t.Errorf("recovered %v, want the hook's panic", r)
			}
		}()
		p.Wait(10 * time.Second)
	}()
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill after the hook's panic: %v", err)
	}
}

// A thread in execve never stops (it waits for the others to die, among them
// the callback's): holding it fails after a while with ErrNotStopping instead
// of waiting forever, and the exec goes through once the callback returns.
func TestHoldDuringExec(t *testing.T) {
	bin := testtarget.Build(t, "c/execrace", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin)
	var errs []error
	execNow := symAddr(t, p.Process, bin, "exec_now")
	if _, err := p.SetBreakpoint(symAddr(t, p.Process, bin, "mark"), func(th *Thread, _ *Breakpoint) bool {
		letExec(t, p.Process, execNow)
		waitExecve(t, p.Process) // the other thread calls execve meanwhile
		for _, o := range p.Threads() {
			if o != th && o.Tid() != p.Pid() {
				_, err := o.Regs()
				errs = append(errs, err)
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	for kinds := []EventKind{EventExec, EventExited}; len(kinds) > 0; kinds = kinds[1:] {
		if err := p.Continue(); err != nil {
			t.Fatal(err)
		}
		if ev, err := p.Wait(30 * time.Second); err != nil || ev.Kind != kinds[0] {
			t.Fatalf("%v %v, want %v", ev, err, kinds[0])
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrNotStopping) {
		t.Fatalf("reading the exec'ing thread: %v, want ErrNotStopping", errs)
	}
	if out := p.output(t); out != "execd\n" {
		t.Fatalf("output %q", out)
	}
}
