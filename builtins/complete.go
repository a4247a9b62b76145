package builtins

import (
	"strings"

	"stardbg/core/systab"

	"go.starlark.net/starlark"
)

// CompleteString completes the string typed as the first argument of a
// call to fn at the REPL (script.Options.CompleteString): for catch_syscall,
// system call names (in its list of names); for a syscall's fail, errno
// names; for a process's
// break_at, tracepoint, lookup and disasm and a thread's until, the names of the functions of the process that start
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
	if _, ok := b.Receiver().(*Syscall); ok && b.Name() == "fail" {
		return withPrefix(systab.ErrnoNames(), prefix)
	}
	if _, ok := b.Receiver().(*Process); ok && b.Name() == "catch_syscall" {
		return withPrefix(systab.Names(), prefix)
	}
	p, ok := b.Receiver().(*Process)
	if t, isThread := b.Receiver().(*Thread); isThread && b.Name() == "until" {
		p, ok = t.proc, true
	} else if !ok || b.Name() != "break_at" && b.Name() != "tracepoint" && b.Name() != "lookup" && b.Name() != "disasm" {
		return nil
	}
	t, err := p.p.Symbols()
	if err != nil {
		return nil
	}
	return t.FuncNames(prefix)
}

// withPrefix returns the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
