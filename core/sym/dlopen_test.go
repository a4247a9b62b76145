package sym

import (
	"testing"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// TestRendezvousDlopen runs c/dlopener (dlopen, dlclose, dlopen again of
// libplugin.so) with a breakpoint on the rendezvous address, as the engine
// does for pending breakpoints, and refreshes the modules whenever the
// dynamic linker says the list is consistent: libplugin.so appears,
// disappears and appears again, and its function resolves while loaded.
func TestRendezvousDlopen(t *testing.T) {
	bin := testtarget.Build(t, "c/dlopener", testtarget.CO0)
	tr := startTraced(t, bin)
	mem := openMem(t, tr.pid)
	tab, err := NewTable(testFiles, tr.pid, "", mem)
	if err != nil {
		t.Fatal(err)
	}
	brk, ok := tab.RendezvousAddr()
	if !ok {
		t.Fatal("no rendezvous address")
	}
	orig := make([]byte, 1)
	if _, err := mem.f.ReadAt(orig, int64(brk)); err != nil {
		t.Fatal(err)
	}
	plant := func(b byte) {
		if _, err := mem.f.WriteAt([]byte{b}, int64(brk)); err != nil {
			t.Fatal(err)
		}
	}
	plant(0xcc)
	var events []string
	resolvedWhileLoaded := false
	for sig := 0; ; {
		if err := unix.PtraceCont(tr.pid, sig); err != nil {
			t.Fatal(err)
		}
		sig = 0
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tr.pid, &ws, 0, nil); err != nil {
			t.Fatal(err)
		}
		if ws.Exited() {
			if ws.ExitStatus() != 0 {
				t.Fatalf("dlopener exited with %d", ws.ExitStatus())
			}
			break
		}
		if !ws.Stopped() {
			t.Fatalf("dlopener ended: %v", ws)
		}
		if ws.StopSignal() != unix.SIGTRAP {
			sig = int(ws.StopSignal())
			continue
		}
		regs := tr.regs()
		if regs.Rip != brk+1 {
			t.Fatalf("SIGTRAP at %#x, not at the rendezvous breakpoint %#x", regs.Rip, brk)
		}
		// Step over the breakpoint: put the byte back, step, plant it again.
		regs.Rip = brk
		tr.setRegs(regs)
		plant(orig[0])
		if err := unix.PtraceSingleStep(tr.pid); err != nil {
			t.Fatal(err)
		}
		tr.wait(unix.SIGTRAP)
		plant(0xcc)
		if st, ok := tab.RDebugState(); !ok || st != 0 {
			continue // RT_ADD or RT_DELETE: the list is changing
		}
		added, removed, err := tab.Refresh()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range added {
			events = append(events, "+"+m.Name)
			if m.Name == "libplugin.so" {
				locs, err := tab.Resolve("libplugin:plugin_fn")
				if err != nil || len(locs) != 1 || !m.Contains(locs[0].Addr) || lineAt(tab, locs[0].Body) != testtarget.Line(t, "c/dlopener/plugin.c", "plugin-body") {
					t.Errorf("Resolve(libplugin:plugin_fn) = %s, %v", fmtLocs(locs), err)
				}
				resolvedWhileLoaded = true
			}
		}
		for _, m := range removed {
			events = append(events, "-"+m.Name)
		}
	}
	var plugin []string
	for _, e := range events {
		if e[1:] == "libplugin.so" {
			plugin = append(plugin, e)
		}
	}
	// The second copy may be unloaded again before exit.
	want := []string{"+libplugin.so", "-libplugin.so", "+libplugin.so", "-libplugin.so"}
	if len(plugin) < 3 || len(plugin) > 4 || !resolvedWhileLoaded {
		t.Errorf("module events = %v; want libplugin.so added, removed, added", events)
	}
	for i := range plugin {
		if plugin[i] != want[i] {
			t.Errorf("module events = %v; want libplugin.so added, removed, added", events)
			break
		}
	}
	t.Logf("module events: %v", events)
}

func lineAt(tab *Table, pc uint64) int {
	_, line, _, _ := tab.PCToLine(pc)
	return line
}
