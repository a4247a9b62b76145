package emu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	testPC   = 0x401000 // where the table's instructions sit
	testData = 0x10000  // a 4 KiB read-write region
	testRO   = 0x20000  // a 4 KiB read-only region
	testSP   = testData + 0x800
)

// regs names the registers a test sets or expects: "rax" to "r15", "rip", "flags",
// "fs_base", "gs_base".
type regs map[string]uint64

// fl returns rflags with IF and the reserved bit 1 set, as a user thread has them,
// plus the named flags ("cf zf").
func fl(names string) uint64 {
	f := uint64(0x202)
	bits := map[string]uint64{"cf": flagCF, "pf": flagPF, "af": flagAF, "zf": flagZF,
		"sf": flagSF, "of": flagOF, "df": 0x400}
	for _, n := range strings.Fields(names) {
		b, ok := bits[n]
		if !ok {
			panic("unknown flag " + n)
		}
		f |= b
	}
	return f
}

func regField(r *unix.PtraceRegs, name string) *uint64 {
	switch name {
	case "rax":
		return &r.Rax
	case "rbx":
		return &r.Rbx
	case "rcx":
		return &r.Rcx
	case "rdx":
		return &r.Rdx
	case "rsi":
		return &r.Rsi
	case "rdi":
		return &r.Rdi
	case "rbp":
		return &r.Rbp
	case "rsp":
		return &r.Rsp
	case "r8":
		return &r.R8
	case "r9":
		return &r.R9
	case "r10":
		return &r.R10
	case "r11":
		return &r.R11
	case "r12":
		return &r.R12
	case "r13":
		return &r.R13
	case "r14":
		return &r.R14
	case "r15":
		return &r.R15
	case "rip":
		return &r.Rip
	case "flags":
		return &r.Eflags
	case "fs_base":
		return &r.Fs_base
	case "gs_base":
		return &r.Gs_base
	}
	panic("unknown register " + name)
}

