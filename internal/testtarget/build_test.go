package testtarget

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildBadNames(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"c/nosuchtarget", `no target "c/nosuchtarget"`},
		{"hotloop", `bad target name "hotloop"`},
		{"rust/hotloop", `bad target name "rust/hotloop"`},
		{"c/../go", `bad target name "c/../go"`},
		{"c/hotloop/x", `bad target name "c/hotloop/x"`},
	}
	for _, tt := range tests {
		_, err := build(tt.name, CO0)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("build(%q) error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestDirectives(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	main := write("main.c", "// testtarget: ldflags -ldl -lm\nint main(void) { return 0; }\n")
	lib := write("lib.c", "// testtarget: shared libx.so\nint x;\n")
	units, err := cUnits(&target{name: "c/t", exe: "t", srcs: []string{lib, main}})
	if err != nil {
		t.Fatal(err)
	}
	// The library first, that the executable may link with it.
	if len(units) != 2 || units[1].out != "t" || units[1].shared || strings.Join(units[1].ldflags, " ") != "-ldl -lm" ||
		units[0].out != "libx.so" || !units[0].shared || len(units[0].srcs) != 1 || units[0].srcs[0] != lib {
		t.Errorf("units = %+v %+v", *units[0], *units[1])
	}

	bad := write("bad.c", "// testtarget: sharde libx.so\n")
	if _, err := cUnits(&target{name: "c/t", exe: "t", srcs: []string{bad}}); err == nil || !strings.Contains(err.Error(), `bad directive "sharde libx.so"`) {
		t.Errorf("bad directive: error %v", err)
	}
}

func TestBuildCFailure(t *testing.T) {
	tc, err := gccOnce()
	if isSkip(err) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "broken.c")
	if err := os.WriteFile(src, []byte("int main(void) { return undeclared; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := &target{name: "c/broken", lang: "c", dir: dir, srcs: []string{src}, exe: "broken"}
	units, err := cUnits(tg)
	if err != nil {
		t.Fatal(err)
	}
	err = runSteps(tg, CO2NoFP, tc, cSteps(tg, CO2NoFP, units), t.TempDir())
	for _, want := range []string{"building c/broken (co2nofp)", "-O2", src, "undeclared"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to mention %q", err, want)
		}
	}
}
