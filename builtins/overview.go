package builtins

import (
	"slices"
	"strings"
)

// Overview returns what help() with no argument answers: the builtins with
// their signatures, the names of the types, modules and language builtins
// that help(x) documents, and where the whole reference is.
func Overview() string {
	var b strings.Builder
	b.WriteString(`stardbg's Starlark API. help(x) documents x: help(launch), help(p.break_at),
help(p) for a value's fields and methods, help("regs.rip") for a name.

Builtins:
`)
	for _, n := range topLevelNames() {
		first, _, _ := strings.Cut(topLevelDoc(n), "\n")
		b.WriteString("  " + first + "\n")
	}
	var typeNames, moduleNames []string
	for _, g := range types {
		typeNames = append(typeNames, g.name)
	}
	for _, g := range modules {
		moduleNames = append(moduleNames, g.name)
	}
	writeNames(&b, "Values: ", typeNames)
	writeNames(&b, "Modules: ", moduleNames)
	writeNames(&b, "Language: ", slices.Concat(sortedKeys(langNames), []string{"(Starlark, a dialect of Python)"}))
	b.WriteString(`
More: 'stardbg doc' prints the whole reference and 'stardbg doc NAME' one
entry ('stardbg doc process.break_at'); docs/reference.md is the same text.`)
	return b.String()
}

// writeNames writes label and the names, comma-separated, wrapped at
// docWidth with the label's indentation.
func writeNames(b *strings.Builder, label string, names []string) {
	line := label
	for i, n := range names {
		if i < len(names)-1 && !strings.HasPrefix(names[i+1], "(") {
			n += ","
		}
		if len(line)+1+len(n) > docWidth && line != label {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = strings.Repeat(" ", len(label))
		} else if line != label {
			line += " "
		}
		line += n
	}
	b.WriteString(line + "\n")
}
