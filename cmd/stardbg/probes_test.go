package main

import (
	"encoding/xml"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// junitReport is what the tests read back of a JUnit report.
type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Time    string `xml:"time,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// testLine is a result line of stardbg test: "ok  ID  0.42s".
var testLine = regexp.MustCompile(`^(ok|FAIL)  (\S+)  \d+\.\d\ds$`)

// results returns the status of each test in stardbg test's output, and
// its last line.
func results(t *testing.T, stdout string) (map[string]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	got := map[string]string{}
	for _, line := range lines {
		if m := testLine.FindStringSubmatch(line); m != nil {
			got[m[2]] = m[1]
		}
	}
	return got, lines[len(lines)-1]
}

// TestProbes runs stardbg test over testdata/probes: passing, failing and
// broken probes, with a JUnit report.
func TestProbes(t *testing.T) {
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	r := stardbg(t, nil, "test", "--junit", junitPath, "testdata/probes")
	if r.code != exitFail {
		t.Fatalf("exit code %d, want 1\n%v", r.code, r)
	}
	got, last := results(t, r.stdout)
	want := map[string]string{
		"testdata/probes/broken_test.star":                            "FAIL",
		"testdata/probes/fail_test.star:test_first_passes":            "ok",
		"testdata/probes/fail_test.star:test_assert_fails":            "FAIL",
		"testdata/probes/fail_test.star:test_fail_leaves_a_process":   "FAIL",
		"testdata/probes/fail_test.star:test_callback_error":          "FAIL",
		"testdata/probes/fail_test.star:test_last_passes":             "ok",
		"testdata/probes/more/signal_test.star:test_killed_by_signal": "ok",
		"testdata/probes/pass_test.star:test_exit_code":               "ok",
		"testdata/probes/pass_test.star:test_arithmetic":              "ok",
	}
	if !maps.Equal(got, want) {
		t.Errorf("results:\n%v\nwant:\n%v\n%v", got, want, r)
	}
	if last != "5 passed, 4 failed" {
		t.Errorf("last line %q, want \"5 passed, 4 failed\"", last)
	}
	// A failure is followed by its error and backtrace, indented, then
	// what the test printed. A file runs in its own directory, so the
	// backtrace names it relative to that.
	for _, re := range []string{
		`FAIL  testdata/probes/fail_test.star:test_assert_fails  \d+\.\d\ds\n    Traceback \(most recent call last\):\n      fail_test.star:7:14: in test_assert_fails\n    Error: assert.eq: 2 != 3\n`,
		`FAIL  testdata/probes/fail_test.star:test_callback_error  .*\n(    .*\n)*      fail_test.star:\d+:\d+: in lambda\n    Error: floored division by zero\n`,
		`FAIL  testdata/probes/broken_test.star  .*\n    broken_test.star:\d+:\d+: syntax error: got end of file`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %q\n%v", re, r)
		}
	}
	// The process the failed test left running was killed.
	m := regexp.MustCompile(`\n    launched pid=(\d+)\n`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no launched pid in the output\n%v", r)
	}
	pid, _ := strconv.Atoi(m[1])
	waitGone(t, pid)

	data, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var report junitReport
	if err := xml.Unmarshal(data, &report); err != nil {
		t.Fatalf("JUnit report: %v\n%s", err, data)
	}
	if report.Tests != 9 || report.Failures != 3 || report.Errors != 1 || len(report.Suites) != 4 {
		t.Errorf("JUnit report: %d tests, %d failures, %d errors, %d suites; want 9, 3, 1, 4", report.Tests, report.Failures, report.Errors, len(report.Suites))
	}
	for _, s := range report.Suites {
		failures, errs := 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
				if c.Failure.Message == "" || !strings.Contains(c.Failure.Text, "Traceback") {
					t.Errorf("JUnit %s %s: failure without message or backtrace: %+v", s.Name, c.Name, c.Failure)
				}
			}
			if c.Error != nil {
				errs++
			}
			if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
				t.Errorf("JUnit %s %s: time %q", s.Name, c.Name, c.Time)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errs {
			t.Errorf("JUnit suite %s: counts %d/%d/%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errs)
		}
	}
}

// TestProbesPass runs only passing probes, by path and by -run: exit 0.
func TestProbesPass(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want map[string]string
	}{
		{[]string{"testdata/probes/pass_test.star", "testdata/probes/more"}, map[string]string{
			"testdata/probes/pass_test.star:test_exit_code":               "ok",
			"testdata/probes/pass_test.star:test_arithmetic":              "ok",
			"testdata/probes/more/signal_test.star:test_killed_by_signal": "ok",
		}},
		// flags may follow the paths
		{[]string{"testdata/probes/fail_test.star", "-run", `fail_test.star:test_(first|last)`}, map[string]string{
			"testdata/probes/fail_test.star:test_first_passes": "ok",
			"testdata/probes/fail_test.star:test_last_passes":  "ok",
		}},
		{[]string{"-run", "^test_exit_code$", "testdata/probes"}, map[string]string{
			"testdata/probes/broken_test.star":              "FAIL", // a file that does not load always fails
			"testdata/probes/pass_test.star:test_exit_code": "ok",
		}},
	} {
		r := stardbg(t, nil, append([]string{"test"}, tt.args...)...)
		got, last := results(t, r.stdout)
		if !maps.Equal(got, tt.want) {
			t.Errorf("stardbg test %q: results\n%v\nwant\n%v\n%v", tt.args, got, tt.want, r)
		}
		failed := 0
		for _, status := range tt.want {
			if status == "FAIL" {
				failed++
			}
		}
		wantLast := strconv.Itoa(len(tt.want)-failed) + " passed, " + strconv.Itoa(failed) + " failed"
		wantCode := exitOK
		if failed > 0 {
			wantCode = exitFail
		}
		if last != wantLast || r.code != wantCode {
			t.Errorf("stardbg test %q: last line %q, exit %d; want %q, %d\n%v", tt.args, last, r.code, wantLast, wantCode, r)
		}
	}
	r := stardbg(t, nil, "test", "testdata/probes/nonexistent")
	if r.code != exitUsage {
		t.Errorf("stardbg test of a missing path:\n%v", r)
	}
}

// hangProbe writes a probe file whose first test hangs and whose second
// passes, and returns its path.
func hangProbe(t *testing.T) string {
	t.Helper()
	probe := filepath.Join(t.TempDir(), "hang_test.star")
	err := os.WriteFile(probe, []byte(`def test_hangs():
    p = launch(["sleep", "1000"])
    p.run()

def test_after():
    pass
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return probe
}

