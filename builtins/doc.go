package builtins

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"stardbg/script"
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
	"launch":    {launch, launchDoc},
	"attach":    {attach, attachDoc},
	"pack":      {Pack, PackDoc},
	"unpack":    {Unpack, UnpackDoc},
	"calcsize":  {Calcsize, CalcsizeDoc},
	"hex":       {hexBuiltin, hexDoc},
	"processes": {processesBuiltin, processesDoc},
	"wait_any":  {waitAnyBuiltin, waitAnyDoc},
}

func init() {
	// help reads the tables that list it: add it after initialisation.
	globals["help"] = method{help, helpDoc}
}

const helpDoc = `help(x=None) -> string

Returns the documentation of a builtin, a method (help(p.peek)), a value's type
(help(p) lists its fields and methods), a module (help(json)) or a name
("process.peek", "thread", "regs.rax", "argv"). With no argument, an overview
of the API. At the REPL, help prints the text instead of returning it.`

// Topic is one documented name: a builtin, a type's field or method, a
// module's member or a name of the language.
type Topic struct {
	Name string // "launch", "process.peek", "json.encode", "len"
	Doc  string
}

// A docGroup documents a namespace: a type of value ("process") or a module
// ("json"). Its members are "name.member" topics.
type docGroup struct {
	name    string
	summary string
	fields  map[string]string // fields, a module's constants, registers
	methods map[string]string // methods, a module's functions
	// fieldLabel and methodLabel name the two lists in the summary:
	// "Fields" and "Methods" when empty.
	fieldLabel, methodLabel string
	// order, when set, is the order of the fields (registers in the
	// kernel's order); otherwise they are sorted.
	order []string
}

func (g docGroup) labels() (string, string) {
	return cmp.Or(g.fieldLabel, "Fields"), cmp.Or(g.methodLabel, "Methods")
}

func fieldDocs[T any](fs fields[T]) map[string]string {
	m := map[string]string{}
	for n, f := range fs {
		m[n] = f.doc
	}
	return m
}

func methodDocs(ms methods) map[string]string {
	m := map[string]string{}
	for n, f := range ms {
		m[n] = f.doc
	}
	return m
}

// types are the values of the debugger API, in the order of the reference.
var types = []docGroup{
	{name: "process", summary: "A traced process, from launch() or attach().",
		fields: fieldDocs(processFields), methods: methodDocs(processMethods)},
	{name: "thread", summary: "A thread of a traced process.",
		fields: fieldDocs(threadFields), methods: methodDocs(threadMethods)},
	regsGroup(),
	{name: "frame", summary: "A frame of a stopped thread, from t.frame(i) or t.backtrace(): where it is, and its " +
		"variables by name (DWARF). str(f) is gdb's backtrace line.",
		fields: fieldDocs(frameFields), methods: methodDocs(frameMethods)},
	{name: "goroutine", summary: "A goroutine of a stopped Go program, from p.goroutines(), p.goroutine(id) or " +
		"t.goroutine: a snapshot of the runtime's g (its layout read from the binary's DWARF). str(g) is the header " +
		"of the runtime's dump: <goroutine 18 [chan receive]>. Goroutines are equal when their process and id are.",
		fields: fieldDocs(goroutineFields), methods: methodDocs(goroutineMethods)},
	{name: "value", summary: "An object of the program with its type, from f.var(), f.args(), f.locals(), p.var() or " +
		"p.value(). v.member and v[\"member\"] read a member of a struct, union or class, through pointers too (a " +
		"member named like a field or method of value, such as name, is read with v[\"name\"]); v[i] indexes an " +
		"array or a pointer; len(v) and for x in v work on arrays. Assigning a member, an element or calling set() " +
		"writes the program. str(v) is gdb's print: {x = 3, y = 4}, 65 'A', 0x401136 <add>, <optimized out>. " +
		"Values of Go types: len(v) of a string (bytes), slice, array, map or channel (queued elements); v[i] of a " +
		"string (a byte), slice or channel (the i-th queued element); v[key] of a map (string, integer, bool and " +
		"pointer keys; a missing key fails as a dict's); iteration over a slice's elements or a map's keys; embedded " +
		"fields promoted. str(v) of a Go value is Delve's print on one line, with print's default limits: strings to " +
		"64 bytes, 64 elements, one level of nesting: main.Order {ID: 7, Items: []main.Item len: 2, cap: 2, " +
		"[...], Note: \"rush\"}.",
		fields: fieldDocs(valueFields), methods: methodDocs(valueMethods)},
	{name: "type", summary: "A type of the program, from p.type(name) or v.type. str(t) is its C name as gdb's whatis " +
		"prints it, or its Go name (main.Order, *main.Order, []string, map[string]int, error) in a Go program.",
		fields: fieldDocs(typeFields)},
	{name: "mapping", summary: "A memory mapping of a process, from p.maps(). str(m) is its line of /proc/PID/maps.",
		fields: fieldDocs(mappingFields)},
	{name: "instruction", summary: "A decoded instruction, from p.disasm(). str(i) is \"0x401136 <hot+4>: mov rbp,rsp\".",
		fields: fieldDocs(instructionFields)},
	{name: "breakpoint", summary: "A breakpoint, from p.break_at(), p.watch(), p.catch_syscall() or p.tracepoint().",
		fields: fieldDocs(breakpointFields), methods: methodDocs(breakpointMethods)},
	{name: "syscall", summary: syscallTypeDoc,
		fields: fieldDocs(syscallFields), methods: methodDocs(syscallMethods)},
	{name: "call", summary: "A call of a function, given to a breakpoint's on_return(thread, bp, call) at its return.",
		fields: fieldDocs(callFields)},
	{name: "hit", summary: "What a tracepoint recorded at one hit, given to its on_hit: the thread, the time, the " +
		"registers and the memory its capture copied, all as they were at the hit (the program ran on).",
		fields: fieldDocs(hitFields), methods: methodDocs(hitMethods)},
	{name: "event", summary: "Why a process stopped or what happened to it, from wait_stop(), run(), a thread's step(), next(), step_in(), finish() and until(), or a handler.",
		fields: fieldDocs(eventFields)},
}

