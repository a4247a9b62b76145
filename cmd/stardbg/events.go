package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"stardbg/core"
)

// An eventLog writes the --events log: one JSON object per line for every
// event of the engine. Its log method is the engine's observer: it runs on
// the tracer thread, at every breakpoint hit, so it only formats and buffers; the file is flushed when the log is closed (stderr at each line).
type eventLog struct {
	w         *bufio.Writer
	file      *os.File // nil for stderr
	lineFlush bool
	err       error // the first write error
}

// An eventRecord is one line of the log.
type eventRecord struct {
	Time       string         `json:"time"`
	Pid        int            `json:"pid"`
	Tid        int            `json:"tid,omitempty"`
	Kind       string         `json:"kind"`
	Breakpoint int            `json:"breakpoint,omitempty"`
	Signal     string         `json:"signal,omitempty"`
	Status     *int           `json:"status,omitempty"`
	NewTid     int            `json:"new_tid,omitempty"`
	Addr       string         `json:"addr,omitempty"` // a watchpoint's address
	Old        *uint64        `json:"old,omitempty"`  // a watchpoint's value before the access
	New        *uint64        `json:"new,omitempty"`  // and after
	Location   *eventLocation `json:"location,omitempty"`
}

// An eventLocation is where the thread of an event was.
type eventLocation struct {
	PC       string `json:"pc"` // hexadecimal, "0x401136"
	Function string `json:"function,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Module   string `json:"module,omitempty"`
}

// timeLayout is RFC 3339 with nanoseconds, fixed width.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// openEventLog opens the log named by --events: "" for none (a nil log),
// "-" for stderr, or a file, created or truncated.
func openEventLog(name string, stderr io.Writer) (*eventLog, error) {
	switch name {
	case "":
		return nil, nil
	case "-":
		return &eventLog{w: bufio.NewWriter(stderr), lineFlush: true}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("--events: %w", err)
	}
	return &eventLog{w: bufio.NewWriterSize(f, 64<<10), file: f}, nil
}

// log is the engine's observer, which sees each event once.
func (l *eventLog) log(ev *core.Event) {
	rec := eventRecord{
		Time: time.Now().Format(timeLayout),
		Pid:  ev.Process.Pid(),
		Tid:  ev.Tid,
		Kind: ev.Kind.String(),
	}
	if ev.Breakpoint != nil {
		rec.Breakpoint = ev.Breakpoint.ID
	}
	switch ev.Kind {
	case core.EventSignal, core.EventKilled:
		rec.Signal = core.SignalName(ev.Signal)
	case core.EventExited, core.EventThreadExit:
		status := ev.Status
		rec.Status = &status
	case core.EventThreadCreate:
		if ev.NewThread != nil {
			rec.NewTid = ev.NewThread.Tid()
		}
	case core.EventWatch:
		old, new := ev.Old, ev.New
		rec.Addr, rec.Old, rec.New = fmt.Sprintf("%#x", ev.Addr), &old, &new
	}
	switch ev.Kind {
	case core.EventThreadExit, core.EventExited, core.EventKilled:
	default:
		rec.Location = location(ev)
	}
	b, err := json.Marshal(&rec)
	if err == nil {
		b = append(b, '\n')
		_, err = l.w.Write(b)
	}
	if err == nil && l.lineFlush {
		err = l.w.Flush()
	}
	if err != nil && l.err == nil {
		l.err = err
	}
}

// location symbolizes the pc of the event's thread, or returns nil if the
// thread cannot tell (it is running or gone).
func location(ev *core.Event) *eventLocation {
	if ev.Thread == nil {
		return nil
	}
	pc, err := ev.Thread.PC()
	if err != nil {
		return nil
	}
	loc := &eventLocation{PC: fmt.Sprintf("%#x", pc)}
	tab, err := ev.Process.Symbols()
	if err != nil {
		return loc
	}
	// The log shows what is known: a line table that cannot be read
	// leaves the file out, as the thread's own lookups report.
	loc.File, loc.Line, loc.Function, _ = tab.PCToLine(pc)
	if m := tab.ModuleAt(pc); m != nil {
		loc.Module = m.Name
	}
	return loc
}

// close flushes and closes the log; a nil log does nothing.
func (l *eventLog) close() error {
	if l == nil {
		return nil
	}
	err := l.w.Flush()
	if l.file != nil {
		if cerr := l.file.Close(); err == nil {
			err = cerr
		}
	}
	if l.err != nil {
		return l.err
	}
	return err
}