var regNames = []string{"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "rip", "flags", "fs_base", "gs_base"}

// diffRegs lists the registers that differ between got and want.
func diffRegs(got, want *unix.PtraceRegs) string {
	var b strings.Builder
	for _, n := range regNames {
		g, w := *regField(got, n), *regField(want, n)
		if g != w {
			fmt.Fprintf(&b, "\n\t%s = %#x, want %#x", n, g, w)
		}
	}
	if got.Orig_rax != want.Orig_rax || got.Cs != want.Cs || got.Ss != want.Ss {
		fmt.Fprintf(&b, "\n\tsegment or orig_rax registers changed")
	}
	return b.String()
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// le returns v as n little-endian bytes in hex.
func le(v uint64, n int) string {
	var b [8]byte
	for i := range n {
		b[i] = byte(v >> (8 * i))
	}
	return hex.EncodeToString(b[:n])
}

type emulateTest struct {
	name    string
	code    string            // hex
	in      regs              // initial registers besides rip (testPC), rsp (testSP), flags (fl(""))
	mem     map[uint64]string // initial memory (hex), in the data region
	want    regs              // registers that change; rip defaults to past the instruction
	wantMem map[uint64]string // memory after (hex)
}

var emulateTests = []emulateTest{
	// No-ops.
	{name: "endbr64", code: "f3 0f 1e fa"},
	{name: "endbr32", code: "f3 0f 1e fb"},
	{name: "nop", code: "90"},
	{name: "xchg ax,ax", code: "66 90", in: regs{"rax": 0xffffffff00000001}},
	{name: "rex.w nop", code: "48 90"},
	{name: "pause", code: "f3 90"},
	{name: "nop [rax]", code: "0f 1f 00", in: regs{"rax": 1}},
	{name: "nop [rax+rax+0]", code: "0f 1f 44 00 00"},
	{name: "nop [rax+0]", code: "0f 1f 40 00"},
	{name: "nop [rax+disp32]", code: "0f 1f 80 00 00 00 00"},
	{name: "nop word [rax+rax+disp32]", code: "66 0f 1f 84 00 00 00 00 00"},
	{name: "nop cs: word", code: "66 2e 0f 1f 84 00 00 00 00 00"},
	{name: "nop 66 66 cs: word", code: "66 66 2e 0f 1f 84 00 00 00 00 00"},
	{name: "nop rip", code: "0f 1f 05 00 00 00 80"},

	// xchg that is not a no-op.
	{name: "xchg r8d,eax", code: "41 90", in: regs{"r8": 0x1111111122222222, "rax": 0x3333333344444444},
		want: regs{"r8": 0x44444444, "rax": 0x22222222}},
	{name: "xchg r8,rax", code: "49 90", in: regs{"r8": 1, "rax": 2}, want: regs{"r8": 2, "rax": 1}},
	{name: "xchg eax,eax", code: "87 c0", in: regs{"rax": 0xffffffff00000001}, want: regs{"rax": 1}},
	{name: "xchg bl,ah", code: "86 e3", in: regs{"rax": 0x1234, "rbx": 0x5678}, want: regs{"rax": 0x7834, "rbx": 0x5612}},

	// Stack.
	{name: "push rbp", code: "55", in: regs{"rbp": 0xdeadbeef},
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "efbeadde00000000"}},
	{name: "push r15", code: "41 57", in: regs{"r15": 0x0102030405060708},
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "0807060504030201"}},
	{name: "push rsp", code: "54",
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: le(testSP, 8)}},
	{name: "push imm8", code: "6a 80",
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "80ffffffffffffff"}},
	{name: "push imm32", code: "68 78 56 34 12",
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "7856341200000000"}},
	{name: "push negative imm32", code: "68 00 00 00 80",
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "00000080ffffffff"}},
	{name: "push ax", code: "66 50", in: regs{"rax": 0x1234},
		want: regs{"rsp": testSP - 2}, wantMem: map[uint64]string{testSP - 2: "3412", testSP - 4: "0000"}},
	{name: "push imm16", code: "66 6a ff",
		want: regs{"rsp": testSP - 2}, wantMem: map[uint64]string{testSP - 2: "ffff", testSP - 4: "0000"}},
	{name: "push [rsp+8]", code: "ff 74 24 08", mem: map[uint64]string{testSP + 8: "1122334455667788"},
		want: regs{"rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: "1122334455667788"}},
	{name: "pop rbp", code: "5d", mem: map[uint64]string{testSP: "0807060504030201"},
		want: regs{"rsp": testSP + 8, "rbp": 0x0102030405060708}},
	{name: "pop r12", code: "41 5c", mem: map[uint64]string{testSP: "0100000000000080"},
		want: regs{"rsp": testSP + 8, "r12": 0x8000000000000001}},
	{name: "pop rsp", code: "5c", mem: map[uint64]string{testSP: le(testData+0x100, 8)},
		want: regs{"rsp": testData + 0x100}},
	{name: "pop ax", code: "66 58", in: regs{"rax": 0xffffffffffffffff}, mem: map[uint64]string{testSP: "3412"},
		want: regs{"rsp": testSP + 2, "rax": 0xffffffffffff1234}},

	// mov.
	{name: "mov rbp,rsp", code: "48 89 e5", want: regs{"rbp": testSP}},
	{name: "mov rbp,rsp (8b)", code: "48 8b ec", want: regs{"rbp": testSP}},
	{name: "mov eax,ebx zero-extends", code: "89 d8", in: regs{"rax": 0xffffffffffffffff, "rbx": 0xaaaaaaaa80000000},
		want: regs{"rax": 0x80000000}},
	{name: "mov ax,bx merges", code: "66 89 d8", in: regs{"rax": 0xffffffffffffffff, "rbx": 0x1234},
		want: regs{"rax": 0xffffffffffff1234}},
	{name: "mov al,bl merges", code: "88 d8", in: regs{"rax": 0xffffffffffffffff, "rbx": 0x12},
		want: regs{"rax": 0xffffffffffffff12}},
	{name: "mov ah,bl", code: "88 dc", in: regs{"rax": 0xffffffffffffffff, "rbx": 0x12},
		want: regs{"rax": 0xffffffffffff12ff}},
	{name: "mov spl,bl", code: "40 88 dc", in: regs{"rbx": 0x12}, want: regs{"rsp": testSP&^0xff | 0x12}},
	{name: "mov r9d,r10d", code: "45 89 d1", in: regs{"r9": 0xffffffffffffffff, "r10": 0x1111111122222222},
		want: regs{"r9": 0x22222222}},
	{name: "mov eax,imm32", code: "b8 ff ff ff ff", in: regs{"rax": 0x1234567800000000},
		want: regs{"rax": 0xffffffff}},
	{name: "mov r9d,imm32", code: "41 b9 01 00 00 00", in: regs{"r9": 0xffffffffffffffff}, want: regs{"r9": 1}},
	{name: "mov rax,imm64", code: "48 b8 08 07 06 05 04 03 02 01", want: regs{"rax": 0x0102030405060708}},
	{name: "mov rax,-1", code: "48 c7 c0 ff ff ff ff", want: regs{"rax": 0xffffffffffffffff}},
	{name: "mov bh,imm8", code: "b7 ab", want: regs{"rbx": 0xab00}},
	{name: "mov ax,imm16", code: "66 b8 34 12", in: regs{"rax": 0xffffffffffffffff}, want: regs{"rax": 0xffffffffffff1234}},
	{name: "mov rax,[rsp+8]", code: "48 8b 44 24 08", mem: map[uint64]string{testSP + 8: "0807060504030201"},
		want: regs{"rax": 0x0102030405060708}},
	{name: "mov eax,[rsp]", code: "8b 04 24", in: regs{"rax": 0xffffffffffffffff},
		mem: map[uint64]string{testSP: "ddccbbaa99887766"}, want: regs{"rax": 0xaabbccdd}},
	{name: "mov [rbp-8],rdi", code: "48 89 7d f8", in: regs{"rbp": testSP, "rdi": 0x1122334455667788},
		wantMem: map[uint64]string{testSP - 8: "8877665544332211"}},
	{name: "mov [rbx+rcx*4+0x10],imm32", code: "c7 44 8b 10 44 33 22 11", in: regs{"rbx": testData, "rcx": 3},
		wantMem: map[uint64]string{testData + 0x1c: "44332211", testData + 0x20: "00"}},
	{name: "mov byte [rax],0x7f", code: "c6 00 7f", in: regs{"rax": testData},
		mem: map[uint64]string{testData: "ffff"}, wantMem: map[uint64]string{testData: "7fff"}},
	{name: "mov word [rax],0x1234", code: "66 c7 00 34 12", in: regs{"rax": testData},
		mem: map[uint64]string{testData: "ffffff"}, wantMem: map[uint64]string{testData: "3412ff"}},
	{name: "mov qword [rax],-2", code: "48 c7 00 fe ff ff ff", in: regs{"rax": testData},
		wantMem: map[uint64]string{testData: "feffffffffffffff"}},
	{name: "mov [r13+r12*8-8],r11", code: "4f 89 5c e5 f8", in: regs{"r13": testData + 8, "r12": 2, "r11": 5},
		wantMem: map[uint64]string{testData + 16: "0500000000000000"}},
	{name: "mov [rsp],al", code: "88 04 24", in: regs{"rax": 0x99},
		wantMem: map[uint64]string{testSP: "99"}},
	{name: "mov rax,[rip+disp]", code: "48 8b 05" + rel32(testData+0x10, testPC+7),
		mem: map[uint64]string{testData + 0x10: "0102030405060708"}, want: regs{"rax": 0x0807060504030201}},
	{name: "mov [rip+disp],eax", code: "89 05" + rel32(testData+0x20, testPC+6), in: regs{"rax": 0xaabbccdd},
		wantMem: map[uint64]string{testData + 0x20: "ddccbbaa"}},
	{name: "mov dword [rip+disp],imm32", code: "c7 05" + rel32(testData+0x30, testPC+10) + "44332211",
		wantMem: map[uint64]string{testData + 0x30: "44332211"}},
	{name: "mov byte [rip+disp],imm8", code: "c6 05" + rel32(testData+0x30, testPC+7) + "aa",
		wantMem: map[uint64]string{testData + 0x30: "aa00"}},
	{name: "mov rax,[moffs64]", code: "48 a1" + le(testData+8, 8), mem: map[uint64]string{testData + 8: "ffffffffffffffff"},
		want: regs{"rax": 0xffffffffffffffff}},
	{name: "mov rax,fs:[0x28]", code: "64 48 8b 04 25 28 00 00 00", in: regs{"fs_base": testData},
		mem: map[uint64]string{testData + 0x28: "efcdab8967452301"}, want: regs{"rax": 0x0123456789abcdef}},
	{name: "mov eax,gs:[rbx]", code: "65 8b 03", in: regs{"gs_base": testData, "rbx": 4},
		mem: map[uint64]string{testData + 4: "78563412"}, want: regs{"rax": 0x12345678}},
	{name: "mov eax,[ebx] addr32", code: "67 8b 03", in: regs{"rbx": 0xffffffff00000000 | testData},
		mem: map[uint64]string{testData: "78563412"}, want: regs{"rax": 0x12345678}},

	// movzx, movsx, movsxd.
	{name: "movzx eax,byte [rsp]", code: "0f b6 04 24", in: regs{"rax": 0xffffffffffffffff},
		mem: map[uint64]string{testSP: "80ff"}, want: regs{"rax": 0x80}},
	{name: "movzx eax,bx", code: "0f b7 c3", in: regs{"rax": 0xffffffffffffffff, "rbx": 0xffff8000},
		want: regs{"rax": 0x8000}},
	{name: "movsx rax,bl", code: "48 0f be c3", in: regs{"rbx": 0x80}, want: regs{"rax": 0xffffffffffffff80}},
	{name: "movsx ecx,ah", code: "0f be cc", in: regs{"rax": 0x8000, "rcx": 0xffffffffffffffff},
		want: regs{"rcx": 0xffffff80}},
	{name: "movsx ax,bl", code: "66 0f be c3", in: regs{"rax": 0x1111111111111111, "rbx": 0xff},
		want: regs{"rax": 0x111111111111ffff}},
	{name: "movsx eax,word [rsp]", code: "0f bf 04 24", mem: map[uint64]string{testSP: "0080"},
		want: regs{"rax": 0xffff8000}},
	{name: "movsxd rax,dword [rsp]", code: "48 63 04 24", mem: map[uint64]string{testSP: "feffffff"},
		want: regs{"rax": 0xfffffffffffffffe}},
	{name: "movsxd rdx,eax", code: "48 63 d0", in: regs{"rax": 0x7fffffff}, want: regs{"rdx": 0x7fffffff}},
	{name: "movsxd r8,r9d", code: "4d 63 c1", in: regs{"r9": 0x80000000}, want: regs{"r8": 0xffffffff80000000}},

	// lea.
	{name: "lea rax,[rip+0x10]", code: "48 8d 05 10 00 00 00", want: regs{"rax": testPC + 7 + 0x10}},
	{name: "lea rdi,[rip-0x20]", code: "48 8d 3d e0 ff ff ff", want: regs{"rdi": testPC + 7 - 0x20}},
	{name: "lea rbp,[rsp+0x20]", code: "48 8d 6c 24 20", want: regs{"rbp": testSP + 0x20}},
	{name: "lea rax,[rbx+rcx*8-8]", code: "48 8d 44 cb f8", in: regs{"rbx": 0x1000, "rcx": 3},
		want: regs{"rax": 0x1000 + 24 - 8}},
	{name: "lea eax,[rax+rax*2]", code: "8d 04 40", in: regs{"rax": 0x80000001}, want: regs{"rax": 0x80000003}},
	{name: "lea r8,[r9+r10*4+0x100]", code: "4f 8d 84 91 00 01 00 00", in: regs{"r9": 1, "r10": 2},
		want: regs{"r8": 0x109}},
	{name: "lea rax,[0x1000]", code: "48 8d 04 25 00 10 00 00", want: regs{"rax": 0x1000}},
	{name: "lea rax,[disp32] sign-extends", code: "48 8d 04 25 00 00 00 80", want: regs{"rax": 0xffffffff80000000}},
	{name: "lea eax,[ebx+ecx] addr32 wraps", code: "67 8d 04 0b", in: regs{"rbx": 0xfffffffff0000000, "rcx": 0x20000000},
		want: regs{"rax": 0x10000000}},
	{name: "lea rax,[ebx] addr32 zero-extends", code: "67 48 8d 03", in: regs{"rbx": 0xffffffff80000000},
		want: regs{"rax": 0x80000000}},
	{name: "lea ax,[rbx+1]", code: "66 8d 43 01", in: regs{"rax": 0xffffffffffffffff, "rbx": 0x1ffff},
		want: regs{"rax": 0xffffffffffff0000}},
	{name: "lea ignores fs", code: "64 48 8d 03", in: regs{"rbx": 0x10, "fs_base": 0x1000}, want: regs{"rax": 0x10}},

	// Function prologues and Go's stack check.
	{name: "sub rsp,0x20", code: "48 83 ec 20", want: regs{"rsp": testSP - 0x20, "flags": fl("")}},
	{name: "add rsp,0x20", code: "48 83 c4 20", want: regs{"rsp": testSP + 0x20, "flags": fl("")}},
	{name: "sub rsp,0x100", code: "48 81 ec 00 01 00 00", want: regs{"rsp": testSP - 0x100, "flags": fl("pf")}},
	{name: "add rsp,-8", code: "48 83 c4 f8", want: regs{"rsp": testSP - 8, "flags": fl("cf")}},
	{name: "cmp rsp,[r14+0x10] above", code: "49 3b 66 10", in: regs{"r14": testData},
		mem: map[uint64]string{testData + 0x10: le(testSP-0x100, 8)}, want: regs{"flags": fl("pf")}},
	{name: "cmp rsp,[r14+0x10] below", code: "49 3b 66 10", in: regs{"r14": testData, "flags": fl("zf")},
		mem: map[uint64]string{testData + 0x10: le(testSP+0x100, 8)}, want: regs{"flags": fl("cf sf pf")}},
	{name: "cmp rsp,[r14+0x10] equal", code: "49 3b 66 10", in: regs{"r14": testData, "flags": fl("cf of sf")},
		mem: map[uint64]string{testData + 0x10: le(testSP, 8)}, want: regs{"flags": fl("zf pf")}},
	{name: "cmp r12,[r14+0x10]", code: "4d 3b 66 10", in: regs{"r14": testData, "r12": 5},
		mem: map[uint64]string{testData + 0x10: le(6, 8)}, want: regs{"flags": fl("cf sf pf af")}},
	{name: "xor eax,eax", code: "31 c0", in: regs{"rax": 0xffffffffffffffff, "flags": fl("cf of sf af")},
		want: regs{"rax": 0, "flags": fl("zf pf")}},
	{name: "xor r8d,r8d", code: "45 31 c0", in: regs{"r8": 0xffffffffffffffff}, want: regs{"r8": 0, "flags": fl("zf pf")}},

	// Flags, by size.
	{name: "sub eax,ebx borrow", code: "29 d8", in: regs{"rax": 0xffffffff00000001, "rbx": 2},
		want: regs{"rax": 0xffffffff, "flags": fl("cf sf af pf")}},
	{name: "sub al,1 overflow", code: "2c 01", in: regs{"rax": 0x80}, want: regs{"rax": 0x7f, "flags": fl("of af")}},
	{name: "sub rax,rbx zero", code: "48 29 d8", in: regs{"rax": 0x8000000000000000, "rbx": 0x8000000000000000},
		want: regs{"rax": 0, "flags": fl("zf pf")}},
	{name: "sub rax,1 from min", code: "48 83 e8 01", in: regs{"rax": 0x8000000000000000},
		want: regs{"rax": 0x7fffffffffffffff, "flags": fl("of af pf")}},
	{name: "sub ax,imm16", code: "66 2d 01 00", in: regs{"rax": 0xaaaa0000}, want: regs{"rax": 0xaaaaffff, "flags": fl("cf sf af pf")}},
	{name: "add eax,1 overflow", code: "83 c0 01", in: regs{"rax": 0x7fffffff},
		want: regs{"rax": 0x80000000, "flags": fl("of sf af pf")}},
	{name: "add rax,rbx carry", code: "48 01 d8", in: regs{"rax": 0xffffffffffffffff, "rbx": 1},
		want: regs{"rax": 0, "flags": fl("cf zf af pf")}},
	{name: "add ax,bx carry merges", code: "66 01 d8", in: regs{"rax": 0x123456789abcffff, "rbx": 1},
		want: regs{"rax": 0x123456789abc0000, "flags": fl("cf zf af pf")}},
	{name: "add al,0x80", code: "04 80", in: regs{"rax": 0x80}, want: regs{"rax": 0, "flags": fl("cf of zf pf")}},
	{name: "add bh,ah", code: "00 e7", in: regs{"rax": 0x0f00, "rbx": 0x0100}, want: regs{"rbx": 0x1000, "flags": fl("af")}},
	{name: "add r15b,1 parity", code: "41 80 c7 01", in: regs{"r15": 0x02}, want: regs{"r15": 0x03, "flags": fl("pf")}},
	{name: "cmp eax,ebx equal", code: "39 d8", in: regs{"rax": 0x1234, "rbx": 0xffffffff00001234},
		want: regs{"flags": fl("zf pf")}},
	{name: "cmp al,0x80", code: "3c 80", in: regs{"rax": 0x7f}, want: regs{"flags": fl("cf of sf pf")}},
	{name: "cmp byte [rsp],0", code: "80 3c 24 00", mem: map[uint64]string{testSP: "00"}, want: regs{"flags": fl("zf pf")}},
	{name: "cmp qword [rsp],imm8", code: "48 83 3c 24 ff", mem: map[uint64]string{testSP: "feffffffffffffff"},
		want: regs{"flags": fl("cf sf af pf")}},
	{name: "and al,3 parity even", code: "24 03", in: regs{"rax": 0x07, "flags": fl("cf of af")}, want: regs{"rax": 3, "flags": fl("pf")}},
	{name: "or al,1 parity odd", code: "0c 01", in: regs{"rax": 0x10}, want: regs{"rax": 0x11, "flags": fl("pf")}},
	{name: "or eax,-1", code: "83 c8 ff", in: regs{"rax": 0xff00000000000000}, want: regs{"rax": 0xffffffff, "flags": fl("sf pf")}},
	{name: "and rax,-16", code: "48 83 e0 f0", in: regs{"rax": 0xffff0000ffff0001}, want: regs{"rax": 0xffff0000ffff0000, "flags": fl("sf pf")}},
	{name: "adc eax,0 carry in", code: "83 d0 00", in: regs{"rax": 0xffffffff, "flags": fl("cf")},
		want: regs{"rax": 0, "flags": fl("cf zf af pf")}},
	{name: "sbb eax,eax", code: "19 c0", in: regs{"flags": fl("cf")}, want: regs{"rax": 0xffffffff, "flags": fl("cf sf af pf")}},
	{name: "sbb eax,eax no carry", code: "19 c0", in: regs{"rax": 5}, want: regs{"rax": 0, "flags": fl("zf pf")}},
	{name: "test eax,eax", code: "85 c0", in: regs{"rax": 0xffffffff00000000, "flags": fl("cf of")}, want: regs{"flags": fl("zf pf")}},
	{name: "test al,0x80", code: "a8 80", in: regs{"rax": 0x80}, want: regs{"flags": fl("sf")}},
	{name: "test rax,imm32", code: "48 a9 00 00 00 80", in: regs{"rax": 0x8000000000000000}, want: regs{"flags": fl("sf pf")}},
	{name: "test byte [rsp],1", code: "f6 04 24 01", mem: map[uint64]string{testSP: "01"}, want: regs{"flags": fl("")}},
	{name: "inc eax keeps cf", code: "ff c0", in: regs{"rax": 0xffffffff, "flags": fl("cf")},
		want: regs{"rax": 0, "flags": fl("cf zf af pf")}},
	{name: "dec rax", code: "48 ff c8", in: regs{"rax": 0}, want: regs{"rax": 0xffffffffffffffff, "flags": fl("sf af pf")}},
	{name: "inc byte [rsp]", code: "fe 04 24", mem: map[uint64]string{testSP: "7f"},
		want: regs{"flags": fl("of sf af")}, wantMem: map[uint64]string{testSP: "80"}},
	{name: "add [rsp],rax", code: "48 01 04 24", in: regs{"rax": 1}, mem: map[uint64]string{testSP: "ff00000000000000"},
		want: regs{"flags": fl("af pf")}, wantMem: map[uint64]string{testSP: "0001000000000000"}},
	{name: "sub qword [rsp],1", code: "48 83 2c 24 01", mem: map[uint64]string{testSP: "0000000000000000"},
		want: regs{"flags": fl("cf sf af pf")}, wantMem: map[uint64]string{testSP: "ffffffffffffffff"}},
	{name: "xor al,ah", code: "30 e0", in: regs{"rax": 0xf00f}, want: regs{"rax": 0xf0ff, "flags": fl("sf pf")}},
	{name: "other flags kept", code: "31 c0", in: regs{"flags": fl("df cf")}, want: regs{"flags": fl("df zf pf")}},

	// Branches.
	{name: "call rel32", code: "e8 10 00 00 00", want: regs{"rip": testPC + 5 + 0x10, "rsp": testSP - 8},
		wantMem: map[uint64]string{testSP - 8: le(testPC+5, 8)}},
	{name: "call backwards", code: "e8 fb ff ff ff", want: regs{"rip": testPC, "rsp": testSP - 8},
		wantMem: map[uint64]string{testSP - 8: le(testPC+5, 8)}},
	{name: "bnd call", code: "f2 e8 00 01 00 00", want: regs{"rip": testPC + 6 + 0x100, "rsp": testSP - 8},
		wantMem: map[uint64]string{testSP - 8: le(testPC+6, 8)}},
	{name: "call rax", code: "ff d0", in: regs{"rax": 0x500000}, want: regs{"rip": 0x500000, "rsp": testSP - 8},
		wantMem: map[uint64]string{testSP - 8: le(testPC+2, 8)}},
	{name: "call [rsp]", code: "ff 14 24", mem: map[uint64]string{testSP: le(0x500000, 8)},
		want: regs{"rip": 0x500000, "rsp": testSP - 8}, wantMem: map[uint64]string{testSP - 8: le(testPC+3, 8)}},
	{name: "jmp rel8", code: "eb 10", want: regs{"rip": testPC + 2 + 0x10}},
	{name: "jmp rel8 back", code: "eb fe", want: regs{"rip": testPC}},
	{name: "jmp rel32", code: "e9 00 00 00 80", in: regs{"rip": 0x90000000}, want: regs{"rip": 0x90000000 + 5 - 0x80000000}},
	{name: "jmp [rip+disp] (plt)", code: "ff 25" + rel32(testData+0x40, testPC+6),
		mem: map[uint64]string{testData + 0x40: le(0x7f0000001000, 8)}, want: regs{"rip": 0x7f0000001000}},
	{name: "jmp r11", code: "41 ff e3", in: regs{"r11": 0x400000}, want: regs{"rip": 0x400000}},
	{name: "je taken", code: "74 10", in: regs{"flags": fl("zf")}, want: regs{"rip": testPC + 2 + 0x10}},
	{name: "je not taken", code: "74 10", want: regs{"rip": testPC + 2}},
	{name: "jne rel32 taken", code: "0f 85 00 01 00 00", want: regs{"rip": testPC + 6 + 0x100}},
	{name: "jl taken", code: "7c f0", in: regs{"flags": fl("sf")}, want: regs{"rip": testPC + 2 - 0x10}},
	{name: "jl not taken", code: "7c f0", in: regs{"flags": fl("sf of")}},
	{name: "jbe taken", code: "76 01", in: regs{"flags": fl("zf")}, want: regs{"rip": testPC + 3}},
	{name: "ja not taken", code: "0f 87 01 00 00 00", in: regs{"flags": fl("cf")}},
	{name: "jg not taken", code: "7f 01", in: regs{"flags": fl("sf")}},
	{name: "jp taken", code: "7a 01", in: regs{"flags": fl("pf")}, want: regs{"rip": testPC + 3}},
	{name: "hint-taken je", code: "3e 74 01", in: regs{"flags": fl("zf")}, want: regs{"rip": testPC + 4}},
	{name: "ret", code: "c3", mem: map[uint64]string{testSP: le(0x400123, 8)}, want: regs{"rip": 0x400123, "rsp": testSP + 8}},
	{name: "rep ret", code: "f3 c3", mem: map[uint64]string{testSP: le(0x400123, 8)}, want: regs{"rip": 0x400123, "rsp": testSP + 8}},
	{name: "ret 0x10", code: "c2 10 00", mem: map[uint64]string{testSP: le(0x400123, 8)}, want: regs{"rip": 0x400123, "rsp": testSP + 0x18}},
}

// newTestMem returns the memory of the table tests: a zeroed read-write region at
// testData and a read-only one at testRO.
func newTestMem(init map[uint64]string) *fakeMem {
	m := &fakeMem{regions: []*region{
		{addr: testData, data: make([]byte, 0x1000)},
		{addr: testRO, data: make([]byte, 0x1000), readOnly: true},
	}}
	for addr, h := range init {
		if err := m.WriteMem(addr, mustHex(h)); err != nil {
			panic(err)
		}
	}
	m.writes = 0
	return m
}

func TestEmulate(t *testing.T) {
	for _, tt := range emulateTests {
		t.Run(tt.name, func(t *testing.T) {
			var r unix.PtraceRegs
			r.Rip, r.Rsp, r.Eflags = testPC, testSP, fl("")
			r.Cs, r.Ss, r.Orig_rax = 0x33, 0x2b, ^uint64(0)
			for n, v := range tt.in {
				*regField(&r, n) = v
			}
			code := mustHex(tt.code)
			in, err := Decode(append(code, 0xcc, 0xcc), r.Rip)
			if err != nil {
				t.Fatal(err)
			}
			if in.Len() != len(code) {
				t.Fatalf("Len() = %d, want %d (%s)", in.Len(), len(code), &in)
			}
			if !in.Emulable() {
				t.Fatalf("%s: not emulable", &in)
			}
			want := r
			want.Rip += uint64(len(code))
			for n, v := range tt.want {
				*regField(&want, n) = v
			}
			mem := newTestMem(tt.mem)
			wantData := bytes.Clone(mem.regions[0].data)
			for addr, h := range tt.wantMem {
				copy(wantData[addr-testData:], mustHex(h))
			}
			if err := in.Emulate(&r, mem); err != nil {
				t.Fatal(err)
			}
			if d := diffRegs(&r, &want); d != "" {
				t.Errorf("%s:%s", &in, d)
			}
			if got := mem.regions[0].data; !bytes.Equal(got, wantData) {
				for i := range got {
					if got[i] != wantData[i] {
						t.Errorf("%s: memory at %#x = %#02x, want %#02x", &in, testData+i, got[i], wantData[i])
					}
				}
			}
		})
	}
}

// TestEmulateRefuses checks the instructions Emulate must leave to real execution.
func TestEmulateRefuses(t *testing.T) {
	for _, code := range []string{
		"0f 05",          // syscall
		"cc",             // int3
		"f0 01 00",       // lock add
		"f0 48 0f b1 0a", // lock cmpxchg
		"f3 a4",          // rep movsb
		"f3 01 00",       // rep add: prefix with no defined meaning
		"f2 01 00",       // repne add
		"87 00",          // xchg [rax],eax: implicitly locked
		"66 e9 00 00",    // jmp rel16
		"67 e3 00",       // jecxz
		"e2 fe",          // loop
		"66 c3",          // ret with operand-size prefix
		"cb",             // far ret
		"ff 28",          // far jmp
		"8f 00",          // pop [rax]
		"0f 20 c0",       // mov rax,cr0
		"8c d8",          // mov eax,ds
		"0f a0",          // push fs
		"c5 f8 77",       // vzeroupper
		"0f 1e c8",       // hint nop
		"f3 48 0f 1e c8", // rdsspq
		"0f 0b",          // ud2
		"0f a2",          // cpuid
		"48 0f 44 c1",    // cmove: not emulated
		"f7 d8",          // neg: not emulated
		"48 c1 e0 04",    // shl: not emulated
		"0f 31",          // rdtsc
		"0f 28 c1",       // movaps
		"f3 0f 6f 04 24", // movdqu
		"c9",             // leave
	} {
		in, err := Decode(mustHex(code), testPC)
		if err != nil {
			continue // undecodable is not emulable either
		}
		if in.Emulable() {
			t.Errorf("% x (%s): Emulable() = true, want false", mustHex(code), &in)
			continue
		}
		r := unix.PtraceRegs{Rip: testPC, Rsp: testSP}
		before := r
		err = in.Emulate(&r, newTestMem(nil))
		if !errors.Is(err, ErrNotEmulable) {
			t.Errorf("%s: Emulate error = %v, want ErrNotEmulable", &in, err)
		}
		if r != before {
			t.Errorf("%s: Emulate changed the registers", &in)
		}
	}
}

// TestEmulateErrors checks that a failed Emulate reports why and changes nothing.
func TestEmulateErrors(t *testing.T) {
	tests := []struct {
		name string
		code string
		in   regs
		want error
	}{
		{"load from unmapped", "48 8b 03", regs{"rbx": 8}, errFault},
		{"store to unmapped", "48 89 03", regs{"rbx": 8}, errFault},
		{"store across the region end", "48 89 03", regs{"rbx": testData + 0xffc}, errFault},
		{"store to read-only", "01 03", regs{"rbx": testRO, "flags": fl("cf")}, errFault},
		{"push below the stack", "55", regs{"rsp": testData + 4}, errFault},
		{"pop from unmapped", "5d", regs{"rsp": 0x1000}, errFault},
		{"call with unmapped stack", "e8 00 00 00 00", regs{"rsp": 0x1000}, errFault},
		{"non-canonical fs", "64 48 8b 04 25 00 00 00 00", regs{"fs_base": 0x8000000000000000}, errFault},
		{"rip is past the int3", "90", regs{"rip": testPC + 1}, ErrWrongPC},
		{"jmp to kernel half", "ff e0", regs{"rax": 0xffffffff81000000}, ErrBranchTarget},
		{"jmp non-canonical", "ff e0", regs{"rax": 0x0000800000000000}, ErrBranchTarget},
		{"ret to non-canonical", "c3", regs{"rsp": testRO}, ErrBranchTarget},
		{"jmp rel32 wraps", "e9 00 00 00 80", nil, ErrBranchTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := unix.PtraceRegs{Rip: testPC, Rsp: testSP, Eflags: fl("")}
			for n, v := range tt.in {
				*regField(&r, n) = v
			}
			mem := newTestMem(nil)
			if tt.name == "ret to non-canonical" {
				copy(mem.regions[1].data, mustHex(le(0x0000800000000000, 8)))
			}
			in, err := Decode(mustHex(tt.code), testPC)
			if err != nil {
				t.Fatal(err)
			}
			before := r
			err = in.Emulate(&r, mem)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Emulate error = %v, want %v", err, tt.want)
			}
			var ee *EmulateError
			if !errors.As(err, &ee) || ee.PC != in.PC() {
				t.Errorf("error %v is not an *EmulateError at %#x", err, in.PC())
			}
			if tt.want == errFault {
				var me *MemoryError
				if !errors.As(err, &me) {
					t.Errorf("error %v carries no *MemoryError", err)
				}
			}
			if r != before {
				t.Errorf("registers changed:%s", diffRegs(&r, &before))
			}
			if mem.writes != 0 || !bytes.Equal(mem.regions[0].data, make([]byte, 0x1000)) {
				t.Errorf("memory changed")
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		code     string
		len      int
		str      string
		emulable bool
		ripRel   bool
		shadow   bool
	}{
		{"f3 0f 1e fa 55", 4, "endbr64", true, false, false},
		{"55 48 89 e5", 1, "push rbp", true, false, false},
		{"66 2e 0f 1f 84 00 00 00 00 00 90", 10, "", true, false, false},
		{"48 8b 05 10 00 00 00", 7, "mov rax, qword ptr [rip+0x10]", true, true, false},
		{"48 8d 0d 10 00 00 00", 7, "lea rcx, ptr [rip+0x10]", true, true, false},
		{"67 8d 05 10 00 00 00", 7, "", true, true, false},
		{"e8 00 00 00 00", 5, "call .+0x0", true, false, true},
		{"c3", 1, "ret", true, false, true},
		{"ff 25 00 00 00 00", 6, "", true, true, false},
		{"49 3b 66 10 76 20", 4, "cmp rsp, qword ptr [r14+0x10]", true, false, false},
		{"0f 05", 2, "syscall", false, false, false},
		{"c5 f8 77", 3, "vzeroupper", false, false, false},
		{"48 b8 01 02 03 04 05 06 07 08 cc cc cc cc cc cc", 10, "", true, false, false},
	}
	for _, tt := range tests {
		in, err := Decode(mustHex(tt.code), 0x1000)
		if err != nil {
			t.Errorf("Decode(% x): %v", mustHex(tt.code), err)
			continue
		}
		if in.Len() != tt.len || in.PC() != 0x1000 || !bytes.Equal(in.Bytes(), mustHex(tt.code)[:tt.len]) {
			t.Errorf("Decode(% x) = len %d pc %#x bytes % x, want len %d", mustHex(tt.code), in.Len(), in.PC(), in.Bytes(), tt.len)
		}
		if tt.str != "" && in.String() != strings.Replace(tt.str, ".+0x0", "0x1005", 1) {
			t.Errorf("Decode(% x).String() = %q, want %q", mustHex(tt.code), in.String(), tt.str)
		}
		if in.Emulable() != tt.emulable || in.RIPRelative() != tt.ripRel || in.ShadowStack() != tt.shadow {
			t.Errorf("Decode(% x): Emulable %v RIPRelative %v ShadowStack %v, want %v %v %v", mustHex(tt.code),
				in.Emulable(), in.RIPRelative(), in.ShadowStack(), tt.emulable, tt.ripRel, tt.shadow)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		code string
		want error
	}{
		{"", ErrTruncated},
		{"48", ErrTruncated},
		{"0f", ErrTruncated},
		{"f3 0f 1e", ErrTruncated},
		{"e8 00 00", ErrTruncated},
		{"48 8b 04", ErrTruncated},
		{"66 2e 0f 1f 84 00 00", ErrTruncated},
		{"06", ErrInvalid}, // push es: invalid in 64-bit mode
		{"d6", ErrInvalid}, // salc
		{"66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", ErrInvalid}, // longer than 15 bytes
	}
	for _, tt := range tests {
		_, err := Decode(mustHex(tt.code), 0x1000)
		var de *DecodeError
		if !errors.Is(err, tt.want) || !errors.As(err, &de) || de.PC != 0x1000 {
			t.Errorf("Decode(% x) error = %v, want a *DecodeError with %v", mustHex(tt.code), err, tt.want)
		}
	}
}

// TestEmulateTableCovers keeps the table honest: every operation Emulate knows has a case.
func TestEmulateTableCovers(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range emulateTests {
		in, err := Decode(mustHex(tt.code), testPC)
		if err == nil && in.inst.Op != 0 {
			seen[in.inst.Op.String()] = true
		}
	}
	var missing []string
	for _, op := range []string{"NOP", "PAUSE", "MOV", "MOVZX", "MOVSX", "MOVSXD", "LEA", "XCHG", "PUSH", "POP",
		"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST", "INC", "DEC", "JMP", "CALL", "RET",
		"JE", "JNE", "JL", "JBE", "JA", "JG", "JP"} {
		if !seen[op] {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no table case for %v", missing)
	}
}

// rel32 returns, in hex, the 32-bit displacement from next to target.
func rel32(target, next uint64) string { return le(target-next, 4) }
