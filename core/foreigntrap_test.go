package core

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// fileOffset is the offset in the ELF file bin of the symbol name.
func fileOffset(t *testing.T, bin, name string) uint64 {
	t.Helper()
	s, progs := elfSymbol(t, bin, name)
	for _, p := range progs {
		if p.Type == elf.PT_LOAD && p.Vaddr <= s.Value && s.Value < p.Vaddr+p.Filesz {
			return s.Value - p.Vaddr + p.Off
		}
	}
	t.Fatalf("symbol %s of %s is in no loaded segment", name, bin)
	return 0
}

// copyTarget copies bin into a directory of the test, so that it may be
// patched or probed without touching the shared build.
func copyTarget(t *testing.T, bin string) string {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(bin))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// wantForeignInt3 sets a breakpoint at hot and checks that it is refused
// for the int3 already there, as want says.
func wantForeignInt3(t *testing.T, p *Process, bin string, want ForeignInt3Error) {
	t.Helper()
	addr := symAddr(t, p, bin, "hot")
	want.Addr = addr
	bp, err := p.SetBreakpoint(addr, nil)
	var fe *ForeignInt3Error
	if !errors.As(err, &fe) || !errors.Is(err, ErrForeignInt3) {
		t.Fatalf("breakpoint at hot over an int3 that is not ours: %v, %v; want a ForeignInt3Error", bp, err)
	}
	if *fe != want {
		t.Errorf("error %+v, want %+v", *fe, want)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("cannot set breakpoint at %#x: ", addr)) {
		t.Errorf("message %q does not say the address once first", err)
	}
	if bps := p.Breakpoints(); len(bps) != 0 {
		t.Errorf("breakpoints after the refusal: %v", bps)
	}
}

// A breakpoint where an int3 that is not stardbg's already is would never
// fire (a uprobe takes the trap first) or would take the program's own trap:
// it is refused, saying which. The uprobe's int3 is written here through
// the process's memory, as the kernel writes it.
func TestForeignInt3(t *testing.T) {
	bin := testtarget.Build(t, "c/hotloop", testtarget.CO0)
	e := newEngine(t)
	p := launch(t, e, bin, "5")
	if _, err := p.WriteMemory(symAddr(t, p.Process, bin, "hot"), []byte{0xCC}); err != nil {
		t.Fatal(err)
	}
	wantForeignInt3(t, p.Process, bin, ForeignInt3Error{File: bin})

	own := copyTarget(t, bin)
	fh, err := os.OpenFile(own, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteAt([]byte{0xCC}, int64(fileOffset(t, own, "hot"))); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	q := launch(t, e, own, "5")
	wantForeignInt3(t, q.Process, own, ForeignInt3Error{File: own, InFile: true})
}

// findUprobe reads uprobe_events as the kernel writes it.
func TestFindUprobe(t *testing.T) {
	events := "p:uprobes/p_sh_0x1 /bin/sh:0x0000000000001000\n" +
		"p:stardbg/hot /tmp/x/hotloop:0x0000000000001146 arg1=%di\n" +
		"r:stardbg/ret /tmp/x/hotloop:0x0000000000002000(0x10)\n"
	for _, tc := range []struct {
		path string
		off  uint64
		want string
	}{
		{"/tmp/x/hotloop", 0x1146, "stardbg/hot"},
		{"/tmp/x/hotloop", 0x2000, "stardbg/ret"},
		{"/tmp/x/hotloop", 0x1000, ""},
		{"/bin/sh", 0x1000, "uprobes/p_sh_0x1"},
	} {
		if got := findUprobe(bufio.NewScanner(strings.NewReader(events)), tc.path, tc.off); got != tc.want {
			t.Errorf("findUprobe(%s, %#x) = %q, want %q", tc.path, tc.off, got, tc.want)
		}
	}
}

// With a real uprobe (tracefs mounted and writable: root), the refusal names it.
func TestForeignInt3Uprobe(t *testing.T) {
	const events = "/sys/kernel/tracing/uprobe_events"
	if f, err := os.OpenFile(events, os.O_WRONLY|os.O_APPEND, 0); err != nil {
		t.Skipf("no uprobes here: %v", err)
	} else {
		f.Close()
	}
	bin := copyTarget(t, testtarget.Build(t, "c/hotloop", testtarget.CO0))
	name := fmt.Sprintf("stardbg_test_%d/hot", os.Getpid())
	tracefs := func(file, line string) error {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString(line + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if err := tracefs(events, fmt.Sprintf("p:%s %s:%#x", name, bin, fileOffset(t, bin, "hot"))); err != nil {
		t.Skipf("cannot make a uprobe: %v", err)
	}
	t.Cleanup(func() { tracefs(events, "-:"+name) })
	enable := filepath.Join("/sys/kernel/tracing/events", name, "enable")
	if err := tracefs(enable, "1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tracefs(enable, "0") })
	e := newEngine(t)
	p := launch(t, e, bin, "5")
	wantForeignInt3(t, p.Process, bin, ForeignInt3Error{File: bin, Uprobe: name})
}
