package core

import (
	"testing"

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
			if ev := runToEnd(t, p.Process); ev.Kind != EventExited || ev.Status != 0 {
				t.Fatal(ev)
			}
			if hits != 4000 || reads < 4000 {
				t.Fatalf("%d hits, want 4000; %d reads of other threads' registers", hits, reads)
			}
			if got, want := kv(t, p.output(t), "checksum"), kv(t, runPlain(t, bin, "8", "500"), "checksum"); got != want {
				t.Fatalf("checksum %s, want %s", got, want)
			}
		})
	}
}
