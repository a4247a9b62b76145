package core

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"stardbg/core/disasm"
	"stardbg/core/sym"
	"stardbg/internal/testtarget"
)

// objdumpInsn is one line of objdump -d: an instruction's text, whitespace
// collapsed.
type objdumpInsn struct {
	addr uint64
	text string
}

// objdumpFile disassembles the ELF file at path with objdump -d, at link
// addresses, zero blocks included.
func objdumpFile(t *testing.T, path string, syn disasm.Syntax) []objdumpInsn {
	t.Helper()
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump not installed (binutils): the disassembly is compared with its output")
	}
	args := []string{"-d", "-w", "-z", "--no-show-raw-insn", path}
	if syn == disasm.Intel {
		args = append(args, "-M", "intel")
	}
	out, err := exec.Command("objdump", args...).Output()
	if err != nil {
		t.Fatalf("objdump -d %s: %v", path, err)
	}
	var insns []objdumpInsn
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, ":\t")
		if !strings.HasPrefix(line, " ") || i < 0 {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimSpace(line[:i]), 16, 64)
		if err != nil {
			continue
		}
		insns = append(insns, objdumpInsn{addr, strings.Join(strings.Fields(line[i+2:]), " ")})
	}
	if len(insns) == 0 {
		t.Fatalf("objdump -d %s printed no instructions", path)
	}
	return insns
}

var (
	symbolNote  = regexp.MustCompile(` <[^>]*>`)
	objdumpNote = regexp.MustCompile(`# ([0-9a-f]+)\b`)
	symVersion  = regexp.MustCompile(`@[A-Z_0-9.@]+>`)
	branchAddr  = regexp.MustCompile(` ([0-9a-f]+)$`)
)

// comparable writes objdump's text and ours alike: objdump prints branch
// targets and the addresses of its "#" notes without 0x, and the names in
// <...> are left out of the comparison (objdump names an address after the
// nearest symbol before it, versioned: <abort@@GLIBC_2.2.5+0x53>, where
// stardbg names only an address a symbol covers, unversioned).
func comparable(text string, objdump bool) string {
	text = strings.Join(strings.Fields(symbolNote.ReplaceAllString(text, "")), " ")
	if objdump {
		text = objdumpNote.ReplaceAllString(text, "# 0x$1")
		if !strings.Contains(text, "#") {
			text = branchAddr.ReplaceAllString(text, " 0x$1")
		}
	}
	return text
}

