package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"
)

// The JUnit XML report of stardbg test, in the form CI systems read
// (Jenkins, GitLab, GitHub actions): a testsuite per file, a testcase per
// test. A failed test has a <failure>; a file that does not load has one
// testcase with an <error>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// writeJUnit writes the report of results to path.
func writeJUnit(path string, results []testResult, elapsed time.Duration) error {
	report := junitSuites{Name: "stardbg test", Time: seconds(elapsed)}
	var suite *junitSuite
	var suiteTime time.Duration
	now := time.Now().UTC().Format(time.RFC3339)
	for _, res := range results {
		if suite == nil || suite.Name != res.file {
			report.Suites = append(report.Suites, junitSuite{Name: res.file, Timestamp: now})
			suite = &report.Suites[len(report.Suites)-1]
			suiteTime = 0
		}
		c := junitCase{Name: res.name, Classname: strings.TrimSuffix(res.file, ".star"), Time: seconds(res.elapsed), SystemOut: res.output}
		if res.err != nil {
			p := &junitProblem{Message: firstLine(res.err.Error()), Type: "starlark", Text: res.detail}
			if res.name == "" {
				c.Name = res.file
				p.Type = "load"
				c.Error = p
				suite.Errors++
				report.Errors++
			} else {
				c.Failure = p
				suite.Failures++
				report.Failures++
			}
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		report.Tests++
		suiteTime += res.elapsed
		suite.Time = seconds(suiteTime)
	}
	data, err := xml.MarshalIndent(&report, "", "  ")
	if err != nil {
		return err
	}
	data = append([]byte(xml.Header), data...)
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
