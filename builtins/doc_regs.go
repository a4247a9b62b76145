package builtins

import "stardbg/core"

const regsSummary = `The general-purpose registers of a stopped thread, live: reading t.regs.rax
or t.regs["rax"] reads the register now, and t.regs.rax = 0 writes it (ints
in [-2**63, 2**64); negative ones are stored in two's complement). Values
read are unsigned 64-bit ints. dir(t.regs) lists the names; below they are in
the kernel's user_regs_struct order. There are no sub-registers (eax, ax,
al): mask the full one, t.regs.rax & 0xffffffff. The segment selectors (cs,
ss, ds, es, fs, gs) are read-only. t.fpregs has the x87, SSE and AVX
registers.`

// regDocs describes each register of core.RegNames; TestDocCoversEverything
// fails when one is missing.
var regDocs = map[string]string{
	"rax":      "the return value; the system call number at a syscall; Go's argument 0",
	"rbx":      "callee-saved; Go's argument 1",
	"rcx":      "argument 3 (SysV); Go's argument 2",
	"rdx":      "argument 2 (SysV); the second return register",
	"rsi":      "argument 1 (SysV); Go's argument 4",
	"rdi":      "argument 0 (SysV); Go's argument 3",
	"rbp":      "the frame pointer, where code keeps one; callee-saved",
	"rsp":      "the stack pointer (t.sp)",
	"r8":       "argument 4 (SysV); Go's argument 5",
	"r9":       "argument 5 (SysV); Go's argument 6",
	"r10":      "the fourth system call argument; Go's argument 7",
	"r11":      "scratch (syscall saves rflags in it); Go's argument 8",
	"r12":      "callee-saved",
	"r13":      "callee-saved",
	"r14":      "callee-saved; the current goroutine (g) in Go code",
	"r15":      "callee-saved",
	"rip":      "the instruction pointer (t.pc)",
	"eflags":   "the flags: CF is bit 0, ZF bit 6, SF bit 7, TF bit 8, IF bit 9, DF bit 10, OF bit 11",
	"orig_rax": "the system call number while the thread is in a system call, else -1 (2**64-1)",
	"fs_base":  "the fs segment base: the thread pointer, where thread-local storage is",
	"gs_base":  "the gs segment base (0 in most user programs)",
	"cs":       "the code segment selector (read-only)",
	"ss":       "the stack segment selector (read-only)",
	"ds":       "the data segment selector (read-only)",
	"es":       "the extra segment selector (read-only)",
	"fs":       "the fs segment selector (read-only; fs_base is the base)",
	"gs":       "the gs segment selector (read-only; gs_base is the base)",
}

func regsGroup() docGroup {
	fields := map[string]string{}
	for _, n := range core.RegNames {
		fields[n] = n + ": " + regDocs[n] + "."
	}
	return docGroup{name: "regs", summary: regsSummary, fields: fields, fieldLabel: "Registers", order: core.RegNames}
}
