package builtins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"stardbg/internal/testtarget"
)

// A dumpFrame is a frame of the runtime's goroutine dump (runtime.Stack)
// or of goroutine.backtrace().
type dumpFrame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// A dumpG is a goroutine of the dump, or of p.goroutines() as the test
// script records it.
type dumpG struct {
	ID         int64       `json:"id"`
	Status     string      `json:"status"`
	WaitReason string      `json:"wait_reason"`
	Thread     bool        `json:"thread"`
	Start      string      `json:"start"`
	Creator    *dumpFrame  `json:"creator"`
	Frames     []dumpFrame `json:"frames"`
}

var (
	dumpHeader = regexp.MustCompile(`^goroutine (\d+) \[([^\]]*)\]:$`)
	dumpWhere  = regexp.MustCompile(`^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?$`)
	dumpCall   = regexp.MustCompile(`^(.+)\(.*\)$`)
	dumpCreate = regexp.MustCompile(`^created by (\S+) in goroutine \d+$`)
)

// parseDump reads the goroutines of runtime.Stack's text: the bracket of the
// header (the status, or the wait reason of a waiting goroutine, without
// ", N minutes"), the frames and the creator.
func parseDump(t *testing.T, text string) map[int64]*dumpG {
	t.Helper()
	out := map[int64]*dumpG{}
	for _, block := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(block, "\n")
		m := dumpHeader.FindStringSubmatch(lines[0])
		if m == nil {
			t.Fatalf("dump: not a goroutine header: %q", lines[0])
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		g := &dumpG{ID: id, Status: strings.Split(m[2], ", ")[0]}
		for i := 1; i+1 < len(lines); i += 2 {
			w := dumpWhere.FindStringSubmatch(lines[i+1])
			if w == nil {
				t.Fatalf("dump of goroutine %d: not a place: %q", id, lines[i+1])
			}
			line, _ := strconv.Atoi(w[2])
			f := dumpFrame{File: w[1], Line: line}
			if c := dumpCreate.FindStringSubmatch(lines[i]); c != nil {
				f.Function = c[1]
				g.Creator = &f
				continue
			}
			c := dumpCall.FindStringSubmatch(lines[i])
			if c == nil {
				t.Fatalf("dump of goroutine %d: not a call: %q", id, lines[i])
			}
			f.Function = c[1]
			g.Frames = append(g.Frames, f)
		}
		out[id] = g
	}
	return out
}

// shownInDump reports whether runtime.Stack shows a frame of this function:
// not the runtime's unexported functions, nor the wrappers the compiler
// makes for go statements and method values (showfuncinfo in the runtime's
// traceback.go, at the traceback level runtime.Stack forces).
func shownInDump(fn string) bool {
	if rest, ok := strings.CutPrefix(fn, "runtime."); ok {
		return rest != "" && rest[0] >= 'A' && rest[0] <= 'Z'
	}
	return strings.Contains(fn, ".") && !regexp.MustCompile(`\.(go|defer)wrap\d+$|-fm$`).MatchString(fn)
}

// TestGoroutinesMatchDump breaks on goparked's probe, called right after the
// program printed runtime.Stack(buf, true) with 1,000 goroutines parked in
// known places, and compares p.goroutines() with that dump: the same
// goroutines (ours add the runtime's own, which the dump leaves out), the
// same status or wait reason, the same frames (inlined calls included) as
// the dump shows them, the same creator.
//
// It runs on the default build and on one without DWARF (-ldflags=-w),
// whose goroutines are read with the layouts of its Go release and whose
// inlined calls come from .gopclntab's inline trees.
func TestGoroutinesMatchDump(t *testing.T) {
	for _, v := range testtarget.Variants("go/goparked") {
		t.Run(v.String(), func(t *testing.T) { goroutinesMatchDump(t, v) })
	}
}

