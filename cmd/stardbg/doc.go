package main

import (
	"fmt"
	"io"
	"strings"

	"stardbg/builtins"
)

//go:generate sh -c "go run . doc --markdown > ../../docs/reference.md"

const docAbout = `
Doc prints the reference of everything a script can name: the builtins
(argv, and p at the REPL, too), every field and method of the process,
thread, regs, frame, mapping, breakpoint and event types, every member of the
assert, json, time and math modules, and the builtins of the language
(len, fail, print...). It comes from the same text as help() in scripts and
at the REPL.

With NAME ("launch", "process.peek", "thread"), it prints that entry; a
bare member name ("peek") prints the entries of every type that has it.
With --markdown, it prints the whole reference as Markdown, which is how
docs/reference.md is made ('go generate ./cmd/stardbg' runs it):

	go run ./cmd/stardbg doc --markdown > docs/reference.md`

func docCmd(args []string, std stdio) int {
	f := newFlags("doc", "stardbg doc [--markdown] [NAME]", docAbout)
	markdown := f.Bool("markdown", false, "print the whole reference as Markdown")
	if code, done := f.parse(args, std); done {
		return code
	}
	switch {
	case f.NArg() > 1:
		return f.usageError(std.err, "too many arguments: want at most one NAME")
	case *markdown && f.NArg() > 0:
		return f.usageError(std.err, "--markdown prints the whole reference: no NAME")
	case *markdown:
		io.WriteString(std.out, builtins.Markdown())
	case f.NArg() == 1:
		topics := lookupTopics(f.Arg(0))
		if len(topics) == 0 {
			fmt.Fprintf(std.err, "stardbg doc: no documentation for %q; 'stardbg doc' lists every name\n", f.Arg(0))
			return exitFail
		}
		for i, t := range topics {
			if i > 0 {
				fmt.Fprintln(std.out)
			}
			if len(topics) > 1 {
				fmt.Fprintf(std.out, "%s\n", t.Name)
			}
			fmt.Fprintln(std.out, t.Doc)
		}
	default:
		writeText(std.out, builtins.Topics())
	}
	return exitOK
}

// lookupTopics returns the topic named name, or else the members of any
// type named name ("peek" gives "process.peek").
func lookupTopics(name string) []builtins.Topic {
	if doc, ok := builtins.Doc(name); ok {
		return []builtins.Topic{{Name: name, Doc: doc}}
	}
	var found []builtins.Topic
	for _, t := range builtins.Topics() {
		if strings.HasSuffix(t.Name, "."+name) {
			found = append(found, t)
		}
	}
	return found
}

// writeText prints every topic: its name, then its documentation indented.
func writeText(w io.Writer, topics []builtins.Topic) {
	for i, t := range topics {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, t.Name)
		for _, line := range strings.Split(t.Doc, "\n") {
			if line == "" {
				fmt.Fprintln(w)
			} else {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}
