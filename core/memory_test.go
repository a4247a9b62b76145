package core

import (
	"errors"
	"testing"

	"stardbg/internal/testtarget"
)

// stopAt launches bin and runs it to the first hit of fn.
func stopAt(t *testing.T, bin, fn string, args ...string) (*launched, *Event, *Breakpoint) {
	t.Helper()
	p := launch(t, newEngine(t), bin, args...)
	bp, err := p.SetBreakpoint(symAddr(t, p.Process, bin, fn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	return p, waitKind(t, p.Process, EventBreakpoint), bp
}

func TestReadLargeAndShort(t *testing.T) {
	bin := testtarget.Build(t, "c/bigmem", testtarget.CO0)
	p, ev, _ := stopAt(t, bin, "ready")
	r, _ := ev.Thread.Regs()
	buf, size := r.Rdi, r.Rsi
	if size != 64<<20 {
		t.Fatalf("size %d", size)
	}
	b := make([]byte, size)
	n, err := p.ReadMemory(buf, b)
	if err != nil || n != len(b) {
		t.Fatalf("read 64 MiB: %d %v", n, err)
	}
	for i := uint64(0); i < size; i += 4093 {
		if want := byte(i*7 + i/4096); b[i] != want {
			t.Fatalf("byte %d = %#x, want %#x", i, b[i], want)
		}
	}
	// Across the end of the region into the unmapped page.
	short := make([]byte, 100)
	n, err = p.ReadMemory(buf+size-40, short)
	var me *MemoryError
	if n != 40 || !errors.As(err, &me) || me.Addr != buf+size {
		t.Fatalf("read across the end: n=%d err=%v, want 40 bytes and an error at %#x", n, err, buf+size)
	}
	if _, err := p.ReadMemory(0x10, short); err == nil {
		t.Fatal("read at 0x10 succeeded")
	}
}

func TestWriteTextAndBreakpointBytes(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	p := launch(t, newEngine(t), bin, "50")
	answer := symAddr(t, p.Process, bin, "answer")
	hot := symAddr(t, p.Process, bin, "hot")
	var before [16]byte
	p.ReadMemory(hot, before[:])
	hits := 0
	bp, err := p.SetBreakpoint(hot, func(*Thread, *Breakpoint) bool { hits++; return false })
	if err != nil {
		t.Fatal(err)
	}
	// Reads show the original byte, not the int3.
	var after [16]byte
	p.ReadMemory(hot, after[:])
	if after != before {
		t.Fatalf("read under a breakpoint: % x, want % x", after, before)
	}
	// Rewriting the same bytes over the breakpoint keeps it working.
	if _, err := p.WriteMemory(hot, before[:]); err != nil {
		t.Fatal(err)
	}
	// Patch answer()'s "mov eax, 42" in read-only text to return 7.
	var code [32]byte
	p.ReadMemory(answer, code[:])
	i := 0
	for i < len(code)-4 && !(code[i] == 0xb8 && code[i+1] == 42) {
		i++
	}
	if i >= len(code)-4 {
		t.Fatalf("no mov eax, 42 in answer: % x", code)
	}
	if _, err := p.WriteMemory(answer+uint64(i)+1, []byte{7}); err != nil {
		t.Fatalf("write into text: %v", err)
	}
	runToEnd(t, p.Process)
	out := p.output(t)
	if kv(t, out, "answer") != "7" {
		t.Fatalf("answer not patched: %q", out)
	}
	if hits != 50 || bp.Hits() != 50 {
		t.Fatalf("hits %d after rewriting the breakpoint's bytes, want 50", hits)
	}
}

func TestRegisters(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	_, ev, _ := stopAt(t, bin, "hot", "5")
	th := ev.Thread
	r, err := th.Regs()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range RegNames {
		i := Reg(i)
		byName, err := th.RegByName(name)
		if err != nil {
			t.Fatal(err)
		}
		byIndex, _ := th.Reg(i)
		if byName != byIndex || byName != *regPtr(&r, i) {
			t.Fatalf("%s: by name %#x, by index %#x, in Regs %#x", name, byName, byIndex, *regPtr(&r, i))
		}
	}
	if r.Rdi != 0 {
		t.Fatalf("hot's first argument %d, want 0", r.Rdi)
	}
	if r.Fs_base == 0 {
		t.Fatal("fs_base is 0")
	}
	if err := th.SetRegByName("r12", 0x1234); err != nil {
		t.Fatal(err)
	}
	if v, _ := th.RegByName("r12"); v != 0x1234 {
		t.Fatalf("r12 = %#x after writing", v)
	}
	var ue *UnknownRegisterError
	if _, err := th.RegByName("rxx"); !errors.As(err, &ue) {
		t.Fatalf("unknown register: %v", err)
	}
	fp, err := th.FPRegs()
	if err != nil {
		t.Fatal(err)
	}
	if fp.MXCSR&0xffc0 != 0x1f80 {
		t.Fatalf("mxcsr %#x, want the default 0x1f80 masks", fp.MXCSR)
	}
	for i := range fp.XMM {
		if [16]byte(fp.YMM[i][:16]) != fp.XMM[i] {
			t.Fatalf("ymm%d's low half differs from xmm%d", i, i)
		}
	}
}

func TestStep(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	p, ev, bp := stopAt(t, bin, "hot", "5")
	th := ev.Thread
	addr := bp.Addrs()[0]
	// Step over the breakpoint itself, then one more instruction.
	for i := 0; i < 2; i++ {
		sev, err := th.Step()
		if err != nil || sev.Kind != EventStep {
			t.Fatalf("step %d: %v %v", i, sev, err)
		}
	}
	pc, _ := th.PC()
	if pc <= addr || pc > addr+16 {
		t.Fatalf("pc %#x after two steps from %#x", pc, addr)
	}
	bp.Clear()
	if ev := runToEnd(t, p.Process); ev.Kind != EventExited {
		t.Fatal(ev)
	}
	if kv(t, p.output(t), "calls") != "5" {
		t.Fatal(p.output(t))
	}
}
