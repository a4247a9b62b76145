package sym

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// frameWant is what one frame of a backtrace should say.
type frameWant struct {
	fn   string
	file string // base name, "" to skip the check
	line int    // 0 to skip the check
}

func checkFrames(t *testing.T, tab *Table, frames []Frame, want []frameWant) {
	t.Helper()
	if len(frames) < len(want) {
		t.Fatalf("backtrace has %d frames, want at least %d:\n%s", len(frames), len(want), fmtFrames(frames))
	}
	for i, w := range want {
		f := frames[i]
		if f.Function != w.fn || w.file != "" && filepath.Base(f.File) != w.file || w.line != 0 && f.Line != w.line {
			t.Errorf("frame %d = %s %s:%d, want %s %s:%d\n%s", i, f.Function, filepath.Base(f.File), f.Line, w.fn, w.file, w.line, fmtFrames(frames))
		}
	}
}

func fmtFrames(frames []Frame) string {
	var b strings.Builder
	for i, f := range frames {
		fmt.Fprintf(&b, "#%-2d %#x %s+%d %s:%d [%s] cfa=%#x via %s\n", i, f.PC, f.Function, f.Offset, filepath.Base(f.File), f.Line, f.Module, f.CFA, f.Unwind)
	}
	return b.String()
}

// TestBacktraceC stops the C target on an int3 five calls deep (main f1 f2
// f3 f4 f5) and unwinds it: by CFI, with and without frame pointers.
func TestBacktraceC(t *testing.T) {
	for _, variant := range cVariants {
		t.Run(variant, func(t *testing.T) {
			tr := startTraced(t, target(t, variant), "trap")
			tr.cont(unix.SIGTRAP)
			tab, err := NewTable(testFiles, tr.pid, "", openMem(t, tr.pid))
			if err != nil {
				t.Fatal(err)
			}
			frames := tab.Backtrace(tr.regs(), nil, 64)
			want := []frameWant{{fn: "f5", file: "chain.c"}}
			for _, f := range []string{"f4", "f3", "f2", "f1"} {
				want = append(want, frameWant{f, "chain.c", lineOf(t, "chain.c", f+"-call")})
			}
			want = append(want, frameWant{"main", "chain.c", lineOf(t, "chain.c", "main-call")})
			checkFrames(t, tab, frames, want)
			// Frame 0 stopped just past the int3.
			if _, line, _, _ := tab.PCToLine(frames[0].PC - 1); line != lineOf(t, "chain.c", "f5-trap") {
				t.Errorf("frame 0 stopped past line %d, want the int3 at line %d", line, lineOf(t, "chain.c", "f5-trap"))
			}
			// Outside main, the unwinder ends in libc's start-up code and stops.
			last := frames[len(frames)-1]
			if len(frames) > 12 || last.Unwind != "" {
				t.Errorf("backtrace did not stop cleanly:\n%s", fmtFrames(frames))
			}
			for _, f := range frames[:6] {
				if f.Unwind != "cfi" {
					t.Errorf("frame %s unwound by %q, want cfi", f.Function, f.Unwind)
				}
			}
			t.Logf("\n%s", fmtFrames(frames))
		})
	}
}

// TestBacktraceGo unwinds a Go target stopped in runtime.Breakpoint: by
// .debug_frame CFI, and without DWARF by frame pointers.
func TestBacktraceGo(t *testing.T) {
	for _, variant := range []string{goFull, goNoDW} {
		t.Run(variant, func(t *testing.T) {
			tr := startTraced(t, target(t, variant), "trap")
			tr.cont(unix.SIGTRAP)
			tab, err := NewTable(testFiles, tr.pid, "", openMem(t, tr.pid))
			if err != nil {
				t.Fatal(err)
			}
			frames := tab.Backtrace(tr.regs(), nil, 64)
			want := []frameWant{
				{fn: "runtime.breakpoint"},
				{fn: "main.trap"},
				{"main.f5", "main.go", lineOf(t, "gochain/main.go", "go-f5-trap")},
			}
			for _, f := range []string{"f4", "f3", "f2", "f1"} {
				want = append(want, frameWant{"main." + f, "main.go", lineOf(t, "gochain/main.go", "go-"+f)})
			}
			want = append(want, frameWant{"main.main", "main.go", lineOf(t, "gochain/main.go", "go-main-call")}, frameWant{fn: "runtime.main"})
			checkFrames(t, tab, frames, want)
			if last := frames[len(frames)-1]; last.Function != "runtime.goexit" {
				t.Errorf("backtrace ends in %s, want runtime.goexit:\n%s", last.Function, fmtFrames(frames))
			}
			wantHow := "cfi"
			if variant == goNoDW {
				wantHow = "fp"
			}
			if frames[3].Unwind != wantHow {
				t.Errorf("main.f4 unwound by %q, want %q", frames[2].Unwind, wantHow)
			}
			t.Logf("\n%s", fmtFrames(frames))
		})
	}
}

