package builtins

import (
	"strings"

	"go.starlark.net/starlark"
)

// CompleteString completes the string typed as the first argument of a
// call to fn at the REPL (script.Options.CompleteString): for a process's
// break_at, lookup and disasm, the names of the functions of the process that start
// with prefix; for help, the documented names. It returns nil for any other
// call, and when the process has no symbols (it exited). It must run on the
// tracer thread.
func CompleteString(fn starlark.Value, prefix string) []string {
	b, ok := fn.(*starlark.Builtin)
	if !ok {
		return nil
	}
	if b.Name() == "help" && b.Receiver() == nil {
		var names []string
		for _, t := range Topics() {
			if strings.HasPrefix(t.Name, prefix) {
				names = append(names, t.Name)
			}
		}
		return names
	}
	p, ok := b.Receiver().(*Process)
	if !ok || b.Name() != "break_at" && b.Name() != "lookup" && b.Name() != "disasm" {
		return nil
	}
	t, err := p.p.Symbols()
	if err != nil {
		return nil
	}
	return t.FuncNames(prefix)
}
