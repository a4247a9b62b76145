package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.starlark.net/starlark"

	"stardbg/script"
)

const testAbout = `
Test is the probe runner for CI. It finds the *_test.star files under each
PATH (files, or directories searched recursively, skipping testdata and
names that begin with "." or "_"; default ".") and calls every global
function named test_* of each file, in source order. Each test runs in a
fresh interpreter with its own engine: the file is executed anew, then the
function is called; the processes it launched are killed and those it
attached detached afterwards, whatever happened.

Each file runs with its own directory as the working directory, as go test
runs a package's tests in the package's directory: launch(["./prog"]) in a
probe finds prog next to the probe file, whatever directory CI starts in,
and backtraces name the file relative to it.

It prints one line per test, "ok  FILE:TEST  TIME" or "FAIL  FILE:TEST  TIME"
followed by the error and its Starlark backtrace, indented; a file that
fails to load is one failure, "FAIL  FILE  TIME". The last line is
"N passed, N failed". print() output is shown under failed tests (and under
every test with -v). A breakpoint that never fired and is still pending when
its process ends is reported on stderr as a warning.

--timeout bounds each test: a test that runs past it fails, with a backtrace
of its targets' threads under its FAIL line (and in the JUnit report), and
the next tests still run. --total-timeout bounds the whole run: the test
that was running fails the same way, and no more tests run.

Exit status: 0 if every test passed; 1 if any failed, or if --total-timeout
expired; 2 for a usage error or a PATH that does not exist; 5 if no test ran
(no *_test.star file, no test_* function, or -run matched none, as pytest);
128+N if signal N ended the run (130 on SIGINT, 143 on SIGTERM, 141 when the
reader of the report went away), after the clean-up of the running test.`

// exitNoTests is stardbg test's exit code when no test ran: pytest's.
const exitNoTests = 5

