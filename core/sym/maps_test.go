package sym

import (
	"os"
	"strings"
	"testing"
)

func TestParseMaps(t *testing.T) {
	const text = `55d0c0a00000-55d0c0a01000 r--p 00000000 fe:00 1234                       /usr/bin/prog
55d0c0a01000-55d0c0a02000 r-xp 00001000 fe:00 1234                       /usr/bin/prog with spaces
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 
7f0000002000-7f0000003000 r-xp 00000000 fe:00 99                         /tmp/lib.so (deleted)
`
	maps, err := ParseMaps(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Map{
		{Start: 0x55d0c0a00000, End: 0x55d0c0a01000, Perms: "r--p", Offset: 0, Dev: "fe:00", Inode: 1234, Path: "/usr/bin/prog"},
		{Start: 0x55d0c0a01000, End: 0x55d0c0a02000, Perms: "r-xp", Offset: 0x1000, Dev: "fe:00", Inode: 1234, Path: "/usr/bin/prog with spaces"},
		{Start: 0x7ffd1c000000, End: 0x7ffd1c021000, Perms: "rw-p", Dev: "00:00", Path: "[stack]"},
		{Start: 0x7f0000000000, End: 0x7f0000001000, Perms: "rw-p", Dev: "00:00"},
		{Start: 0x7f0000002000, End: 0x7f0000003000, Perms: "r-xp", Dev: "fe:00", Inode: 99, Path: "/tmp/lib.so (deleted)"},
	}
	if len(maps) != len(want) {
		t.Fatalf("got %d maps, want %d", len(maps), len(want))
	}
	for i := range want {
		if maps[i] != want[i] {
			t.Errorf("map %d = %+v, want %+v", i, maps[i], want[i])
		}
	}
	if !maps[1].Executable() || maps[0].Executable() || !maps[4].Deleted() || !maps[0].Contains(0x55d0c0a00fff) || maps[0].Contains(0x55d0c0a01000) {
		t.Errorf("Map methods disagree with the permissions and ranges")
	}
	if _, err := ParseMaps(strings.NewReader("zz-10 r--p 0 0:0 0\n")); err == nil {
		t.Errorf("ParseMaps accepted a bad address")
	}
}

// TestReadMapsSelf reads this test's own maps: its executable is there,
// executable, at an address of one of its functions.
func TestReadMapsSelf(t *testing.T) {
	maps, err := ReadMaps(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	found := false
	for _, m := range maps {
		if m.Path == exe && m.Executable() {
			found = true
		}
	}
	if !found {
		t.Errorf("no executable mapping of %s in %d maps", exe, len(maps))
	}
}
