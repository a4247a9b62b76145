package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const regenerate = "Regenerate it from the module root with:\n\tgo generate ./cmd/stardbg\n" +
	"(which runs: go run ./cmd/stardbg doc --markdown > docs/reference.md)"

// TestReference checks that docs/reference.md is what stardbg doc
// --markdown prints, so that the reference on disk follows the doc strings.
func TestReference(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"doc", "--markdown"}, nil, &out, &errs); code != exitOK {
		t.Fatalf("stardbg doc --markdown: exit %d\n%s", code, errs.String())
	}
	path := filepath.Join("..", "..", "docs", "reference.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, regenerate)
	}
	for i, line := range strings.Split(out.String(), "\n") {
		if len(line) > 90 {
			t.Errorf("line %d of the reference has %d columns: %q", i+1, len(line), line)
		}
	}
	if !bytes.Equal(got, out.Bytes()) {
		t.Errorf("docs/reference.md is not what stardbg doc --markdown prints (the doc strings changed).\n%s", regenerate)
	}
}
