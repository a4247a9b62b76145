package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/peterh/liner"
)

// A history keeps the REPL's lines across sessions in
// $XDG_STATE_HOME/stardbg/history (~/.local/state/stardbg/history). It is
// loaded when the REPL starts, and each session appends its own lines when
// it ends, so that sessions running side by side do not overwrite each
// other's. It is used only when standard input is a terminal.
type history struct {
	path string

	mu    sync.Mutex // add runs on the prompting goroutine
	added []string
}

// historyPath returns the history file's path, or "" if there is no home.
func historyPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) { // the XDG spec says to ignore relative paths
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "stardbg", "history")
}

// loadHistory reads the history file into the line editor. A missing or
// unreadable file is an empty history.
func loadHistory(l *liner.State) *history {
	h := &history{path: historyPath()}
	if h.path == "" {
		return h
	}
	if f, err := os.Open(h.path); err == nil {
		l.ReadHistory(f)
		f.Close()
	}
	return h
}

// add records a line of this session.
func (h *history) add(line string) {
	if !utf8.ValidString(line) {
		return // the line editor could not read it back
	}
	h.mu.Lock()
	h.added = append(h.added, line)
	h.mu.Unlock()
}

// save appends this session's lines to the file, and trims the file to the
// line editor's limit when it has grown to twice that.
func (h *history) save() error {
	h.mu.Lock()
	lines := h.added
	h.added = nil
	h.mu.Unlock()
	if h.path == "" || len(lines) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return h.trim()
}

// trim keeps the last liner.HistoryLimit lines of a file that has more
// than twice as many, replacing it atomically.
func (h *history) trim() error {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return err
	}
	if bytes.Count(data, []byte("\n")) <= 2*liner.HistoryLimit {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	lines = lines[len(lines)-liner.HistoryLimit:]
	tmp, err := os.CreateTemp(filepath.Dir(h.path), "history.*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), h.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
