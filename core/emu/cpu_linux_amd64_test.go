package emu

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/arch/x86/x86asm"
	"golang.org/x/sys/unix"
)

// The real-CPU check runs each instruction in a traced child and compares the child's
// registers and memory afterwards with what Emulate computes from the same start.
//
// The child is this test binary, stopped by ptrace at its exec before running any of
// its own code. Two mappings are injected into it: a read-write data window (stack and
// operands) and a read-execute code page filled with int3. Each case writes the
// instruction at codeAt, sets the registers, continues, and takes the int3 (or the
// fault) that follows. A fault leaves the child usable for the next case.
const (
	cpuData    = 0x10000000 // data window: read-write, cpuDataLen bytes
	cpuDataLen = 0x10000
	cpuCode    = 0x10020000 // code page: read-execute, int3 everywhere but the instruction
	cpuCodeLen = 0x1000
	codeAt     = cpuCode + 0x800 // where the instruction goes; rel8 branches stay in the page
	cpuTimeout = 5 * time.Second // a case that runs longer is a runaway branch
)

// child is a traced process in which instructions run on the real CPU. Its methods
// must be called from the goroutine that started it, locked to its thread.
type child struct {
	pid  int
	mem  *os.File        // /proc/pid/mem
	base unix.PtraceRegs // registers at the exec stop: segment selectors and such
	maps [][2]uint64     // the child's own mappings
}

func startChild(t *testing.T) *child {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, unix.EPERM) {
			t.Skipf("cannot trace a child here: %v", err)
		}
		t.Fatal(err)
	}
	c := &child{pid: cmd.Process.Pid}
	t.Cleanup(func() {
		unix.Kill(c.pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(c.pid, &ws, 0, nil)
		cmd.Process.Release()
		if c.mem != nil {
			c.mem.Close()
		}
	})
	if sig, err := c.wait(); err != nil || sig != unix.SIGTRAP {
		t.Fatalf("child did not stop at exec: %v %v", sig, err)
	}
	if err := unix.PtraceSetOptions(c.pid, unix.PTRACE_O_EXITKILL); err != nil {
		t.Fatal(os.NewSyscallError("ptrace(PTRACE_SETOPTIONS)", err))
	}
	if err := unix.PtraceGetRegs(c.pid, &c.base); err != nil {
		t.Fatal(os.NewSyscallError("ptrace(PTRACE_GETREGS)", err))
	}
	if c.mem, err = os.OpenFile(fmt.Sprintf("/proc/%d/mem", c.pid), os.O_RDWR, 0); err != nil {
		t.Fatal(err)
	}
	c.maps = readMaps(t, c.pid)
	for _, m := range []struct{ addr, len, prot uint64 }{
		{cpuData, cpuDataLen, unix.PROT_READ | unix.PROT_WRITE},
		{cpuCode, cpuCodeLen, unix.PROT_READ | unix.PROT_EXEC},
	} {
		got, err := c.syscall(unix.SYS_MMAP, m.addr, m.len, m.prot,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uint64(0), 0)
		if err != nil || got != m.addr {
			t.Fatalf("mmap in child: %#x, %v", got, err)
		}
	}
	if _, err := c.mem.WriteAt(bytes.Repeat([]byte{0xcc}, cpuCodeLen), cpuCode); err != nil {
		t.Fatal(err)
	}
	return c
}

// readMaps returns the address ranges mapped in process pid.
func readMaps(t *testing.T, pid int) [][2]uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var maps [][2]uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lo, hi, _ := strings.Cut(strings.Fields(sc.Text())[0], "-")
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad maps line %q", sc.Text())
		}
		maps = append(maps, [2]uint64{l, h})
	}
	return maps
}

// ownMapping reports whether addr lies in one of the child's own mappings, which the
// emulator's memory does not model.
func (c *child) ownMapping(addr uint64) bool {
	for _, m := range c.maps {
		if addr >= m[0] && addr < m[1] {
			return true
		}
	}
	return false
}

// wait waits for the child's next stop, at most cpuTimeout, and returns its signal.
func (c *child) wait() (syscall.Signal, error) {
	timer := time.AfterFunc(cpuTimeout, func() { unix.Kill(c.pid, unix.SIGSTOP) })
	var ws unix.WaitStatus
	_, err := unix.Wait4(c.pid, &ws, unix.WALL, nil)
	if !timer.Stop() {
		return 0, fmt.Errorf("the child ran for %v without stopping", cpuTimeout)
	}
	if err != nil {
		return 0, os.NewSyscallError("wait4", err)
	}
	if !ws.Stopped() {
		return 0, fmt.Errorf("child ended: %v", ws)
	}
	return ws.StopSignal(), nil
}

