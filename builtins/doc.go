package builtins

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// Predeclared returns the debugger's names for a new interpreter. The values
// hold no state: the Env comes from the thread (SetEnv).
func Predeclared() starlark.StringDict {
	d := starlark.StringDict{}
	for name, m := range globals {
		d[name] = starlark.NewBuiltin(name, m.fn)
	}
	return d
}

var globals = methods{
	"launch":   {launch, launchDoc},
	"attach":   {attach, attachDoc},
	"pack":     {Pack, PackDoc},
	"unpack":   {Unpack, UnpackDoc},
	"calcsize": {Calcsize, CalcsizeDoc},
	"hex":      {hexBuiltin, hexDoc},
}

const hexDoc = `hex(x) -> string

The int x in hexadecimal with a 0x prefix, as Python writes it: hex(255) is
"0xff", hex(-1) is "-0x1". Addresses read best this way.`

func hexBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x); err != nil {
		return nil, err
	}
	v := x.BigInt()
	if v.Sign() < 0 {
		return starlark.String("-0x" + v.Neg(v).Text(16)), nil
	}
	return starlark.String("0x" + v.Text(16)), nil
}

func init() {
	// help reads the tables that list it: add it after initialisation.
	globals["help"] = method{help, helpDoc}
}

const helpDoc = `help(x) -> string

Returns the documentation of a builtin, a method (help(p.peek)), a value's type
(help(p) lists its fields and methods) or a name ("process.peek", "thread").`

// Topic is one documented name: a builtin, or a type's field or method.
type Topic struct {
	Name string // "launch", "process.peek"
	Doc  string
}

type typeDoc struct {
	name    string
	summary string
	fields  map[string]string
	methods methods
}

func fieldDocs[T any](fs fields[T]) map[string]string {
	m := map[string]string{}
	for n, f := range fs {
		m[n] = f.doc
	}
	return m
}

func regsFieldDocs() map[string]string {
	return map[string]string{"<register>": "rax, rbx, ... rip, eflags, orig_rax, fs_base, gs_base: read and assign by attribute or key."}
}

var types = []typeDoc{
	{"process", "A traced process, from launch() or attach().", fieldDocs(processFields), processMethods},
	{"thread", "A thread of a traced process.", fieldDocs(threadFields), threadMethods},
	{"regs", "The general-purpose registers of a stopped thread, live: t.regs.rax, t.regs[\"rip\"], t.regs.rax = 0.", regsFieldDocs(), nil},
	{"breakpoint", "A breakpoint, from p.break_at().", fieldDocs(breakpointFields), breakpointMethods},
	{"event", "Why a process stopped or what happened to it, from wait_stop(), run(), step() or a handler.", fieldDocs(eventFields), nil},
}

// Topics returns every documented name, builtins first, then each type's
// fields and methods: the reference that `stardbg doc` prints and that help()
// answers from.
func Topics() []Topic {
	var ts []Topic
	for _, n := range globals.names() {
		ts = append(ts, Topic{n, globals[n].doc})
	}
	for _, td := range types {
		ts = append(ts, Topic{td.name, typeSummary(td)})
		var names []string
		for n := range td.fields {
			names = append(names, n)
		}
		names = append(names, td.methods.names()...)
		sort.Strings(names)
		for _, n := range names {
			doc, ok := td.fields[n]
			if !ok {
				doc = td.methods[n].doc
			}
			ts = append(ts, Topic{td.name + "." + n, doc})
		}
	}
	return ts
}

func typeSummary(td typeDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", td.name, td.summary)
	if len(td.fields) > 0 {
		var names []string
		for n := range td.fields {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "\nFields: %s\n", strings.Join(names, ", "))
	}
	if len(td.methods) > 0 {
		fmt.Fprintf(&b, "Methods: %s\n", strings.Join(td.methods.names(), ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// Doc returns the documentation of a name ("launch", "process.peek", "thread").
func Doc(name string) (string, bool) {
	for _, t := range Topics() {
		if t.Name == name {
			return t.Doc, true
		}
	}
	return "", false
}

func help(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x); err != nil {
		return nil, err
	}
	var name string
	switch x := x.(type) {
	case starlark.String:
		name = string(x)
	case *starlark.Builtin:
		name = x.Name()
		if r := x.Receiver(); r != nil {
			name = r.Type() + "." + name
		}
	default:
		name = x.Type()
	}
	if doc, ok := Doc(name); ok {
		return starlark.String(doc), nil
	}
	var names []string
	for _, t := range Topics() {
		names = append(names, t.Name)
	}
	return nil, errorf(b, "no documentation for %q%s", name, hint(name, names))
}
