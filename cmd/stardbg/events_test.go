package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stardbg/internal/testtarget"
)

// TestEvents checks that --events writes one JSON object per line with the
// kinds of what happened, symbolized where a thread stopped: every hit once
// (also the one that stops), and thread events without any handler.
func TestEvents(t *testing.T) {
	sleeper := testtarget.Build(t, "c/sleeper", testtarget.Default)
	script := writeFile(t, "events.star", `p = launch([argv[1], "0.3", "2"], stdout="null")
bp = p.break_at("hot", on_hit=lambda t, bp: bp.hits == 1)
ev = p.run()
assert.eq(ev.kind, "breakpoint")
ev = p.run()
assert.eq(ev.kind, "exited")
print(p.pid, bp.hits)
`)
	logPath := filepath.Join(t.TempDir(), "events.jsonl")
	r := stardbg(t, nil, "run", "--events", logPath, script, sleeper)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	var pid, hits int
	if _, err := fmt.Sscan(r.stdout, &pid, &hits); err != nil {
		t.Fatalf("no pid and hits in stdout: %v", r)
	}

	type location struct {
		PC       string
		Function string
		File     string
		Line     int
		Module   string
	}
	type record struct {
		Time       string
		Pid        int
		Tid        int
		Kind       string
		Breakpoint int
		Signal     string
		Status     *int
		NewTid     int `json:"new_tid"`
		Location   *location
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec record
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("line %d: %v: %s", len(recs)+1, err, sc.Text())
		}
		recs = append(recs, rec)
	}
	count := map[string]int{}
	for i, rec := range recs {
		count[rec.Kind]++
		if _, err := time.Parse(time.RFC3339Nano, rec.Time); err != nil {
			t.Errorf("line %d: time: %v", i+1, err)
		}
		if rec.Pid != pid {
			t.Errorf("line %d: pid %d, want %d", i+1, rec.Pid, pid)
		}
		switch rec.Kind {
		case "thread_create":
			if rec.NewTid == 0 || rec.Tid == 0 {
				t.Errorf("line %d: thread_create without tid and new_tid: %+v", i+1, rec)
			}
		case "breakpoint":
			loc := rec.Location
			// hot's lines: its signature, "{", then the body.
			body := testtarget.Line(t, "c/sleeper.c", "hot-body")
			if rec.Breakpoint != 1 || loc == nil || loc.Function != "hot" || loc.Module != "sleeper" ||
				filepath.Base(loc.File) != "sleeper.c" || loc.Line < body-2 || loc.Line > body ||
				!strings.HasPrefix(loc.PC, "0x") {
				t.Errorf("line %d: want breakpoint 1 in hot, sleeper.c:%d-%d, module sleeper; got %+v %+v", i+1, body-2, body, rec, loc)
			}
		case "exited", "thread_exit":
			if rec.Status == nil || *rec.Status != 0 {
				t.Errorf("line %d: %s without status 0: %+v", i+1, rec.Kind, rec)
			}
		}
	}
	// Every hit once, also the one that stopped (which wait_stop reports
	// again).
	want := map[string]int{"thread_create": 2, "breakpoint": hits, "thread_exit": 2, "exited": 1}
	for kind, n := range want {
		if count[kind] != n {
			t.Errorf("%d %s events, want %d; all: %v", count[kind], kind, n, count)
		}
	}
	if len(recs) == 0 || recs[len(recs)-1].Kind != "exited" {
		t.Errorf("the last event is not exited: %+v", recs)
	}
}