// mnemonic is the words of an instruction before its operands: "lock
// cmpxchg", "rep stos".
func mnemonic(text string) string {
	var words []string
	for _, w := range strings.Fields(text) {
		if strings.ContainsAny(w, "%$(,:*#[") || w[0] >= '0' && w[0] <= '9' || w[0] == '-' || strings.ToUpper(w) == w {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// funcSym is a function of an ELF file, at its link address.
type funcSym struct {
	name       string
	addr, size uint64
}

// elfFuncs lists the functions with a size of the ELF file at path, one
// per address.
func elfFuncs(t *testing.T, path string) []funcSym {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, _ := f.Symbols()
	dyn, _ := f.DynamicSymbols()
	seen := map[uint64]bool{}
	var out []funcSym
	for _, s := range append(syms, dyn...) {
		typ := elf.ST_TYPE(s.Info)
		if typ != elf.STT_FUNC && typ != elf.STT_GNU_IFUNC || s.Size == 0 || s.Section == elf.SHN_UNDEF || seen[s.Value] {
			continue
		}
		if int(s.Section) >= len(f.Sections) || f.Sections[s.Section].Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		seen[s.Value] = true
		out = append(out, funcSym{s.Name, s.Value, s.Size})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

// disasmTally counts how stardbg's disassembly in one syntax compares
// with objdump's.
type disasmTally struct {
	syn             disasm.Syntax
	insns, sameText int
	kinds           map[string]int    // mnemonic of the instructions whose text differs
	example         map[string]string // one of each kind
}

// compareWithObjdump disassembles every function of the module at path,
// loaded at bias in p, with p.Disasm(count=-1) and checks that the
// instruction boundaries are objdump's, and in AT&T syntax the mnemonics,
// counting the texts that differ.
func compareWithObjdump(t *testing.T, p *Process, path string, bias uint64, tally *disasmTally) {
	t.Helper()
	od := objdumpFile(t, path, tally.syn)
	byAddr := make(map[uint64]int, len(od))
	for i, in := range od {
		byAddr[in.addr] = i
	}
	funcs := elfFuncs(t, path)
	if len(funcs) == 0 {
		t.Fatalf("%s has no functions", path)
	}
	bad := 0
	for _, fn := range funcs {
		insns, err := p.Disasm(fmt.Sprintf("%#x", fn.addr+bias), -1, tally.syn)
		if err != nil {
			t.Errorf("%s: disasm %s %s: %v", path, tally.syn, fn.name, err)
			bad++
			continue
		}
		end := insns[len(insns)-1].Addr + uint64(insns[len(insns)-1].Len) - bias
		if end != fn.addr+fn.size {
			// A smaller alias covers the address: compare what was decoded.
			if s, _ := p.Symbols(); s != nil && s.PCToFunc(fn.addr+bias).Size == fn.size {
				t.Errorf("%s: %s ends at %#x, want %#x", path, fn.name, end, fn.addr+fn.size)
			}
		}
		i, ok := byAddr[fn.addr]
		if !ok {
			t.Errorf("%s: objdump has no instruction at %s (%#x)", path, fn.name, fn.addr)
			bad++
			continue
		}
		for _, in := range insns {
			link := in.Addr - bias
			if i >= len(od) || od[i].addr != link {
				t.Errorf("%s: %s+%#x: stardbg decodes an instruction at %#x (%s), objdump at %#x", path, fn.name, link-fn.addr, link, in.Text, od[min(i, len(od)-1)].addr)
				bad++
				break
			}
			want := comparable(od[i].text, true)
			text := in.Text
			if in.HasTarget { // at the link address, as objdump prints it
				text = strings.Replace(text, fmt.Sprintf("%#x", in.Target), fmt.Sprintf("%#x", in.Target-bias), 1)
			}
			got := comparable(text, false)
			if tally.syn == disasm.ATT && mnemonic(want) != mnemonic(got) {
				t.Errorf("%s: %#x in %s: mnemonic %q, objdump %q", path, link, fn.name, got, want)
				bad++
			}
			tally.insns++
			if got == want {
				tally.sameText++
			} else {
				k := mnemonic(want)
				tally.kinds[k]++
				if tally.example[k] == "" {
					tally.example[k] = fmt.Sprintf("%#x %q, objdump %q", link, got, want)
				}
			}
			i++
		}
		if bad > 20 {
			t.Fatalf("%s: too many differences", path)
		}
	}
}

// TestDisasmMatchesObjdump disassembles every function of every test
// target and of libc with Disasm(count=-1) in AT&T syntax and compares the
// result with objdump -d on the same files: the instruction boundaries and
// mnemonics must be objdump's, and the whole text in at least 99% of the
// instructions. Intel syntax is compared with objdump -M intel the same
// way, boundaries and rate, on libc and the C and C++ targets. The kinds that differ are logged; the ones
// known are listed in core/disasm's doc.
func TestDisasmMatchesObjdump(t *testing.T) {
	e := newEngine(t)
	for _, syn := range []disasm.Syntax{disasm.ATT, disasm.Intel} {
		t.Run(syn.String(), func(t *testing.T) {
			tally := &disasmTally{syn: syn, kinds: map[string]int{}, example: map[string]string{}}
			for _, name := range testtarget.Targets() {
				if syn == disasm.Intel && strings.HasPrefix(name, "go/") {
					continue // AT&T covers them; Intel's text is the same decoding, and they are most of the time
				}
				bin := testtarget.Build(t, name, testtarget.Default)
				p := launch(t, e, bin).Process
				compareWithObjdump(t, p, bin, loadBias(t, p.Pid(), bin), tally)
				if name == "c/hotloop" {
					// libc, as the program maps it.
					if _, err := p.BreakAt("main", nil); err != nil {
						t.Fatal(err)
					}
					if err := p.Continue(); err != nil {
						t.Fatal(err)
					}
					waitKind(t, p, EventBreakpoint)
					libc := libcOf(t, p)
					compareWithObjdump(t, p, libc.Path, libc.Bias, tally)
				}
				p.Kill()
			}
			tally.check(t)
		})
	}
}

// check logs the kinds of instructions whose text differs and fails below
// 99% equal.
func (tally *disasmTally) check(t *testing.T) {
	type kind struct {
		name string
		n    int
	}
	var kinds []kind
	for k, n := range tally.kinds {
		kinds = append(kinds, kind{k, n})
	}
	slices.SortFunc(kinds, func(a, b kind) int { return b.n - a.n })
	for _, k := range kinds {
		t.Logf("text differs in %d %q: e.g. %s", k.n, k.name, tally.example[k.name])
	}
	rate := float64(tally.sameText) / float64(tally.insns)
	t.Logf("%d instructions, text equal to objdump's in %d (%.4f%%)", tally.insns, tally.sameText, 100*rate)
	if tally.insns < 100000 {
		t.Errorf("only %d instructions compared", tally.insns)
	}
	if rate < 0.99 {
		t.Errorf("text equal to objdump's in %.4f%% of instructions, want at least 99%%", 100*rate)
	}
}

// libcOf is the libc module of p.
func libcOf(t *testing.T, p *Process) *sym.Module {
	t.Helper()
	tab, err := p.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tab.Modules() {
		if strings.HasPrefix(m.Name, "libc.so") {
			return m
		}
	}
	t.Fatal("no libc mapped")
	return nil
}

// TestDisasmProcess checks what Disasm adds to the decoding: the names of
// call targets and rip-relative data as objdump gives them, the original
// bytes under a breakpoint, functions and offsets, location specs, counts
// and errors.
func TestDisasmProcess(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CNoPIE) // runtime addresses are objdump's
	e := newEngine(t)
	p := launch(t, e, bin).Process
	od := objdumpFile(t, bin, disasm.ATT)
	byAddr := map[uint64]string{}
	for _, in := range od {
		byAddr[in.addr] = in.text
	}
	insns, err := p.Disasm("main", -1, disasm.ATT)
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, in := range insns {
		want := byAddr[in.Addr]
		if !strings.Contains(want, "<") {
			continue
		}
		want = objdumpNote.ReplaceAllString(want, "# 0x$1")
		want = symVersion.ReplaceAllString(want, ">") // stdout@GLIBC_2.2.5
		if !strings.Contains(want, "#") {
			want = regexp.MustCompile(` ([0-9a-f]+) <`).ReplaceAllString(want, " 0x$1 <")
		}
		if got := strings.Join(strings.Fields(in.Text), " "); got != want {
			t.Errorf("%#x: %q, objdump %q", in.Addr, got, want)
		}
		named++
		if in.Function != "main" || in.Offset != in.Addr-insns[0].Addr {
			t.Errorf("%#x: in %s+%#x, want main+%#x", in.Addr, in.Function, in.Offset, in.Addr-insns[0].Addr)
		}
	}
	// call hot, call answer, counter_global, patch_me, and the PLT stubs of
	// atol, setvbuf and printf.
	if named < 10 {
		t.Errorf("only %d instructions of main name their target", named)
	}

	hot := symAddr(t, p, bin, "hot")
	want, err := p.Disasm("hot", 1, disasm.ATT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.BreakAt("hot", nil); err != nil {
		t.Fatal(err)
	}
	got, err := p.Disasm("hot", 1, disasm.ATT)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Addr != hot || !bytes.Equal(got[0].Bytes, want[0].Bytes) || got[0].Bytes[0] == 0xcc || got[0].Text != byAddr[hot] {
		t.Errorf("hot under a breakpoint: %+v, want the bytes %x and objdump's %q", got, want[0].Bytes, byAddr[hot])
	}
	if got[0].Function != "hot" || got[0].Offset != 0 {
		t.Errorf("hot's entry is in %s+%#x", got[0].Function, got[0].Offset)
	}
	// From the middle of hot to its end, and 3 instructions of a line.
	rest, err := p.Disasm(fmt.Sprintf("%#x", got[0].Addr+uint64(got[0].Len)), -1, disasm.Intel)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := elfSymbol(t, bin, "hot")
	if last := rest[len(rest)-1]; last.Addr+uint64(last.Len) != hot+s.Size || rest[0].Offset != uint64(got[0].Len) {
		t.Errorf("rest of hot: from +%#x to %#x, want from +%#x to %#x", rest[0].Offset, last.Addr+uint64(last.Len), got[0].Len, hot+s.Size)
	}
	line := testtarget.Line(t, "c/hotloop.c", "main-call")
	three, err := p.Disasm(fmt.Sprintf("hotloop.c:%d", line), 3, disasm.ATT)
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := p.Symbols()
	locs, _ := tab.Resolve(fmt.Sprintf("hotloop.c:%d", line))
	if len(three) != 3 || three[0].Addr != locs[0].Addr || three[0].Function != "main" {
		t.Errorf("hotloop.c:%d: %+v, want 3 instructions of main from %#x", line, three, locs[0].Addr)
	}

	var nf *sym.NotFoundError
	if _, err := p.Disasm("hto", 4, disasm.ATT); !errors.As(err, &nf) {
		t.Errorf("unknown function: %v, want a NotFoundError", err)
	}
	var me *MemoryError
	if _, err := p.Disasm("0x10", 4, disasm.ATT); !errors.As(err, &me) {
		t.Errorf("unmapped address: %v, want a MemoryError", err)
	}
	if _, err := p.Disasm(fmt.Sprintf("%#x", symAddr(t, p, bin, "counter_global")), -1, disasm.ATT); !errors.Is(err, ErrNoFuncSize) {
		t.Errorf("whole function at data: %v, want ErrNoFuncSize", err)
	}
}
