package builtins

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"stardbg/core"
	"stardbg/script"
)

// TestDocCoversEverything checks that every name a script can use has an
// entry in the reference: the session's predeclared names and the members
// of its modules, argv, p, every register, and the language's builtins.
func TestDocCoversEverything(t *testing.T) {
	sess := script.NewSession(script.Options{Predeclared: Predeclared()})
	names := []string{"argv", "p"}
	for name := range script.REPLDocs() {
		names = append(names, name)
	}
	for name, v := range sess.Predeclared() {
		names = append(names, name)
		if m, ok := v.(*starlarkstruct.Module); ok {
			if m.Name != name {
				t.Errorf("module %s is predeclared as %s", m.Name, name)
			}
			for member := range m.Members {
				names = append(names, name+"."+member)
			}
		}
	}
	for name := range starlark.Universe {
		names = append(names, name)
	}
	for _, r := range core.RegNames {
		names = append(names, "regs."+r)
		if regDocs[r] == "" {
			t.Errorf("register %s has no description in regDocs", r)
		}
	}
	for _, name := range names {
		if doc, ok := Doc(name); !ok || len(doc) < 10 {
			t.Errorf("no documentation for %s (got %q)", name, doc)
		}
	}
}

// TestDocWrapped checks that every line of the reference fits in docWidth
// columns, but a call signature's, which must fit in 90.
func TestDocWrapped(t *testing.T) {
	for _, topic := range Topics() {
		for i, line := range strings.Split(topic.Doc, "\n") {
			limit := docWidth
			if i == 0 && isSignature(line) {
				limit = 90
			}
			if len(line) > limit {
				t.Errorf("%s: line %d has %d columns (limit %d): %q", topic.Name, i+1, len(line), limit, line)
			}
		}
	}
}

func TestWrapDoc(t *testing.T) {
	long := "word " + strings.Repeat("abcdefghi ", 9) + "end" // 98 columns
	// 7 words of 9 after "word" fill 74 columns: an eighth would pass 80.
	filled := "word " + strings.Repeat("abcdefghi ", 6) + "abcdefghi\nabcdefghi abcdefghi end"
	for _, tc := range []struct{ name, in, want string }{
		{"short paragraphs stay", "a b\nc\n\nd", "a b\nc\n\nd"},
		{"a long paragraph is refilled", long, filled},
		{"a hand-wrapped paragraph stays", "one\ntwo\n\n" + long, "one\ntwo\n\n" + filled},
		{"a long signature stays", "f(" + long + ")\n\ntext", "f(" + long + ")\n\ntext"},
		{"indented code stays", "\t" + long, "\t" + long},
		{"a long line refills its paragraph", "a\n" + long,
			"a word " + strings.Repeat("abcdefghi ", 6) + "abcdefghi\nabcdefghi abcdefghi end"},
	} {
		if got := wrapDoc(tc.in); got != tc.want {
			t.Errorf("%s: wrapDoc(%q)\n = %q\nwant %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestDocGroupLists checks that a type's or module's summary lists its
// fields and methods each in a paragraph of its own, so that wrapping one
// long list does not run it into the other.
func TestDocGroupLists(t *testing.T) {
	for _, g := range append(append([]docGroup(nil), types...), modules...) {
		doc, _ := Doc(g.name)
		fl, ml := g.labels()
		if len(g.fields) > 0 && !strings.Contains(doc, "\n\n"+fl+": ") {
			t.Errorf("%s: no %q paragraph in\n%s", g.name, fl, doc)
		}
		if len(g.methods) > 0 && !strings.Contains(doc, "\n\n"+ml+": ") {
			t.Errorf("%s: no %q paragraph in\n%s", g.name, ml, doc)
		}
	}
}