// resume sets the registers and continues the child until it stops.
func (c *child) resume(regs *unix.PtraceRegs) (syscall.Signal, error) {
	if err := unix.PtraceSetRegs(c.pid, regs); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_SETREGS)", err)
	}
	if err := unix.PtraceCont(c.pid, 0); err != nil {
		return 0, os.NewSyscallError("ptrace(PTRACE_CONT)", err)
	}
	return c.wait()
}

// syscall makes the child run system call nr, from its entry point.
func (c *child) syscall(nr uint64, args ...uint64) (uint64, error) {
	if _, err := c.mem.WriteAt([]byte{0x0f, 0x05, 0xcc}, int64(c.base.Rip)); err != nil {
		return 0, err
	}
	r := c.base
	r.Orig_rax = ^uint64(0)
	r.Rax = nr
	for i, p := range []*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}[:len(args)] {
		*p = args[i]
	}
	if sig, err := c.resume(&r); err != nil || sig != unix.SIGTRAP {
		return 0, fmt.Errorf("system call %d: stopped by %v, %v", nr, sig, err)
	}
	if err := unix.PtraceGetRegs(c.pid, &r); err != nil {
		return 0, err
	}
	return r.Rax, nil
}

// run executes code at codeAt with registers regs and the data window set to data.
// It returns the registers and data window after, and the signal the child stopped
// with: SIGTRAP once the instruction completed and reached an int3, SIGSEGV or SIGBUS
// if it faulted (at codeAt) or completed and jumped where nothing can run.
func (c *child) run(code []byte, regs *unix.PtraceRegs, data []byte) (unix.PtraceRegs, []byte, syscall.Signal, error) {
	var out unix.PtraceRegs
	slot := bytes.Repeat([]byte{0xcc}, 16)
	copy(slot, code)
	if _, err := c.mem.WriteAt(slot, codeAt); err != nil {
		return out, nil, 0, err
	}
	if _, err := c.mem.WriteAt(data, cpuData); err != nil {
		return out, nil, 0, err
	}
	sig, err := c.resume(regs)
	if err != nil {
		return out, nil, 0, err
	}
	if err := unix.PtraceGetRegs(c.pid, &out); err != nil {
		return out, nil, 0, err
	}
	after := make([]byte, len(data))
	if _, err := c.mem.ReadAt(after, cpuData); err != nil {
		return out, nil, 0, err
	}
	return out, after, sig, nil
}

// cpuCase is one instruction to run from random registers.
type cpuCase struct {
	code []byte
	runs int // how many random starts
}

// cpuFixed are encodings written by hand for the real-CPU check, on top of the
// emulateTests table: forms whose addresses the table fixes outside the window.
var cpuFixed = []string{
	"48 a1" + le(cpuData+0x100, 8),    // mov rax,[moffs64]
	"a3" + le(cpuData+0x104, 8),       // mov [moffs64],eax
	"a2" + le(cpuData+0x107, 8),       // mov [moffs64],al
	"64 48 8b 04 25 28 00 00 00",      // mov rax,fs:[0x28]
	"65 48 8b 04 25 00 00 00 00",      // mov rax,gs:[0]
	"64 48 89 04 25 10 00 00 00",      // mov fs:[0x10],rax
	"64 48 8d 04 25 28 00 00 00",      // lea rax,fs:[0x28]
	"ff 24 25" + le(cpuData+0x100, 4), // jmp [abs32]
	"ff 14 24",                        // call [rsp]
	"ff e0", "ff d3", "41 ff e7",      // jmp rax, call rbx, jmp r15
	"c3", "c2 08 00", "f3 c3", "f2 c3",
	"e8 00 00 00 00", "e8 f0 ff ff ff", "e9 10 00 00 00", "eb 80", "eb 7f",
	"7e 10", "0f 8c 00 01 00 00", "71 20", "79 20", "7b 20", "73 20", "75 20", "77 20", "7d 20",
}

func TestCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := startChild(t)

	rng := rand.New(rand.NewPCG(1, 2))
	var cases []cpuCase
	for _, tt := range emulateTests {
		cases = append(cases, cpuCase{mustHex(tt.code), 40})
	}
	for _, h := range cpuFixed {
		cases = append(cases, cpuCase{mustHex(h), 40})
	}
	random := 30000
	if n, err := strconv.Atoi(os.Getenv("EMU_CPU_RANDOM")); err == nil {
		random = n // for a longer search: EMU_CPU_RANDOM=1000000
	}
	if testing.Short() {
		random = 3000
	}
	for range random {
		cases = append(cases, cpuCase{randomInsn(rng), 1})
	}

	var ran, faulted, mismatches int
	ops := map[x86asm.Op]int{}
	for _, cc := range cases {
		in, err := Decode(cc.code, codeAt)
		if err != nil || !in.Emulable() {
			continue
		}
		code := in.Bytes()
		for range cc.runs {
			fixRIPRelative(rng, &in, code)
			regs, data := randomStart(rng, c, &in)
			res, err := c.compare(&in, code, regs, data)
			if err != nil {
				t.Fatalf("% x (%s): %v", code, &in, err)
			}
			if res.skipped {
				continue
			}
			ran++
			ops[in.inst.Op]++
			if res.faulted {
				faulted++
			}
			if res.mismatch != "" {
				mismatches++
				if mismatches <= 30 {
					t.Errorf("% x (%s):%s\n\tfrom%s", code, &in, res.mismatch, describeRegs(&regs))
				}
			}
		}
	}
	t.Logf("%d runs (%d faulting), %d mismatches; by operation: %v", ran, faulted, mismatches, ops)
	if ran < 10000 && !testing.Short() {
		t.Errorf("only %d runs: the generator no longer produces emulable instructions", ran)
	}
}

type compareResult struct {
	skipped  bool // not run on the CPU
	faulted  bool
	mismatch string // empty if the CPU and the emulator agree
}

// compare runs code on the CPU and in the emulator from the same start.
func (c *child) compare(in *Insn, code []byte, regs unix.PtraceRegs, data []byte) (compareResult, error) {
	// The emulator's memory: the data window and the code page as the CPU sees them.
	page := bytes.Repeat([]byte{0xcc}, cpuCodeLen)
	copy(page[codeAt-cpuCode:], code)
	mem := &fakeMem{regions: []*region{
		{addr: cpuData, data: bytes.Clone(data)},
		{addr: cpuCode, data: page, readOnly: true},
	}}
	emu := regs
	emuErr := in.Emulate(&emu, mem)

	if emuErr == nil && (emu.Rip >= codeAt && emu.Rip < codeAt+uint64(len(code)) || c.ownMapping(emu.Rip)) {
		// A branch into itself, where the CPU would loop or run the middle of the
		// instruction, or into the child's own code, which would run on.
		return compareResult{skipped: true}, nil
	}
	cpu, cpuMem, sig, err := c.run(code, &regs, data)
	if err != nil {
		return compareResult{}, err
	}
	var res compareResult
	switch sig {
	case unix.SIGTRAP:
		cpu.Rip-- // past the int3
	case unix.SIGSEGV, unix.SIGBUS:
		res.faulted = true
	default:
		res.mismatch = fmt.Sprintf("\n\tCPU stopped with %v", sig)
		return res, nil
	}

	if emuErr != nil {
		var me *MemoryError
		switch {
		case res.faulted && cpu.Rip == codeAt:
			// Both refused; Emulate must have changed nothing.
			if emu != regs {
				res.mismatch = "\n\tfailed Emulate changed the registers:" + diffRegs(&emu, &regs)
			} else if mem.writes != 0 {
				res.mismatch = "\n\tfailed Emulate wrote memory"
			}
		case res.faulted && errors.Is(emuErr, ErrBranchTarget) && cpu.Rip >= userLimit:
			// The branch completed and the fetch faulted; Emulate leaves that to the CPU.
		case errors.As(emuErr, &me) && c.ownMapping(me.Addr):
			// The CPU reached one of the child's own pages, which the emulator's
			// memory does not model.
		default:
			res.mismatch = fmt.Sprintf("\n\tEmulate: %v\n\tCPU: %v at %#x", emuErr, sig, cpu.Rip)
		}
		return res, nil
	}
	if res.faulted && cpu.Rip == codeAt {
		res.mismatch = fmt.Sprintf("\n\tCPU faulted (%v), Emulate did not", sig)
		return res, nil
	}
	// Both completed (the CPU perhaps faulting at the branch target afterwards).
	if res.faulted {
		cpu.Eflags &^= 0x10000 // RF, which a fault sets in the flags it saves
	}
	var b strings.Builder
	if d := diffRegs(&emu, &cpu); d != "" {
		b.WriteString(strings.ReplaceAll(d, "want", "CPU"))
	}
	if emu.Eflags != cpu.Eflags {
		fmt.Fprintf(&b, "\n\tflags differ in %s", flagNames(emu.Eflags^cpu.Eflags))
	}
	got := mem.regions[0].data
	for i := range got {
		if got[i] != cpuMem[i] {
			fmt.Fprintf(&b, "\n\tmemory at %#x = %#02x, CPU %#02x", cpuData+i, got[i], cpuMem[i])
			break
		}
	}
	res.mismatch = b.String()
	return res, nil
}

