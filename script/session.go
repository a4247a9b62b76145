// Package script embeds the Starlark interpreter for stardbg: it sets up the
// environment (file options, the standard library modules, an assert module),
// implements load() relative to the loading script, reports errors with their
// Starlark backtrace, cancels running scripts, and runs the interactive
// read-eval-print loop over a [Prompter].
//
// It knows nothing about processes or ptrace: the debugger API is passed in as
// predeclared values ([Options.Predeclared]), and the [Options.Run] hook lets
// the caller execute all Starlark code on the OS thread it requires. It does
// not read the terminal itself; cmd/stardbg adapts a line editor to [Prompter]
// and wires [Session.Complete] into it.
//
// A Session runs one piece of Starlark at a time (a file, a call or a REPL
// input). Only [Session.Cancel], [OnCancel] and [Cancelled] may be called from
// other goroutines while it runs.
package script // import "stardbg/script"

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// FileOptions are the dialect options of every file, module and REPL input:
// while loops, top-level if/for/while, global reassignment, recursion and set.
func FileOptions() *syntax.FileOptions {
	return &syntax.FileOptions{
		Set:             true,
		While:           true,
		TopLevelControl: true,
		GlobalReassign:  true,
		Recursion:       true,
	}
}

// Options configures a Session.
type Options struct {
	// Predeclared holds the names the host provides (the debugger API).
	// They are added to the standard ones (json, time, math, assert, sleep,
	// argv) and win over them on a name clash.
	Predeclared starlark.StringDict

	// Print receives each message of the Starlark print function.
	// If nil, print writes the message and a newline to Stdout.
	Print func(msg string)

	// Stdout is where print writes when Print is nil.
	// If nil, os.Stdout is used (by the REPL: its out writer).
	Stdout io.Writer

	// Run executes fn on whatever OS thread the host requires and returns
	// when fn has returned. All Starlark execution of the session, including
	// the attribute look-ups of Complete, goes through it.
	// If nil, fn is called directly.
	Run func(fn func())

	// MaxSteps limits the number of Starlark computation steps of each
	// execution (a file with its loads, a call, a REPL input); 0 means no
	// limit. An execution that exceeds it fails with "too many steps".
	MaxSteps uint64

	// InitThread, if set, is called for every new Starlark thread of the
	// session before it runs, to set the host's thread-local state.
	InitThread func(*starlark.Thread)

	// CompleteString, if set, completes a string that Complete finds typed
	// as the first argument of a call: fn is the value called (computed
	// without calling anything) and prefix what was typed after the quote.
	// It returns the full strings that may follow the quote (function names
	// for p.break_at("ho), or nil. Complete calls it through Run.
	CompleteString func(fn starlark.Value, prefix string) []string

	// Dir is the root directory of load(): modules resolve relative to the
	// directory of the loading script and may not escape Dir. If empty,
	// ExecFile uses the directory of its file, and the REPL the current
	// directory.
	Dir string
}

// A Session is an interpreter environment: options, predeclared names,
// the cache of loaded modules and the executions that Cancel interrupts.
type Session struct {
	opts Options
	env  starlark.StringDict // standard names + opts.Predeclared; frozen

	mu        sync.Mutex
	cancelled *string                   // sticky reason of Cancel; nil if not cancelled
	active    map[*threadState]struct{} // executions Cancel must interrupt
	modules   map[string]*module        // load cache, keyed by absolute path
	replEnv   starlark.StringDict       // globals of the running REPL, for Complete
}

// NewSession returns a session with the given options.
func NewSession(opts Options) *Session {
	env := starlark.StringDict{
		"json":   json.Module,
		"time":   time.Module,
		"math":   math.Module,
		"assert": assertModule,
		"sleep":  starlark.NewBuiltin("sleep", sleep),
	}
	for name, v := range opts.Predeclared {
		env[name] = v
	}
	env.Freeze()
	return &Session{
		opts:    opts,
		env:     env,
		active:  make(map[*threadState]struct{}),
		modules: make(map[string]*module),
	}
}