// TestBacktraceInLibc plants a breakpoint (0xCC) on libc's write, lets the
// target call it from f5, and unwinds from write's first instruction
// through libc's CFI back to main.
func TestBacktraceInLibc(t *testing.T) {
	for _, variant := range []string{cO0, cO2} {
		t.Run(variant, func(t *testing.T) {
			tr := startTraced(t, target(t, variant), "write")
			tr.cont(unix.SIGTRAP) // the int3 at the start of main: libc is loaded
			mem := openMem(t, tr.pid)
			tab, err := NewTable(testFiles, tr.pid, "", mem)
			if err != nil {
				t.Fatal(err)
			}
			locs, err := tab.Resolve("libc.so.6:write")
			if err != nil || len(locs) != 1 {
				t.Fatalf("Resolve(libc.so.6:write) = %s, %v", fmtLocs(locs), err)
			}
			addr := locs[0].Addr
			orig := make([]byte, 1)
			if _, err := mem.f.ReadAt(orig, int64(addr)); err != nil {
				t.Fatal(err)
			}
			if _, err := mem.f.WriteAt([]byte{0xcc}, int64(addr)); err != nil {
				t.Fatal(err)
			}
			tr.cont(unix.SIGTRAP)
			regs := tr.regs()
			if regs.Rip != addr+1 {
				t.Fatalf("stopped at %#x, want just past the breakpoint at write %#x", regs.Rip, addr)
			}
			regs.Rip = addr
			tr.setRegs(regs)
			if _, err := mem.f.WriteAt(orig, int64(addr)); err != nil {
				t.Fatal(err)
			}
			frames := tab.Backtrace(regs, nil, 64)
			if frames[0].Entry != addr || frames[0].Module != "libc.so.6" {
				t.Errorf("frame 0 = %+v, want write in libc.so.6 at %#x", frames[0], addr)
			}
			want := []frameWant{{fn: frames[0].Function}, {"f5", "chain.c", lineOf(t, "chain.c", "f5-write")}}
			for _, f := range []string{"f4", "f3", "f2", "f1"} {
				want = append(want, frameWant{f, "chain.c", lineOf(t, "chain.c", f+"-call")})
			}
			want = append(want, frameWant{"main", "chain.c", lineOf(t, "chain.c", "main-call")})
			checkFrames(t, tab, frames, want)
			t.Logf("\n%s", fmtFrames(frames))
		})
	}
}

// TestBacktraceFramePointers unwinds the -O0 target (which keeps frame
// pointers) with CFI ignored: from the int3 in f5 by the frame-pointer
// chain, and from the first instruction of libc's write by decoding its
// entry (the return address is at [rsp]) and then the chain.
func TestBacktraceFramePointers(t *testing.T) {
	for _, mode := range []string{"trap", "write"} {
		t.Run(mode, func(t *testing.T) {
			tr := startTraced(t, target(t, cO0), mode)
			tr.cont(unix.SIGTRAP)
			mem := openMem(t, tr.pid)
			tab, err := NewTable(testFiles, tr.pid, "", mem)
			if err != nil {
				t.Fatal(err)
			}
			tab.noCFI = true
			regs := tr.regs()
			var want []frameWant
			if mode == "write" {
				locs, err := tab.Resolve("libc:write")
				if err != nil {
					t.Fatal(err)
				}
				addr := locs[0].Addr
				orig := make([]byte, 1)
				mem.f.ReadAt(orig, int64(addr))
				mem.f.WriteAt([]byte{0xcc}, int64(addr))
				tr.cont(unix.SIGTRAP)
				mem.f.WriteAt(orig, int64(addr))
				regs = tr.regs()
				regs.Rip--
				want = append(want, frameWant{fn: tab.PCToFunc(addr).Name}, frameWant{"f5", "chain.c", lineOf(t, "chain.c", "f5-write")})
			} else {
				want = append(want, frameWant{fn: "f5", file: "chain.c"})
			}
			for _, f := range []string{"f4", "f3", "f2", "f1"} {
				want = append(want, frameWant{f, "chain.c", lineOf(t, "chain.c", f+"-call")})
			}
			want = append(want, frameWant{"main", "chain.c", lineOf(t, "chain.c", "main-call")})
			frames := tab.Backtrace(regs, nil, 64)
			checkFrames(t, tab, frames, want)
			wantHow := "fp"
			if mode == "write" {
				wantHow = "prologue"
			}
			if frames[0].Unwind != wantHow || frames[1].Unwind != "fp" {
				t.Errorf("unwound by %q then %q, want %q then fp", frames[0].Unwind, frames[1].Unwind, wantHow)
			}
			t.Logf("\n%s", fmtFrames(frames))
		})
	}
}

// countingMem counts the reads of a Memory.
type countingMem struct {
	Memory
	reads int
}

func (c *countingMem) ReadMem(addr uint64, b []byte) (int, error) {
	c.reads++
	return c.Memory.ReadMem(addr, b)
}

// TestInnerFrame checks that InnerFrame is the first frame of a backtrace
// and that, with CFI, it reads no memory.
func TestInnerFrame(t *testing.T) {
	for _, variant := range cVariants {
		t.Run(variant, func(t *testing.T) {
			tr := startTraced(t, target(t, variant), "trap")
			tr.cont(unix.SIGTRAP)
			mem := &countingMem{Memory: openMem(t, tr.pid)}
			tab, err := NewTable(testFiles, tr.pid, "", mem)
			if err != nil {
				t.Fatal(err)
			}
			want := tab.Backtrace(tr.regs(), nil, 1)[0]
			if want.Unwind != "cfi" {
				t.Fatalf("frame 0 unwound by %q, want cfi", want.Unwind)
			}
			want.Unwind = ""
			mem.reads = 0
			got := tab.InnerFrame(tr.regs(), mem)
			if mem.reads != 0 {
				t.Errorf("InnerFrame read memory %d times, want none", mem.reads)
			}
			if fmtFrames([]Frame{got}) != fmtFrames([]Frame{want}) || got.CFA == 0 {
				t.Errorf("InnerFrame =\n%swant\n%s", fmtFrames([]Frame{got}), fmtFrames([]Frame{want}))
			}
		})
	}
}