func flagNames(f uint64) string {
	var names []string
	for _, n := range []struct {
		bit  uint64
		name string
	}{{flagCF, "CF"}, {flagPF, "PF"}, {flagAF, "AF"}, {flagZF, "ZF"}, {flagSF, "SF"}, {flagOF, "OF"}} {
		if f&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	if f&^flagsArith != 0 {
		names = append(names, fmt.Sprintf("%#x", f&^flagsArith))
	}
	return strings.Join(names, " ")
}

func describeRegs(r *unix.PtraceRegs) string {
	var b strings.Builder
	for _, n := range regNames {
		if v := *regField(r, n); v != 0 {
			fmt.Fprintf(&b, " %s=%#x", n, v)
		}
	}
	return b.String()
}

// Instruction generation.

// randomInsn returns random bytes that start with an opcode Emulate may handle,
// perhaps behind prefixes. Decode decides where the instruction ends.
func randomInsn(rng *rand.Rand) []byte {
	var b []byte
	legacy := []byte{0x66, 0x66, 0x66, 0x67, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65}
	for range rng.IntN(4) {
		if rng.IntN(2) == 0 {
			b = append(b, legacy[rng.IntN(len(legacy))])
		}
	}
	if rng.IntN(2) == 0 {
		b = append(b, 0x40|byte(rng.IntN(16)))
		if rng.IntN(8) == 0 {
			b = append(b, legacy[rng.IntN(len(legacy))]) // a REX the CPU ignores
		}
	}
	ops := [][]byte{
		{0x00}, {0x01}, {0x02}, {0x03}, {0x04}, {0x05}, {0x08}, {0x09}, {0x0a}, {0x0b}, {0x0c}, {0x0d},
		{0x10}, {0x11}, {0x12}, {0x13}, {0x14}, {0x15}, {0x18}, {0x19}, {0x1a}, {0x1b}, {0x1c}, {0x1d},
		{0x20}, {0x21}, {0x22}, {0x23}, {0x24}, {0x25}, {0x28}, {0x29}, {0x2a}, {0x2b}, {0x2c}, {0x2d},
		{0x30}, {0x31}, {0x32}, {0x33}, {0x34}, {0x35}, {0x38}, {0x39}, {0x3a}, {0x3b}, {0x3c}, {0x3d},
		{0x50}, {0x53}, {0x54}, {0x55}, {0x57}, {0x58}, {0x5b}, {0x5c}, {0x5d}, {0x5f},
		{0x63}, {0x68}, {0x6a}, {0x70 + byte(rng.IntN(16))},
		{0x80}, {0x81}, {0x83}, {0x84}, {0x85}, {0x86}, {0x87}, {0x88}, {0x89}, {0x8a}, {0x8b},
		{0x8d}, {0x8f}, {0x90}, {0x91}, {0x94}, {0x97}, {0xa0}, {0xa1}, {0xa2}, {0xa3}, {0xa8}, {0xa9},
		{0xb0}, {0xb4}, {0xb7}, {0xb8}, {0xbc}, {0xbf}, {0xc2}, {0xc3}, {0xc6}, {0xc7},
		{0xe8}, {0xe9}, {0xeb}, {0xf6}, {0xf7}, {0xfe}, {0xff}, {0xff}, {0xff},
		{0x0f, 0x1f}, {0x0f, 0x80 + byte(rng.IntN(16))},
		{0x0f, 0xb6}, {0x0f, 0xb7}, {0x0f, 0xbe}, {0x0f, 0xbf},
	}
	b = append(b, ops[rng.IntN(len(ops))]...)
	// ModRM, SIB, displacement and immediate, as far as the opcode needs them.
	for range 15 {
		b = append(b, byte(rng.IntN(256)))
	}
	return b
}

// interesting are values that sit at the edges of flag computations.
var interesting = []uint64{
	0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
	0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffff7fffffff, 0xffffffff80000000,
}

func randomValue(rng *rand.Rand) uint64 {
	switch n := rng.IntN(100); {
	case n < 25:
		return rng.Uint64()
	case n < 55:
		v := interesting[rng.IntN(len(interesting))]
		if rng.IntN(4) == 0 {
			v ^= rng.Uint64() << 32 // garbage in the upper half
		}
		return v
	case n < 85:
		return cpuData + rng.Uint64N(cpuDataLen)
	default:
		return cpuCode + rng.Uint64N(cpuCodeLen)
	}
}

// randomStart returns random registers and data for running in, with its memory
// operand, if any, usually aimed into the data window.
func randomStart(rng *rand.Rand, c *child, in *Insn) (unix.PtraceRegs, []byte) {
	r := c.base
	r.Orig_rax = ^uint64(0)
	s := state{rip: codeAt}
	for i := range s.gpr {
		s.gpr[i] = randomValue(rng)
	}
	if rng.IntN(10) != 0 {
		s.gpr[rsp] = cpuData + 0x4000 + rng.Uint64N(0x8000)
		if rng.IntN(4) != 0 {
			s.gpr[rsp] &^= 7
		}
	}
	bases := []uint64{0, cpuData, cpuData + 0x1000}
	s.fsBase = bases[rng.IntN(len(bases))]
	s.gsBase = bases[rng.IntN(len(bases))]
	s.flags = 0x202
	for _, f := range []uint64{flagCF, flagPF, flagAF, flagZF, flagSF, flagOF, 0x400 /* DF */} {
		if rng.IntN(2) == 0 {
			s.flags |= f
		}
	}
	for _, a := range operands(&in.inst) {
		if m, ok := a.(x86asm.Mem); ok && m.Base != x86asm.RIP && rng.IntN(5) != 0 {
			aim(rng, &s, in, m)
		}
	}
	s.store(&r)
	r.Fs_base, r.Gs_base = s.fsBase, s.gsBase

	data := make([]byte, cpuDataLen)
	for i := 0; i < len(data); i += 8 {
		var v uint64
		switch n := rng.IntN(10); {
		case n < 4:
			v = rng.Uint64()
		case n < 7:
			v = cpuCode + rng.Uint64N(cpuCodeLen)
		default:
			v = interesting[rng.IntN(len(interesting))]
		}
		binary.LittleEndian.PutUint64(data[i:], v)
	}
	return r, data
}

// aim sets the base or index register of m so that the operand falls in the data window.
func aim(rng *rand.Rand, s *state, in *Insn, m x86asm.Mem) {
	target := cpuData + 0x10 + rng.Uint64N(cpuDataLen-0x20)
	switch m.Segment {
	case x86asm.FS:
		target -= s.fsBase
	case x86asm.GS:
		target -= s.gsBase
	}
	target -= uint64(m.Disp)
	base, okBase := gprOf(m.Base)
	index, okIndex := gprOf(m.Index)
	scale := uint64(m.Scale)
	switch {
	case okBase && okIndex && base.idx == index.idx:
		s.gpr[base.idx] = target / (1 + scale)
	case okBase:
		if okIndex {
			if rng.IntN(4) != 0 {
				s.gpr[index.idx] = rng.Uint64N(16)
			}
			if rng.IntN(2) == 0 && in.inst.AddrSize == 32 {
				s.gpr[index.idx] |= rng.Uint64() << 32 // ignored by 32-bit addressing
			}
			target -= s.gpr[index.idx] * scale
		}
		s.gpr[base.idx] = target
		if in.inst.AddrSize == 32 {
			s.gpr[base.idx] = uint64(uint32(target)) | rng.Uint64()<<32
		}
	case okIndex:
		s.gpr[index.idx] = target / scale
	}
}

// fixRIPRelative points the displacement of a rip-relative operand into the data
// window, where random bytes would reach nothing. It rewrites code and in alike.
func fixRIPRelative(rng *rand.Rand, in *Insn, code []byte) {
	if !in.RIPRelative() || in.inst.PCRel != 4 || in.inst.Op == x86asm.LEA || rng.IntN(5) == 0 {
		return
	}
	for _, a := range operands(&in.inst) {
		if m, ok := a.(x86asm.Mem); ok && m.Segment != 0 {
			return // fs: or gs: adds a base chosen later
		}
	}
	target := cpuData + rng.Uint64N(cpuDataLen-8)
	disp := uint32(target - (in.pc + uint64(in.n)))
	binary.LittleEndian.PutUint32(code[in.inst.PCRelOff:], disp)
	fixed, err := Decode(code, in.pc)
	if err != nil || fixed.Len() != len(code) {
		panic(fmt.Sprintf("re-decoding % x: %v", code, err))
	}
	*in = fixed
}