func testCmd(args []string, std stdio) int {
	f := newFlags("test", "stardbg test [flags] [PATH...]", testAbout)
	pattern := f.String("run", "", "run only the tests whose `REGEX` matches FILE:TEST or the test's name")
	junitPath := f.String("junit", "", "write a JUnit XML report to `FILE`")
	verbose := f.Bool("v", false, "print the print() output of passing tests too")
	total := f.Duration("total-timeout", 0, "give up after `DURATION` for the whole run: the test that runs fails, no more tests run, exit 1")
	var rf runFlags
	rf.register(f.FlagSet, "each test")
	f.Lookup("timeout").Usage = "fail a test that runs longer than `DURATION` (\"30s\", \"2m\"): its targets are stopped,\n" +
		"a backtrace of each of their threads is printed under its FAIL line, and the next tests still run"
	paths, status, done := f.parseInterspersed(args, std)
	if done {
		return status
	}
	var filter *regexp.Regexp
	if *pattern != "" {
		re, err := regexp.Compile(*pattern)
		if err != nil {
			return f.usageError(std.err, "-run: %v", err)
		}
		filter = re
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := findProbes(paths)
	if err != nil {
		return f.usageError(std.err, "%v", err)
	}
	if len(files) == 0 {
		fmt.Fprintf(std.err, "stardbg test: no *_test.star files in %s\n", strings.Join(paths, " "))
		return exitNoTests
	}
	log, err := openEventLog(rf.events, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "stardbg: %v\n", err)
		return exitUsage
	}
	st := newStopper(*total, false)
	defer st.close()

	r := &testRunner{std: std, out: st.guard(std.out), rf: &rf, total: *total, filter: filter, verbose: *verbose, st: st, log: log}
	start := time.Now()
	for _, file := range files {
		if st.reason() != notStopped {
			break
		}
		r.runFile(file)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(r.out, "%d passed, %d failed\n", r.passed, r.failed)

	code := exitOK
	if r.failed > 0 {
		code = exitFail
	}
	if r.passed+r.failed == 0 && st.reason() == notStopped {
		if filter != nil {
			fmt.Fprintf(std.err, "stardbg test: -run %q matches no test in %s\n", *pattern, strings.Join(paths, " "))
		} else {
			fmt.Fprintf(std.err, "stardbg test: no test_* functions in %s\n", strings.Join(paths, " "))
		}
		code = exitNoTests
	}
	if *junitPath != "" {
		if err := writeJUnit(*junitPath, r.results, elapsed); err != nil {
			fmt.Fprintf(std.err, "stardbg test: --junit: %v\n", err)
			code = exitFail
		}
	}
	if err := log.close(); err != nil {
		fmt.Fprintf(std.err, "stardbg: event log: %v\n", err)
	}
	switch why := st.reason(); why {
	case notStopped:
	case stopTimeout:
		fmt.Fprintf(std.err, "stardbg test: --total-timeout %v expired\n", *total)
		return exitFail
	default:
		return exitCode(std.err, why, nil)
	}
	return code
}

// findProbes returns the *_test.star files that paths name, in order, each
// once. A file named explicitly is taken whatever its name.
func findProbes(paths []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(path string) {
		if !seen[path] {
			seen[path] = true
			files = append(files, path)
		}
	}
	for _, root := range paths {
		root = filepath.Clean(root)
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := de.Name()
			if de.IsDir() {
				if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(name, "_test.star") {
				add(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// A testRunner runs probe files one test at a time and reports them.
type testRunner struct {
	std     stdio
	out     io.Writer // std.out, whose EPIPE ends the run (stopper.guard)
	rf      *runFlags // rf.timeout bounds each test
	total   time.Duration
	filter  *regexp.Regexp
	verbose bool
	st      *stopper
	log     *eventLog

	results        []testResult
	passed, failed int
}

// A testResult is the outcome of one test, or of a file that failed to
// load (name == "").
type testResult struct {
	file, name string
	elapsed    time.Duration
	err        error
	detail     string // the error with its backtrace (and threads, on timeout)
	output     string // what the test printed
}

// id is "file.star:test_name", or the file for a load failure.
func (res *testResult) id() string {
	if res.name == "" {
		return res.file
	}
	return res.file + ":" + res.name
}

// runFile runs the tests of one file, in the file's directory. The first
// interpreter executes the file to find its tests and runs the first; each
// other test gets a fresh interpreter that executes the file again.
func (r *testRunner) runFile(file string) {
	file = filepath.ToSlash(file)
	restore, err := chdir(filepath.Dir(file))
	if err != nil {
		r.report(testResult{file: file, err: err, detail: err.Error()})
		return
	}
	defer restore()
	base := filepath.Base(file)
	var names []string
	for i := 0; i == 0 || i < len(names); i++ {
		if r.st.reason() != notStopped {
			return
		}
		res := testResult{file: file}
		var out bytes.Buffer
		d := newDebugger(r.std, r.log)
		d.startSession(nil, nil, func(msg string) { fmt.Fprintln(&out, msg) }, r.rf.maxSteps)
		r.st.watch(d)
		expired := r.st.limit(r.rf.timeout)
		start := time.Now()
		globals, err := d.sess.ExecFile(base, nil)
		if i == 0 && err == nil {
			names = r.selected(file, script.TestNames(globals))
		}
		if err == nil || i > 0 {
			if len(names) == 0 { // nothing to run in this file
				expired()
				r.st.release()
				r.cleanUp(d)
				return
			}
			res.name = names[i]
		}
		if err == nil {
			if fn, ok := globals[res.name].(starlark.Callable); ok {
				_, err = d.sess.Call(fn)
			} else {
				err = fmt.Errorf("%s is not a function in this run of %s", res.name, file)
			}
		}
		timedOut := expired()
		r.st.release()
		res.err = err
		if err != nil {
			res.detail = script.FormatError(err)
			var limit string
			switch {
			case r.st.reason() == stopTimeout:
				limit = fmt.Sprintf("--total-timeout %v", r.total)
			case timedOut:
				limit = fmt.Sprintf("--timeout %v", r.rf.timeout)
			}
			if limit != "" {
				var threads bytes.Buffer
				fmt.Fprintf(&threads, "stardbg: %s expired; the targets' threads:\n", limit)
				dumpThreads(&threads, d)
				res.detail += "\n" + threads.String()
			}
		}
		r.cleanUp(d)
		res.elapsed = time.Since(start)
		res.output = out.String()
		r.report(res)
		if res.name == "" {
			return // the file does not load: no test to run
		}
	}
}

// chdir makes dir the working directory and returns the function that
// makes the previous one current again.
func chdir(dir string) (restore func(), err error) {
	prev, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if err := os.Chdir(dir); err != nil {
		return nil, err
	}
	return func() {
		if err := os.Chdir(prev); err != nil {
			panic(fmt.Sprintf("stardbg test: back to %s: %v", prev, err))
		}
	}, nil
}

// selected returns the names of the tests that -run selects.
func (r *testRunner) selected(file string, names []string) []string {
	if r.filter == nil {
		return names
	}
	var sel []string
	for _, name := range names {
		if r.filter.MatchString(file+":"+name) || r.filter.MatchString(name) {
			sel = append(sel, name)
		}
	}
	return sel
}

func (r *testRunner) cleanUp(d *debugger) {
	if err := d.close(); err != nil {
		fmt.Fprintf(r.std.err, "stardbg: clean-up: %v\n", err)
	}
}

// report prints a test's line (and, for a failure, its error and output)
// and records it for the JUnit report.
func (r *testRunner) report(res testResult) {
	r.results = append(r.results, res)
	secs := fmt.Sprintf("%.2fs", res.elapsed.Seconds())
	if res.err == nil {
		r.passed++
		fmt.Fprintf(r.out, "ok  %s  %s\n", res.id(), secs)
		if r.verbose {
			writeIndented(r.out, res.output)
		}
		return
	}
	r.failed++
	fmt.Fprintf(r.out, "FAIL  %s  %s\n", res.id(), secs)
	writeIndented(r.out, res.detail)
	writeIndented(r.out, res.output)
}

// writeIndented writes text with every line indented by four spaces.
func writeIndented(w io.Writer, text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
