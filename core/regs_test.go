package core

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Each register constant names its field of user_regs_struct and its name.
func TestRegConstants(t *testing.T) {
	if numRegs != len(RegNames) {
		t.Fatalf("%d register constants, %d names", numRegs, len(RegNames))
	}
	var r unix.PtraceRegs
	r.R15, r.Rbx, r.R8, r.Rax, r.Rdi, r.Orig_rax, r.Rip, r.Eflags, r.Rsp, r.Fs_base, r.Gs = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	for _, tc := range []struct {
		reg  Reg
		name string
		want uint64
	}{
		{R15, "r15", 1}, {RBX, "rbx", 2}, {R8, "r8", 3}, {RAX, "rax", 4}, {RDI, "rdi", 5},
		{OrigRAX, "orig_rax", 6}, {RIP, "rip", 7}, {EFLAGS, "eflags", 8}, {RSP, "rsp", 9},
		{FSBase, "fs_base", 10}, {GS, "gs", 11},
	} {
		if got := *regPtr(&r, tc.reg); got != tc.want || tc.reg.String() != tc.name || RegIndex(tc.name) != tc.reg {
			t.Errorf("register %d: value %d, name %q, RegIndex %d; want %d, %q", int(tc.reg), got, tc.reg, RegIndex(tc.name), tc.want, tc.name)
		}
	}
	if got := Reg(numRegs).String(); got != "reg(27)" {
		t.Errorf("String of an unknown register: %q", got)
	}
}
