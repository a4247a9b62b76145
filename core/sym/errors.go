package sym

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNoProcess means an operation needs a live process and the Table
	// was made for a file alone.
	ErrNoProcess = errors.New("no process")
	// ErrBadSpec means a location spec could not be parsed.
	ErrBadSpec = errors.New("bad location")
	// ErrClosed means a file was needed from a Files cache that is closed.
	ErrClosed = errors.New("symbol files are closed")
)

// A NotFoundError says that a location spec matched nothing, and lists the
// closest names known, best first.
type NotFoundError struct {
	Spec        string   // the spec as given
	What        string   // what was looked for: "function or file:line", "source file", "line with code", "module or file"
	Suggestions []string // close names, best first (may be empty)
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no %s matches %q", e.What, e.Spec)
	if len(e.Suggestions) > 0 {
		b.WriteString(" (did you mean ")
		for i, s := range e.Suggestions {
			switch {
			case i == 0:
			case i == len(e.Suggestions)-1:
				b.WriteString(" or ")
			default:
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", s)
		}
		b.WriteString("?)")
	}
	return b.String()
}

// A DebugInfoError says that a file's line or function tables are there but
// cannot be read (corrupt DWARF, a damaged .gopclntab). The lookups that
// need them return it, rather than answer as if the file had no line
// information.
type DebugInfoError struct {
	Path  string // the ELF file
	Table string // "DWARF" or ".gopclntab"
	Err   error
}

func (e *DebugInfoError) Error() string {
	return fmt.Sprintf("%s: %s cannot be read: %v", e.Path, e.Table, e.Err)
}

func (e *DebugInfoError) Unwrap() error { return e.Err }

// A SpecError says why a location spec could not be parsed.
type SpecError struct {
	Spec   string
	Reason string
}

func (e *SpecError) Error() string { return fmt.Sprintf("bad location %q: %s", e.Spec, e.Reason) }

// Unwrap lets errors.Is(err, ErrBadSpec) hold.
func (e *SpecError) Unwrap() error { return ErrBadSpec }
