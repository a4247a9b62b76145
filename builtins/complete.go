package builtins

import "go.starlark.net/starlark"

// CompleteString completes the string typed as the first argument of a
// call to fn at the REPL (script.Options.CompleteString): for a process's
// break_at and lookup, the names of the functions of the process that start
// with prefix. It returns nil for any other call, and when the process has
// no symbols (it exited). It must run on the tracer thread.
func CompleteString(fn starlark.Value, prefix string) []string {
	b, ok := fn.(*starlark.Builtin)
	if !ok {
		return nil
	}
	p, ok := b.Receiver().(*Process)
	if !ok || b.Name() != "break_at" && b.Name() != "lookup" {
		return nil
	}
	t, err := p.p.Symbols()
	if err != nil {
		return nil
	}
	return t.FuncNames(prefix)
}
