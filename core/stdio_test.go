package core

import (
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// pipedLaunch launches bin with its stdout and stderr piped into Outputs.
func pipedLaunch(t *testing.T, e *Engine, bin string, args ...string) (*Process, *Output, *Output) {
	t.Helper()
	var outs [2]*Output
	var ends [2]*os.File
	for i := range outs {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outs[i], ends[i] = NewOutput(r), w
		t.Cleanup(func() { outs[i].Close() })
	}
	p, err := e.Launch(LaunchConfig{Path: bin, Args: append([]string{bin}, args...), Stdout: ends[0], Stderr: ends[1]})
	for _, w := range ends {
		w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p, outs[0], outs[1]
}

// TestPipedOutputWhileBreakpointFires: bigwrite writes 100 MiB to a pipe
// while a breakpoint fires after each 64 KiB; the capture drains it as it
// comes, so the program never blocks, and it loses nothing: its length and
// FNV-1a hash are what the program says it wrote.
func TestPipedOutputWhileBreakpointFires(t *testing.T) {
	const mib = 100
	bin := testtarget.Build(t, "c/bigwrite", testtarget.Default)
	e := newEngine(t)
	p, out, errOut := pipedLaunch(t, e, bin, fmt.Sprint(mib))
	hits := 0
	if _, err := p.BreakAt("chunk_written", func(*Thread, *Breakpoint) bool { hits++; return false }); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p)
	if !out.WaitEOF(30*time.Second) || !errOut.WaitEOF(30*time.Second) {
		t.Fatal("the pipes did not reach their end after the exit")
	}
	got := out.Bytes()
	h := fnv.New64a()
	h.Write(got)
	want := fmt.Sprintf("bytes=%d fnv=%016x\n", mib<<20, h.Sum64())
	if len(got) != mib<<20 || string(errOut.Bytes()) != want {
		t.Errorf("captured %d bytes hashing to %016x; the program says %q", len(got), h.Sum64(), errOut.Bytes())
	}
	if hits != mib*16 {
		t.Errorf("%d hits of chunk_written, want %d", hits, mib*16)
	}
}

// TestPipedOutputWhileStopped: while the program is stopped at a
// breakpoint, what it wrote before is drained, more than a pipe holds, so
// it had never blocked; and it goes on to write the rest once continued.
func TestPipedOutputWhileStopped(t *testing.T) {
	bin := testtarget.Build(t, "c/bigwrite", testtarget.Default)
	e := newEngine(t)
	p, out, errOut := pipedLaunch(t, e, bin, "4")
	const stopAt = 40 // chunks of 64 KiB: 2.5 MiB, 40 times a default pipe
	n := 0
	bp, err := p.BreakAt("chunk_written", func(*Thread, *Breakpoint) bool { n++; return n == stopAt })
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	waitKind(t, p, EventBreakpoint)
	deadline := time.Now().Add(30 * time.Second)
	for len(out.Bytes()) < stopAt*64<<10 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := len(out.Bytes()); n != stopAt*64<<10 {
		t.Fatalf("stopped after chunk %d: %d bytes captured, want %d", stopAt, n, stopAt*64<<10)
	}
	if err := bp.Disable(); err != nil {
		t.Fatal(err)
	}
	runToSuccess(t, p)
	out.WaitEOF(30 * time.Second)
	errOut.WaitEOF(30 * time.Second)
	if n := len(out.Bytes()); n != 4<<20 || !strings.HasPrefix(string(errOut.Bytes()), "bytes=4194304 ") {
		t.Errorf("%d bytes captured; the program says %q", n, errOut.Bytes())
	}
}

// TestInput: queued writes reach the program in order, a write never
// blocks on a program that does not read, and Close gives it end-of-file.
func TestInput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	in := NewInput(w)
	big := strings.Repeat("x", 1<<20) // more than the pipe holds: queued
	for _, s := range []string{"a", big, "b"} {
		if err := in.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Write([]byte("c")); err != ErrInputClosed {
		t.Errorf("write after close: %v", err)
	}
	out := NewOutput(r)
	if !out.WaitEOF(30 * time.Second) {
		t.Fatal("no end-of-file after Close")
	}
	if got := string(out.Bytes()); got != "a"+big+"b" {
		t.Errorf("read %d bytes, want %d in order", len(got), len(big)+2)
	}
}
