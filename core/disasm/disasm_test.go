package disasm

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// objdump's text of each encoding at 0x401000, from binutils 2.40
// (objdump -D -b binary -m i386:x86-64 --adjust-vma=0x401000, and -M
// intel): one case for each difference from x86asm that this package
// mends.
var golden = []struct {
	hex, att, intel string
}{
	{"f30f1efa", "endbr64", "endbr64"},
	{"c5f877", "vzeroupper", "vzeroupper"},
	{"0f1f4000", "nopl 0x0(%rax)", "nop DWORD PTR [rax+0x0]"},
	{"662e0f1f840000000000", "cs nopw 0x0(%rax,%rax,1)", "cs nop WORD PTR [rax+rax*1+0x0]"},
	{"6690", "xchg %ax,%ax", "xchg ax,ax"},
	{"4883e4f0", "and $0xfffffffffffffff0,%rsp", "and rsp,0xfffffffffffffff0"},
	{"4863048a", "movslq (%rdx,%rcx,4),%rax", "movsxd rax,DWORD PTR [rdx+rcx*4]"},
	{"4898", "cltq", "cdqe"},
	{"c3", "ret", "ret"},
	{"f3c3", "repz ret", "repz ret"},
	{"e831000000", "call 0x401036", "call 0x401036"},
	{"488d05e52e0000", "lea 0x2ee5(%rip),%rax  # 0x403eec", "lea rax,[rip+0x2ee5]  # 0x403eec"},
	{"64488b042528000000", "mov %fs:0x28,%rax", "mov rax,QWORD PTR fs:0x28"},
	{"48b8f8bfffffffbff7ff", "movabs $0xfff7bfffffffbff8,%rax", "movabs rax,0xfff7bfffffffbff8"},
	{"0f01ee", "rdpkru", "rdpkru"},
	{"4c8b642408", "mov 0x8(%rsp),%r12", "mov r12,QWORD PTR [rsp+0x8]"},
	{"66490f38f6c8", "adcx %r8,%rcx", "adcx rcx,r8"},
	{"f34c0f38f6c3", "adox %rbx,%r8", "adox r8,rbx"},
	{"660f3a44c811", "pclmulhqhqdq %xmm0,%xmm1", "pclmulhqhqdq xmm1,xmm0"},
	{"c4e265001dec8e1f00", "vpshufb 0x1f8eec(%rip),%ymm3,%ymm3  # 0x5f9ef5", "vpshufb ymm3,ymm3,YMMWORD PTR [rip+0x1f8eec]  # 0x5f9ef5"},
	{"43ff64fd00", "jmp *0x0(%r13,%r15,8)", "jmp QWORD PTR [r13+r15*8+0x0]"},
	{"f20fc2c205", "cmpnltsd %xmm2,%xmm0", "cmpnltsd xmm0,xmm2"},
}

func TestGolden(t *testing.T) {
	for _, g := range golden {
		code, err := hex.DecodeString(g.hex)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			syn  Syntax
			want string
		}{{ATT, g.att}, {Intel, g.intel}} {
			in := Decode(code, 0x401000, c.syn, nil)
			if in.Text != c.want || in.Len != len(code) {
				t.Errorf("%s in %s: %q (%d bytes), want %q (%d bytes)", g.hex, c.syn, in.Text, in.Len, c.want, len(code))
			}
		}
	}
}

func TestSymbolized(t *testing.T) {
	sym := func(addr uint64) (string, uint64, bool) {
		switch {
		case addr >= 0x401030 && addr < 0x401040:
			return "hot", addr - 0x401030, true
		case addr >= 0x403ee0 && addr < 0x403ef0:
			return "count", addr - 0x403ee0, true
		}
		return "", 0, false
	}
	call := Decode([]byte{0xe8, 0x31, 0, 0, 0}, 0x401000, ATT, sym)
	if call.Text != "call 0x401036 <hot+0x6>" || !call.HasTarget || call.Target != 0x401036 {
		t.Errorf("call: %+v", call)
	}
	call = Decode([]byte{0xe8, 0x2b, 0, 0, 0}, 0x401000, Intel, sym)
	if call.Text != "call 0x401030 <hot>" || call.Target != 0x401030 {
		t.Errorf("call at a symbol: %+v", call)
	}
	lea := Decode([]byte{0x48, 0x8d, 0x05, 0xe5, 0x2e, 0, 0}, 0x401000, ATT, sym)
	if lea.Text != "lea 0x2ee5(%rip),%rax  # 0x403eec <count+0xc>" || lea.Target != 0x403eec {
		t.Errorf("lea: %+v", lea)
	}
	if mov := Decode([]byte{0x4c, 0x8b, 0x64, 0x24, 0x08}, 0x401000, ATT, sym); mov.HasTarget {
		t.Errorf("mov from the stack has a target: %+v", mov)
	}
}

func TestBadAndDecodeAll(t *testing.T) {
	// 0xff alone does not decode; 0x06 (push es) is invalid in 64-bit mode.
	code := []byte{0x55, 0x06, 0x48, 0x89, 0xe5, 0xc3, 0xe8, 0x00}
	insts := DecodeAll(code, 0x1000, -1, ATT, nil)
	var got []string
	for _, in := range insts {
		got = append(got, in.Text)
	}
	want := []string{"push %rbp", "(bad)", "mov %rsp,%rbp", "ret"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q (the truncated call is left out)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instruction %d: %q, want %q", i, got[i], want[i])
		}
	}
	if !insts[1].Bad || insts[1].Len != 1 || insts[2].Addr != 0x1002 {
		t.Errorf("bad byte: %+v, next at %#x", insts[1], insts[2].Addr)
	}
	// A VEX prefix whose opcode means nothing is one (bad), as objdump has it.
	if in := Decode([]byte{0xc5, 0x9c, 0xf9, 0x11, 0xcb}, 0x1000, ATT, nil); !in.Bad || in.Len != 3 {
		t.Errorf("c5 9c f9: %+v, want a (bad) of 3 bytes", in)
	}
	if n := len(DecodeAll(code, 0x1000, 2, Intel, nil)); n != 2 {
		t.Errorf("count 2 decoded %d", n)
	}
	if _, ok := ParseSyntax("masm"); ok {
		t.Error("masm parsed")
	}
}

// TestRandomBytes decodes random bytes in both syntaxes: nothing panics,
// and every instruction has a length within its bytes.
func TestRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	code := make([]byte, MaxLen+1)
	for i := 0; i < 200000; i++ {
		n := 1 + r.IntN(len(code))
		for j := range n {
			code[j] = byte(r.Uint32())
		}
		for _, syn := range []Syntax{ATT, Intel} {
			in := Decode(code[:n], 0x1000, syn, func(uint64) (string, uint64, bool) { return "f", 1, true })
			if in.Len < 1 || in.Len > n || len(in.Bytes) != in.Len || in.Text == "" {
				t.Fatalf("%x in %s: %+v", code[:n], syn, in)
			}
		}
	}
}