func goroutinesMatchDump(t *testing.T, v testtarget.Variant) {
	bin := testtarget.Build(t, "go/goparked", v)
	out := filepath.Join(t.TempDir(), "out")
	var got []dumpG
	record := func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var s string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "json", &s); err != nil {
			return nil, err
		}
		return starlark.None, json.Unmarshal([]byte(s), &got)
	}
	src := fmt.Sprintf(`
p = launch([%q, "1000"], stdout=%q)
p.break_at("main.probe")
ev = p.run()
assert.eq(ev.kind, "breakpoint")
gs = []
for g in p.goroutines():
    c = g.creator
    gs.append({
        "id": g.id, "status": g.status, "wait_reason": g.wait_reason, "thread": g.thread != None,
        "start": g.start,
        "creator": {"function": c.function, "file": c.file, "line": c.line} if c else None,
        "frames": [{"function": f.function, "file": f.file, "line": f.line} for f in g.backtrace()],
    })
record(json.encode(gs))
assert.eq(ev.thread.goroutine.id, 1)
p.kill()
`, bin, out)
	if err := execScript(t, "dump.star", src, sessionOptions{extra: map[string]builtinFn{"record": record}}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	_, dumpText, ok := strings.Cut(string(text), "parked=1000\n")
	dumpText, _, ok2 := strings.Cut(dumpText, "\nprobe\n")
	if !ok || !ok2 {
		t.Fatalf("no dump in the output:\n%s", text)
	}
	dump := parseDump(t, dumpText)
	t.Logf("%d goroutines listed, %d in the dump", len(got), len(dump))
	if len(dump) != 1001 {
		t.Fatalf("the dump has %d goroutines, want 1001", len(dump))
	}
	ours := map[int64]dumpG{}
	for _, g := range got {
		ours[g.ID] = g
		if _, ok := dump[g.ID]; !ok && !strings.HasPrefix(g.Start, "runtime.") {
			t.Errorf("goroutine %d (start %s) is not in the dump, and not the runtime's", g.ID, g.Start)
		}
	}
	reasons := map[string]int{}
	for id, d := range dump {
		g, ok := ours[id]
		if !ok {
			t.Errorf("goroutine %d [%s] of the dump is not listed", id, d.Status)
			continue
		}
		what := g.Status
		if g.Status == "waiting" {
			what = g.WaitReason
		}
		reasons[what]++
		if what != d.Status {
			t.Errorf("goroutine %d: status %s, wait reason %q; the dump says %s", id, g.Status, g.WaitReason, d.Status)
		}
		if g.Thread != (g.Status == "running" || g.Status == "syscall") {
			t.Errorf("goroutine %d is %s, with a thread: %v", id, g.Status, g.Thread)
		}
		if id == 1 {
			// main took the dump and called probe since.
			if g.Frames[0].Function != "main.probe" || g.Creator != nil {
				t.Errorf("goroutine 1: frames %v, creator %v; want main.probe's, none", g.Frames, g.Creator)
			}
			continue
		}
		if g.Creator == nil || d.Creator == nil || *g.Creator != *d.Creator {
			t.Errorf("goroutine %d: creator %+v, the dump says %+v", id, g.Creator, d.Creator)
		}
		var shown []dumpFrame
		for _, f := range g.Frames {
			if shownInDump(f.Function) {
				shown = append(shown, f)
			}
		}
		want := d.Frames
		if g.Status == "syscall" {
			// The dump unwinds from where the goroutine entered the system
			// call (g.syscallpc), we from its thread's registers, inside
			// it: our frames go deeper and the entering one's line is
			// where it is now.
			k := len(shown) - len(want)
			if k < 0 || shown[k].Function != want[0].Function {
				t.Errorf("goroutine %d [syscall]: frames\n%v\nthe dump's\n%v", id, shown, want)
				continue
			}
			shown, want = shown[k+1:], want[1:]
		}
		if fmt.Sprint(shown) != fmt.Sprint(want) {
			t.Errorf("goroutine %d [%s]: frames\n%v\nthe dump's\n%v", id, d.Status, shown, want)
		}
	}
	for reason, n := range map[string]int{"chan receive": 294, "select": 196, "sleep": 196, "sync.Mutex.Lock": 196,
		"sync.WaitGroup.Wait": 98, "IO wait": 16, "syscall": 4, "running": 1} {
		if reasons[reason] != n {
			t.Errorf("%d goroutines [%s], want %d", reasons[reason], reason, n)
		}
	}
}
