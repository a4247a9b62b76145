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
	// what the test printed.
	for _, re := range []string{
		`FAIL  testdata/probes/fail_test.star:test_assert_fails  \d+\.\d\ds\n    Traceback \(most recent call last\):\n      testdata/probes/fail_test.star:7:14: in test_assert_fails\n    Error: assert.eq: 2 != 3\n`,
		`FAIL  testdata/probes/fail_test.star:test_callback_error  .*\n(    .*\n)*      testdata/probes/fail_test.star:\d+:\d+: in lambda\n    Error: floored division by zero\n`,
		`FAIL  testdata/probes/broken_test.star  .*\n    testdata/probes/broken_test.star:\d+:\d+: syntax error: got end of file`,
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

// TestProbesTimeout checks that --timeout bounds the whole run of stardbg
// test: the test that hangs fails with a backtrace of its target, and the
// tests after it do not run.
func TestProbesTimeout(t *testing.T) {
	dir := t.TempDir()
	probe := filepath.Join(dir, "hang_test.star")
	err := os.WriteFile(probe, []byte(`def test_hangs():
    p = launch(["sleep", "1000"])
    p.run()

def test_never_runs():
    pass
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r := stardbg(t, nil, "test", "--timeout", "1s", dir)
	got, last := results(t, r.stdout)
	want := map[string]string{filepath.ToSlash(probe) + ":test_hangs": "FAIL"}
	if r.code != exitFail || !maps.Equal(got, want) || last != "0 passed, 1 failed" {
		t.Fatalf("results %v, last line %q; want %v, \"0 passed, 1 failed\", exit 1\n%v", got, last, want, r)
	}
	for _, re := range []string{`stardbg: timeout after 1s\n`, `(?m)^process \d+ \(.*sleep\):\n  thread \d+ \(sleep\):\n    #0  0x[0-9a-f]{16} in \S*nanosleep`} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("stderr does not match %q\n%v", re, r)
		}
	}
}