// Predeclared returns the names every file of the session sees: the
// standard modules and builtins plus Options.Predeclared. The caller must
// not modify it.
func (s *Session) Predeclared() starlark.StringDict { return s.env }

// run executes fn through the Run hook.
func (s *Session) run(fn func()) {
	if s.opts.Run != nil {
		s.opts.Run(fn)
		return
	}
	fn()
}

// print writes a message of the Starlark print function; fallback is the
// writer used when neither Print nor Stdout is set.
func (s *Session) print(fallback io.Writer, msg string) {
	if s.opts.Print != nil {
		s.opts.Print(msg)
		return
	}
	w := s.opts.Stdout
	if w == nil {
		w = fallback
	}
	fmt.Fprintln(w, msg)
}

// root returns the load root: Options.Dir, or else dir.
func (s *Session) root(dir string) string {
	if s.opts.Dir != "" {
		return s.opts.Dir
	}
	return dir
}

// ExecFile executes the Starlark file filename and returns its frozen
// globals. If src is nil the file is read, otherwise src (a string or
// []byte) is its content. The predeclared list argv holds filename followed
// by args, like Python's sys.argv.
//
// A failure during execution is an *starlark.EvalError carrying the
// backtrace; a syntax or resolution error is a syntax.Error or
// resolve.ErrorList. FormatError renders any of them.
func (s *Session) ExecFile(filename string, src any, args ...string) (starlark.StringDict, error) {
	dir := filepath.Dir(filename)
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	absRoot, err := filepath.Abs(s.root(dir))
	if err != nil {
		return nil, err
	}
	argv := make([]starlark.Value, 0, 1+len(args))
	for _, a := range append([]string{filename}, args...) {
		argv = append(argv, starlark.String(a))
	}
	argvList := starlark.NewList(argv)
	argvList.Freeze()
	env := make(starlark.StringDict, len(s.env)+1)
	env["argv"] = argvList
	for name, v := range s.env {
		env[name] = v
	}

	ts := s.newThread("exec "+filename, os.Stdout)
	defer s.release(ts)
	ts.env = env
	ts.root = loadRoot{abs: absRoot, display: s.root(dir)}
	ts.loading = []string{filepath.Join(absDir, filepath.Base(filename))}

	var globals starlark.StringDict
	s.run(func() {
		globals, err = starlark.ExecFileOptions(FileOptions(), ts.thread, filename, src, env)
	})
	return globals, err
}

// Call calls fn with args in a fresh thread of the session (through the
// Run hook, with the session's step limit and cancellation) and returns
// its result.
func (s *Session) Call(fn starlark.Callable, args ...starlark.Value) (starlark.Value, error) {
	ts := s.newThread("call "+fn.Name(), os.Stdout)
	defer s.release(ts)
	var (
		v   starlark.Value
		err error
	)
	s.run(func() {
		v, err = starlark.Call(ts.thread, fn, args, nil)
	})
	return v, err
}

// TestNames returns the names of the globals that are Starlark functions
// named test_*, in source order (the order of their definitions), as a
// test runner calls them.
func TestNames(globals starlark.StringDict) []string {
	type test struct {
		name string
		pos  syntax.Position
	}
	var tests []test
	for name, v := range globals {
		if fn, ok := v.(*starlark.Function); ok && strings.HasPrefix(name, "test_") {
			tests = append(tests, test{name, fn.Position()})
		}
	}
	slices.SortFunc(tests, func(a, b test) int {
		return cmp.Or(
			cmp.Compare(a.pos.Filename(), b.pos.Filename()),
			cmp.Compare(a.pos.Line, b.pos.Line),
			cmp.Compare(a.pos.Col, b.pos.Col),
			cmp.Compare(a.name, b.name))
	})
	names := make([]string, len(tests))
	for i, t := range tests {
		names[i] = t.name
	}
	return names
}
