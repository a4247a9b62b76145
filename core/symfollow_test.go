package core

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// TestSymbolsFollowLibraries takes the symbol table at the stop after
// launch, before the dynamic linker has mapped libc, then stops the program
// while it waits in libc's read: the table must know libc by then, and a
// backtrace from there must name the function and go on to main. A table
// that is not kept current shows an address in no module, and the unwinder,
// with no CFI for it, gives up after that one frame.
func TestSymbolsFollowLibraries(t *testing.T) {
	bin := testtarget.Build(t, "c/sleeper", testtarget.Default)
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinW.Close() // end of file ends the target
	e := newEngine(t)
	p := launchCfg(t, e, LaunchConfig{Path: bin, Args: []string{bin, "stdin", "0"}, Stdin: stdinR})
	stdinR.Close()
	tab, err := p.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tab.Modules() {
		if m.Name == "libc.so.6" {
			t.Fatal("libc is mapped at the stop after launch: this test proves nothing")
		}
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	// The main thread blocks in read(0, ...) once it has said it is ready;
	// Wait handles the program's events (the libraries' loading) meanwhile.
	inRead := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", p.Pid()))
		return err == nil && strings.HasPrefix(string(b), "0 ") && strings.Contains(p.output(t), "ready")
	}
	go func() {
		if waitFor(10*time.Second, inRead) {
			p.Stop()
		}
	}()
	waitKind(t, p.Process, EventStopped)
	frames, err := p.Threads()[0].Backtrace(64)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range frames {
		names = append(names, f.Function+" in "+f.Module)
	}
	if len(frames) < 2 || frames[0].Module != "libc.so.6" || frames[0].Function == "" || !strings.Contains(strings.Join(names, ", "), "main in sleeper") {
		t.Fatalf("backtrace from read in libc: %q, want libc.so.6's function first and main in sleeper later", names)
	}
}
