package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"stardbg/internal/testtarget"
)

// TestTracepointUnprivileged runs stardbg as nobody without capabilities:
// tracepoint fails, naming the missing capabilities and break_at, while
// break_at itself works on the same program.
func TestTracepointUnprivileged(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and setpriv to run stardbg as an unprivileged user")
	}
	dir, err := os.MkdirTemp("", "stardbg-nobody-") // t.TempDir's parent is root's alone
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile := func(src, dst string) string {
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		out, err := os.OpenFile(filepath.Join(dir, dst), os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		return out.Name()
	}
	bin := copyFile(binary, "stardbg")
	target := copyFile(testtarget.Build(t, "c/hotloop", testtarget.Default), "hotloop")
	script := filepath.Join(dir, "tp.star")
	src := `
p = launch([argv[1], "100"], stdout="null")
assert.fails(lambda: p.tracepoint("hot"), "^tracepoint: eBPF uprobes are not available: stardbg runs without CAP_BPF and CAP_PERFMON \\(or root\\); break_at does the same work with stops$")
bp = p.break_at("hot", on_hit=lambda t, bp: None)
assert.eq(p.run().kind, "exited")
print("hits", bp.hits)
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
		bin, "run", script, target)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^hits 100$`).Match(out) {
		t.Fatalf("stardbg as nobody: %v\n%s", err, out)
	}
}
