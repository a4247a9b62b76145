package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"stardbg/builtins"
)

// TestReference checks that docs/reference.md is what stardbg doc
// --markdown prints, so that the reference on disk follows the doc strings.
func TestReference(t *testing.T) {
	var want bytes.Buffer
	writeMarkdown(&want, builtins.Topics())
	path := filepath.Join("..", "..", "docs", "reference.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\nCreate it from the module root with:\n\tgo run ./cmd/stardbg doc --markdown > docs/reference.md", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("docs/reference.md is not what stardbg doc --markdown prints (the doc strings changed).\n" +
			"Regenerate it from the module root with:\n\tgo run ./cmd/stardbg doc --markdown > docs/reference.md")
	}
}