// TestProbesTimeout checks that --timeout bounds each test of stardbg test:
// the test that hangs fails with a backtrace of its target printed once,
// under its FAIL line, and the test after it still runs and is reported, in
// the summary line and in the JUnit report.
func TestProbesTimeout(t *testing.T) {
	probe := hangProbe(t)
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	r := stardbg(t, nil, "test", "--timeout", "1s", "--junit", junitPath, probe)
	got, last := results(t, r.stdout)
	id := filepath.ToSlash(probe)
	want := map[string]string{id + ":test_hangs": "FAIL", id + ":test_after": "ok"}
	if r.code != exitFail || !maps.Equal(got, want) || last != "1 passed, 1 failed" {
		t.Fatalf("results %v, last line %q; want %v, \"1 passed, 1 failed\", exit 1\n%v", got, last, want, r)
	}
	backtrace := `(?m)^    process \d+ \(.*sleep\):\n      thread \d+ \(sleep\):\n        #0  0x[0-9a-f]{16} in \S*nanosleep`
	for _, re := range []string{`(?m)^    stardbg: --timeout 1s expired; the targets' threads:$`, backtrace} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %q\n%v", re, r)
		}
	}
	if n := strings.Count(r.stdout+r.stderr, "#0 "); n != 1 {
		t.Errorf("the backtrace is printed %d times, want once\n%v", n, r)
	}
	data, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	var report junitReport
	if err := xml.Unmarshal(data, &report); err != nil {
		t.Fatalf("JUnit report: %v\n%s", err, data)
	}
	if report.Tests != 2 || report.Failures != 1 || len(report.Suites) != 1 || len(report.Suites[0].Cases) != 2 {
		t.Fatalf("JUnit report: %d tests, %d failures; want 2 tests, 1 failure\n%s", report.Tests, report.Failures, data)
	}
	if f := report.Suites[0].Cases[0].Failure; f == nil || !strings.Contains(f.Text, "nanosleep") {
		t.Errorf("JUnit: test_hangs's failure has no backtrace of the target: %+v", f)
	}
}

