package dwarfvars

import (
	"debug/elf"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports holds the package's boundary: the standard library and
// core/sym only (STYLE.md: core imports nothing Starlark).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch p {
		case "stardbg/core/dwarfvars", "stardbg/core/sym", "golang.org/x/sys/unix", "golang.org/x/arch/x86/x86asm":
		default:
			t.Errorf("core/dwarfvars depends on %s", p)
		}
	}
}

// libcDebugFile returns the path of libc's separate debug file
// (libc6-dbg), found by build id, or skips the test.
func libcDebugFile(t *testing.T) string {
	t.Helper()
	f, err := elf.Open("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Skip("no libc.so.6:", err)
	}
	defer f.Close()
	sec := f.Section(".note.gnu.build-id")
	if sec == nil {
		t.Skip("libc has no build id")
	}
	note, err := sec.Data()
	if err != nil || len(note) < 16+2 {
		t.Skip("libc's build id note is unreadable")
	}
	id := hex.EncodeToString(note[16:])
	path := filepath.Join("/usr/lib/debug/.build-id", id[:2], id[2:]+".debug")
	dbg, err := elf.Open(path)
	if err != nil {
		t.Skip("libc's debug file is not installed (libc6-dbg): ", err)
	}
	dbg.Close()
	return path
}

// TestLargeProgramIsLazy looks up a type and a global in libc's debug
// file (2000 units): only the entries they need are decoded.
func TestLargeProgramIsLazy(t *testing.T) {
	f, err := elf.Open(libcDebugFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := FromELF(f)
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := d.LookupType("struct malloc_chunk")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := chunk.(*StructType)
	if !ok || len(s.Fields) != 6 || s.Fields[2].Type.String() != "struct malloc_chunk *" || s.Size() != 48 {
		t.Errorf("struct malloc_chunk: %s", Ptype(chunk))
	}
	if n := len(d.types); n > 5 {
		t.Errorf("looking up struct malloc_chunk decoded %d types", n)
	}
	vs, err := d.Globals("main_arena")
	if err != nil || len(vs) != 1 || vs[0].Kind != Static || vs[0].Type.String() != "struct malloc_state" {
		t.Fatalf("Globals(main_arena): %v, %v", vs, err)
	}
	if len(d.scopes) != 0 {
		t.Errorf("%d functions were decoded", len(d.scopes))
	}
}