// topNames are the names a script sees besides the builtins of globals:
// those that script and cmd/stardbg predeclare.
var topNames = map[string]string{
	"argv":  argvDoc,
	"p":     pDoc,
	"sleep": sleepDoc,
}

// memberNames are the fields and methods sorted together; with an order,
// the fields in that order, then the methods sorted.
func (g docGroup) memberNames() []string {
	if g.order == nil {
		return slices.Sorted(slices.Values(append(sortedKeys(g.fields), sortedKeys(g.methods)...)))
	}
	return slices.Concat(g.fieldNames(), sortedKeys(g.methods))
}

func (g docGroup) fieldNames() []string {
	if g.order != nil {
		return g.order
	}
	return sortedKeys(g.fields)
}

func (g docGroup) member(name string) string {
	if doc, ok := g.fields[name]; ok {
		return doc
	}
	return g.methods[name]
}

// Topics returns every documented name: the debugger's builtins, each type
// with its fields and methods, each module with its members, then the
// builtins of the language. It is the reference that `stardbg doc` prints
// and help() answers from; each doc is wrapped at 80 columns.
func Topics() []Topic {
	var ts []Topic
	for _, n := range topLevelNames() {
		ts = append(ts, Topic{n, wrapDoc(topLevelDoc(n))})
	}
	for _, g := range slices.Concat(types, modules) {
		ts = append(ts, Topic{g.name, wrapDoc(groupSummary(g))})
		for _, n := range g.memberNames() {
			ts = append(ts, Topic{g.name + "." + n, wrapDoc(g.member(n))})
		}
	}
	for _, n := range sortedKeys(langNames) {
		// The language's type() shares its name with the debugger's type
		// values: one topic documents both.
		if i := slices.IndexFunc(ts, func(t Topic) bool { return t.Name == n }); i >= 0 {
			ts[i].Doc = wrapDoc(langNames[n]) + "\n\n" + ts[i].Doc
			continue
		}
		ts = append(ts, Topic{n, wrapDoc(langNames[n])})
	}
	return ts
}

// replNames are the names only the REPL adds (exit, quit), which package
// script documents; its dir() is the language's, documented in langNames.
var replNames = func() map[string]string {
	docs := script.REPLDocs()
	for n := range docs {
		if _, ok := langNames[n]; ok {
			delete(docs, n)
		}
	}
	return docs
}()

// topLevelNames are the builtins of globals and the names of topNames and
// replNames, sorted.
func topLevelNames() []string {
	return slices.Sorted(slices.Values(slices.Concat(globals.names(), sortedKeys(topNames), sortedKeys(replNames))))
}

func topLevelDoc(name string) string {
	if m, ok := globals[name]; ok {
		return m.doc
	}
	if doc, ok := topNames[name]; ok {
		return doc
	}
	return replNames[name]
}

func sortedKeys(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func groupSummary(g docGroup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", g.name, g.summary)
	fl, ml := g.labels()
	if len(g.fields) > 0 {
		fmt.Fprintf(&b, "\n%s: %s\n", fl, strings.Join(g.fieldNames(), ", "))
	}
	if len(g.methods) > 0 {
		// A paragraph of its own: wrapDoc refills each list alone.
		fmt.Fprintf(&b, "\n%s: %s\n", ml, strings.Join(sortedKeys(g.methods), ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// Doc returns the documentation of a name ("launch", "process.peek",
// "thread", "json.encode", "len").
func Doc(name string) (string, bool) {
	for _, t := range Topics() {
		if t.Name == name {
			return t.Doc, true
		}
	}
	return "", false
}

// stdModules are the library modules every session predeclares, whose
// functions are named without their module ("now", not "time.now").
var stdModules = []*starlarkstruct.Module{json.Module, math.Module, time.Module}

// topicOf returns the name help(x) looks up for a value.
func topicOf(x starlark.Value) string {
	switch x := x.(type) {
	case starlark.String:
		return string(x)
	case *starlarkstruct.Module:
		return x.Name
	case *starlark.Builtin:
		if r := x.Receiver(); r != nil {
			return r.Type() + "." + x.Name()
		}
		for _, m := range stdModules {
			for name, v := range m.Members {
				if v == starlark.Value(x) {
					return m.Name + "." + name
				}
			}
		}
		return x.Name()
	}
	return x.Type()
}

func help(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x?", &x); err != nil {
		return nil, err
	}
	if x == nil {
		return starlark.String(Overview()), nil
	}
	name := topicOf(x)
	if doc, ok := Doc(name); ok {
		return starlark.String(doc), nil
	}
	var names []string
	for _, t := range Topics() {
		names = append(names, t.Name)
	}
	return nil, errorf(b, "no documentation for %q%s", name, hint(name, names))
}
