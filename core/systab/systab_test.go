package systab

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMatchesKernelHeader compares the table with the kernel's own list of
// x86-64 system calls, asm/unistd_64.h, where it is installed.
func TestMatchesKernelHeader(t *testing.T) {
	f, err := os.Open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
	if err != nil {
		t.Skipf("no kernel header to compare with (install linux-libc-dev): %v", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || fs[0] != "#define" || !strings.HasPrefix(fs[1], "__NR_") {
			continue
		}
		nr, err := strconv.Atoi(fs[2])
		if err != nil {
			continue
		}
		name := strings.TrimPrefix(fs[1], "__NR_")
		if got := Name(nr); got != name {
			t.Errorf("Name(%d) = %q, the header says %q", nr, got, name)
		}
		if got, ok := Number(name); !ok || got != nr {
			t.Errorf("Number(%q) = %d, %v; the header says %d", name, got, ok, nr)
		}
		n++
	}
	if n < 300 {
		t.Fatalf("only %d system calls read from the header", n)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		name string
		nr   int
	}{{"read", 0}, {"write", 1}, {"openat", 257}, {"clone3", 435}, {"rt_sigreturn", 15}, {"restart_syscall", 219}} {
		if nr, ok := Number(c.name); !ok || nr != c.nr {
			t.Errorf("Number(%q) = %d, %v, want %d", c.name, nr, ok, c.nr)
		}
	}
	if Name(-1) != "" || Name(Max+1) != "" || Name(335) == "" {
		t.Errorf("Name out of range or of uretprobe: %q %q %q", Name(-1), Name(Max+1), Name(335))
	}
	if _, ok := Number("fstatat"); ok {
		t.Errorf("fstatat is libc's name, not the kernel's")
	}
	if len(Names()) < 370 {
		t.Errorf("Names has %d names", len(Names()))
	}
}

func TestErrno(t *testing.T) {
	for _, c := range []struct {
		name string
		e    int
	}{{"ENOENT", 2}, {"EINTR", 4}, {"ENOSPC", 28}, {"EAGAIN", 11}, {"EWOULDBLOCK", 11}, {"ERESTARTSYS", 512}} {
		if e, ok := Errno(c.name); !ok || e != c.e {
			t.Errorf("Errno(%q) = %d, %v, want %d", c.name, e, ok, c.e)
		}
	}
	if ErrnoName(2) != "ENOENT" || ErrnoName(11) != "EAGAIN" || ErrnoName(516) != "ERESTART_RESTARTBLOCK" || ErrnoName(0) != "" {
		t.Errorf("ErrnoName: %q %q %q %q", ErrnoName(2), ErrnoName(11), ErrnoName(516), ErrnoName(0))
	}
	if !Restart(512) || Restart(4) {
		t.Errorf("Restart(512) = %v, Restart(4) = %v", Restart(512), Restart(4))
	}
	if _, ok := Errno("ENOTANERRNO"); ok {
		t.Errorf("Errno accepted a made-up name")
	}
}
