package script

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.starlark.net/starlark"
)

// A loadRoot is the directory that load() may not escape.
type loadRoot struct {
	abs     string // absolute path
	display string // as the user gave it, for file names in messages
}

// A module is an entry of the session's load cache.
// A nil *module in the cache marks a load in progress.
type module struct {
	globals starlark.StringDict
	err     error
}

// load implements load(name) for a thread of the session: name is
// resolved relative to the directory of the loading file and must stay
// inside the root directory. Modules are executed on the loading thread,
// with the same predeclared names, and cached per session.
func (ts *threadState) load(thread *starlark.Thread, name string) (starlark.StringDict, error) {
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("absolute path %q not allowed: load paths are relative to the loading script", name)
	}
	loader := ts.loading[len(ts.loading)-1]
	abs := filepath.Join(filepath.Dir(loader), filepath.FromSlash(name))
	rel, err := filepath.Rel(ts.root.abs, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("path %q escapes the root directory %s", name, ts.root.display)
	}

	if slices.Contains(ts.loading, abs) {
		return nil, ts.cycleError(abs)
	}
	s := ts.session
	s.mu.Lock()
	m, ok := s.modules[abs]
	if !ok {
		s.modules[abs] = nil // load in progress
	}
	s.mu.Unlock()
	if ok {
		if m == nil {
			return nil, ts.cycleError(abs)
		}
		return m.globals, m.err
	}

	m = new(module)
	m.globals, m.err = ts.exec(thread, abs, rel)

	s.mu.Lock()
	if reason, _ := ts.cancelled(); reason != nil && m.err != nil {
		delete(s.modules, abs) // an interrupted load may succeed next time
	} else {
		s.modules[abs] = m
	}
	s.mu.Unlock()
	return m.globals, m.err
}

// exec reads and executes the module at abs (rel to the root) on thread.
func (ts *threadState) exec(thread *starlark.Thread, abs, rel string) (starlark.StringDict, error) {
	root, err := os.OpenRoot(ts.root.abs)
	if err != nil {
		return nil, err
	}
	data, err := root.ReadFile(rel)
	root.Close()
	if err != nil {
		return nil, err
	}
	ts.loading = append(ts.loading, abs)
	defer func() { ts.loading = ts.loading[:len(ts.loading)-1] }()
	filename := filepath.Join(ts.root.display, rel)
	return starlark.ExecFileOptions(FileOptions(), thread, filename, data, ts.env)
}

// cycleError describes the load cycle that reaches abs again.
func (ts *threadState) cycleError(abs string) error {
	i := slices.Index(ts.loading, abs)
	if i < 0 {
		return fmt.Errorf("module is being loaded by another execution")
	}
	var chain []string
	for _, p := range append(ts.loading[i:], abs) {
		if rel, err := filepath.Rel(ts.root.abs, p); err == nil {
			p = filepath.ToSlash(rel)
		}
		chain = append(chain, p)
	}
	return fmt.Errorf("cycle in load graph: %s", strings.Join(chain, " -> "))
}