// TestProbesTotalTimeout checks that --total-timeout bounds the whole run:
// the test that was running fails with its backtrace, and no more tests run.
func TestProbesTotalTimeout(t *testing.T) {
	probe := hangProbe(t)
	r := stardbg(t, nil, "test", "--total-timeout", "1s", probe)
	got, last := results(t, r.stdout)
	want := map[string]string{filepath.ToSlash(probe) + ":test_hangs": "FAIL"}
	if r.code != exitFail || !maps.Equal(got, want) || last != "0 passed, 1 failed" {
		t.Fatalf("results %v, last line %q; want %v, \"0 passed, 1 failed\", exit 1\n%v", got, last, want, r)
	}
	for _, re := range []string{`(?m)^    stardbg: --total-timeout 1s expired; the targets' threads:\n    process \d+ \(.*sleep\):\n`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %q\n%v", re, r)
		}
	}
	if !strings.Contains(r.stderr, "stardbg test: --total-timeout 1s expired\n") {
		t.Errorf("stderr does not say that --total-timeout expired\n%v", r)
	}
}

// TestProbesNoTests checks that a run with no test to run is not a pass:
// -run that matches nothing, or paths with no probe, exit 5 with a message.
func TestProbesNoTests(t *testing.T) {
	empty := t.TempDir()
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-run", "^test_nothing_is_called_so$", "testdata/probes/pass_test.star"},
			`stardbg test: -run "^test_nothing_is_called_so$" matches no test in testdata/probes/pass_test.star`},
		{[]string{empty}, "stardbg test: no *_test.star files in " + empty},
		{[]string{writeFile(t, "none_test.star", "x = 1\n")}, "stardbg test: no test_* functions in "},
	} {
		r := stardbg(t, nil, append([]string{"test"}, tt.args...)...)
		if r.code != exitNoTests || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("stardbg test %q: exit %d, want %d with %q on stderr\n%v", tt.args, r.code, exitNoTests, tt.stderr, r)
		}
	}
}

// TestProbesWorkingDirectory checks that each probe file runs in its own
// directory, whatever directory stardbg test starts in: a probe launches
// "./prog" next to it, and reads what it wrote to a relative path.
func TestProbesWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	for _, sub := range []string{"a", "b"} {
		dir := filepath.Join(root, sub)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		prog := "#!/bin/sh\npwd > where.txt\n"
		if err := os.WriteFile(filepath.Join(dir, "prog"), []byte(prog), 0o755); err != nil {
			t.Fatal(err)
		}
		probe := `def test_here():
    p = launch(["./prog"])
    assert.eq(p.run().kind, "exited")
    assert.eq(p.exit_code, 0)
`
		if err := os.WriteFile(filepath.Join(dir, "here_test.star"), []byte(probe), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := t.TempDir()
	r := stardbgIn(t, start, nil, "test", "--junit", "junit.xml", root)
	got, last := results(t, r.stdout)
	if r.code != exitOK || last != "2 passed, 0 failed" || len(got) != 2 {
		t.Fatalf("stardbg test started in another directory: %v", r)
	}
	for _, sub := range []string{"a", "b"} {
		dir := filepath.Join(root, sub)
		b, err := os.ReadFile(filepath.Join(dir, "where.txt"))
		if err != nil || strings.TrimSpace(string(b)) != dir {
			t.Errorf("prog in %s ran in %q (%v), want its own directory", sub, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(start, "junit.xml")); err != nil {
		t.Errorf("--junit junit.xml is not where stardbg started: %v", err)
	}
}
