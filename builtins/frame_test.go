package builtins

import (
	"testing"

	"stardbg/core/sym"
)

// TestFrameString covers the forms of a frame's line that a test program
// does not show reliably: no line, no function, no module, two-digit numbers.
func TestFrameString(t *testing.T) {
	for _, tc := range []struct {
		n    int
		f    sym.Frame
		want string
	}{
		{0, sym.Frame{PC: 0x55d1c0c011c9, Function: "hot", File: "/src/testdata/c/hotthreads.c", Line: 26, Module: "hotthreads"},
			"#0  0x000055d1c0c011c9 in hot at hotthreads.c:26"},
		{1, sym.Frame{PC: 0x7f3b2a494ac3, Function: "start_thread", Module: "libc.so.6"},
			"#1  0x00007f3b2a494ac3 in start_thread from libc.so.6"},
		{2, sym.Frame{PC: 0x7f3b2a526850, Module: "libc.so.6", ModuleAddr: 0x126850},
			"#2  0x00007f3b2a526850 in libc.so.6+0x126850"},
		{3, sym.Frame{PC: 0x1234}, "#3  0x0000000000001234 in ??"},
		{4, sym.Frame{PC: 0x401000, Function: "jit_stub"}, "#4  0x0000000000401000 in jit_stub"},
		{12, sym.Frame{PC: 0x401136, Function: "main.worker", File: "main.go", Line: 7},
			"#12 0x0000000000401136 in main.worker at main.go:7"},
	} {
		if got := (&Frame{n: tc.n, f: tc.f}).String(); got != tc.want {
			t.Errorf("frame %+v:\n got %q\nwant %q", tc.f, got, tc.want)
		}
	}
}

// TestMappingString: an anonymous mapping's line ends with its offset.
func TestMappingString(t *testing.T) {
	for _, tc := range []struct {
		m    sym.Map
		want string
	}{
		{sym.Map{Start: 0x7f3b2a400000, End: 0x7f3b2a428000, Perms: "r--p", Path: "/usr/lib/libc.so.6"},
			"0x7f3b2a400000-0x7f3b2a428000 r--p 0x0 /usr/lib/libc.so.6"},
		{sym.Map{Start: 0x1000, End: 0x3000, Perms: "rw-p", Offset: 0x2000}, "0x1000-0x3000 rw-p 0x2000"},
	} {
		if got := (&Mapping{tc.m}).String(); got != tc.want {
			t.Errorf("mapping %+v:\n got %q\nwant %q", tc.m, got, tc.want)
		}
	}
}
