package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Tools of rows. Rows of the reference tools are what stardbg's rows are
// compared with; untraced rows are context only.
const (
	toolStardbg  = "stardbg"
	toolRaw      = "raw"
	toolGDB      = "gdb"
	toolUntraced = "untraced"
)

// references are the tools stardbg is compared with, in column order.
var references = []string{toolRaw, toolGDB}

// A Row is one measured figure: one tool on one workload, repeated.
type Row struct {
	Family   string    `json:"family"`
	Tool     string    `json:"tool"`     // stardbg, raw, gdb or untraced
	Name     string    `json:"name"`     // what ran: "stardbg, empty callback"
	Workload string    `json:"workload"` // the target and its size: "hotloop 40000"
	Unit     string    `json:"unit"`     // hits/s, s, MiB/s
	Higher   bool      `json:"higher_is_better"`
	Samples  []float64 `json:"samples"` // one per repetition, in order
	Median   float64   `json:"median"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	// Ratios maps a reference tool to stardbg's speed divided by that
	// tool's speed in the same family (stardbg rows only): above 1,
	// stardbg was faster.
	Ratios map[string]float64 `json:"ratios,omitempty"`
	// Extra holds medians of secondary figures (the untraced run time, the
	// time a script measured inside itself, ...).
	Extra   map[string]float64 `json:"extra,omitempty"`
	Note    string             `json:"note,omitempty"`
	Error   string             `json:"error,omitempty"`   // a failed repetition or check
	Skipped string             `json:"skipped,omitempty"` // why the row was not run

	extra map[string][]float64
}

func newRow(tool, name, workload, unit string, higher bool) *Row {
	return &Row{Tool: tool, Name: name, Workload: workload, Unit: unit, Higher: higher, extra: map[string][]float64{}}
}

// add records one repetition: its main figure, or the error that spoiled it.
// Only the first error is kept.
func (r *Row) add(v float64, err error) {
	if err != nil {
		if r.Error == "" {
			r.Error = err.Error()
		}
		return
	}
	r.Samples = append(r.Samples, v)
}

// addExtra records a secondary figure of one repetition.
func (r *Row) addExtra(key string, v float64) { r.extra[key] = append(r.extra[key], v) }

// ok reports whether more repetitions of the row are worth running.
func (r *Row) ok() bool { return r.Error == "" && r.Skipped == "" }

// finish computes the statistics.
func (r *Row) finish() {
	if len(r.Samples) > 0 {
		r.Median, r.Min, r.Max = median(r.Samples), slices.Min(r.Samples), slices.Max(r.Samples)
	}
	for k, vs := range r.extra {
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra[k] = median(vs)
	}
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// computeRatios compares every stardbg row of a family with its reference rows.
func computeRatios(rows []*Row) {
	for _, s := range rows {
		if s.Tool != toolStardbg || !s.ok() || s.Median <= 0 {
			continue
		}
		for _, ref := range rows {
			if !slices.Contains(references, ref.Tool) || !ref.ok() || ref.Median <= 0 || ref.Unit != s.Unit {
				continue
			}
			ratio := s.Median / ref.Median
			if !s.Higher {
				ratio = ref.Median / s.Median
			}
			if s.Ratios == nil {
				s.Ratios = map[string]float64{}
			}
			s.Ratios[ref.Tool] = ratio
		}
	}
}

// A Family is the rows of one family of measurements.
type Family struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Seconds float64 `json:"seconds"` // time the family took to run
	Rows    []*Row  `json:"rows"`
}

// Results is everything one run measured, with the facts needed to read it.
type Results struct {
	Date   string `json:"date"`
	Host   string `json:"host"`
	Kernel string `json:"kernel"`
	CPUs   int    `json:"cpus"`
	Go     string `json:"go"`
	GDB    string `json:"gdb,omitempty"`
	Reps   int    `json:"reps"`
	Pinned string `json:"pinned_cpus,omitempty"` // -cpus

	Elapsed  float64   `json:"elapsed_seconds"`
	Families []*Family `json:"families"`
}

func newResults(b *bench) *Results {
	res := &Results{
		Date:   time.Now().UTC().Format(time.RFC3339),
		CPUs:   runtime.NumCPU(),
		Go:     runtime.Version(),
		GDB:    b.tools.gdbVersion,
		Reps:   b.cfg.reps,
		Pinned: b.cfg.cpus,
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		res.Host = unix.ByteSliceToString(u.Nodename[:])
		res.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return res
}

// failures counts the rows with an error.
func (res *Results) failures() int {
	n := 0
	for _, f := range res.Families {
		for _, r := range f.Rows {
			if r.Error != "" {
				n++
			}
		}
	}
	return n
}

func writeJSON(path string, res *Results) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// printTable writes the results as an aligned table.
func printTable(w io.Writer, res *Results) {
	fmt.Fprintf(w, "stardbg bench: %d reps, medians; Linux %s, %d CPUs, %s", res.Reps, res.Kernel, res.CPUs, res.Go)
	if res.GDB != "" {
		fmt.Fprintf(w, ", %s", res.GDB)
	}
	if res.Pinned != "" {
		fmt.Fprintf(w, "; pinned to CPUs %s", res.Pinned)
	}
	fmt.Fprintf(w, "; %.0f s\n", res.Elapsed)
	fmt.Fprintln(w, "vs X = stardbg's speed / X's speed in the same run (above 1: stardbg faster)")
	// Columns are aligned over the whole table; family titles stand alone.
	table := [][]string{{"", "workload", "tool", "median", "unit", "min..max", "vs raw", "vs gdb", "note"}}
	titles := map[int]string{}
	for _, f := range res.Families {
		titles[len(table)] = f.ID + "  " + f.Title
		for _, r := range f.Rows {
			med, span := "-", ""
			if len(r.Samples) > 0 {
				med = formatValue(r.Median, r.Unit)
				span = formatValue(r.Min, r.Unit) + ".." + formatValue(r.Max, r.Unit)
			}
			cols := []string{"", r.Workload, r.Name, med, r.Unit, span}
			for _, ref := range references {
				if v, ok := r.Ratios[ref]; ok {
					cols = append(cols, fmt.Sprintf("%.2fx", v))
				} else {
					cols = append(cols, "")
				}
			}
			note := r.Note
			switch {
			case r.Skipped != "":
				note = "skipped: " + r.Skipped
			case r.Error != "":
				note = "FAILED: " + firstLine(r.Error)
			}
			table = append(table, append(cols, note))
		}
	}
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for i, row := range table {
		if title, ok := titles[i]; ok {
			fmt.Fprintln(w, title)
		}
		var line strings.Builder
		for j, cell := range row {
			if j == len(row)-1 {
				line.WriteString(cell)
				break
			}
			fmt.Fprintf(&line, "%-*s  ", widths[j], cell)
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
	for _, f := range res.Families {
		for _, r := range f.Rows {
			if r.Error != "" {
				fmt.Fprintf(w, "\n%s %s, %s: %s\n", f.ID, r.Workload, r.Name, r.Error)
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func formatValue(v float64, unit string) string {
	switch {
	case unit != "s":
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v == 0:
		return "0"
	}
	// Three significant digits.
	digits := max(2, 2-int(math.Floor(math.Log10(v))))
	return fmt.Sprintf("%.*f", digits, v)
}
