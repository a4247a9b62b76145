package core

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"stardbg/core/sym"
)

// ErrForeignInt3 is the cause of a breakpoint refused because an int3 that is
// not stardbg's is already at its address (see ForeignInt3Error).
var ErrForeignInt3 = errors.New("an int3 that is not stardbg's is already there")

// ForeignInt3Error is a breakpoint refused because the byte at Addr is
// already an int3 that stardbg did not write. Where the program's file has
// another byte there, the int3 was written since: a kernel uprobe of another
// tool (bpftrace, perf probe, systemtap; the kernel takes its trap first, so
// a breakpoint there would never fire) or another debugger's breakpoint.
// Where the file has the int3 too, it is the program's own, whose trap is the
// program's business.
type ForeignInt3Error struct {
	Addr   uint64
	File   string // the mapped file the address is in, "" if none
	InFile bool   // the file has the int3 too: the program's own
	Uprobe string // the uprobe_events entry at that place, "" if none is listed
}

func (e *ForeignInt3Error) Error() string {
	switch {
	case e.InFile:
		return fmt.Sprintf("the program's own int3 is there (it is in %s): its trap is the program's", e.File)
	case e.Uprobe != "":
		return fmt.Sprintf("the int3 of kernel uprobe %q is there and takes the trap first: a breakpoint there would never fire", e.Uprobe)
	}
	return "an int3 that is neither stardbg's nor in the program's file is there: a kernel uprobe of another tool " +
		"(bpftrace, perf probe) or another debugger's breakpoint, which takes the trap first, so a breakpoint there would never fire"
}

func (e *ForeignInt3Error) Unwrap() error { return ErrForeignInt3 }

// uprobeEventFiles are where the kernel lists the uprobes made through tracefs.
var uprobeEventFiles = []string{"/sys/kernel/tracing/uprobe_events", "/sys/kernel/debug/tracing/uprobe_events"}

// foreignInt3 explains the int3 found at addr before planting a breakpoint
// there, from the program's file and the kernel's list of uprobes.
func (p *Process) foreignInt3(addr uint64) *ForeignInt3Error {
	e := &ForeignInt3Error{Addr: addr}
	maps, _ := sym.ReadMaps(p.pid)
	for _, m := range maps {
		if !m.Contains(addr) || m.Path == "" || m.Path[0] != '/' || m.Deleted() {
			continue
		}
		e.File = m.Path
		off := addr - m.Start + m.Offset
		if f, err := os.Open(m.Path); err == nil {
			var b [1]byte
			if n, _ := f.ReadAt(b[:], int64(off)); n == 1 && b[0] == 0xCC {
				e.InFile = true
			}
			f.Close()
		}
		if !e.InFile {
			for _, name := range uprobeEventFiles {
				if fh, err := os.Open(name); err == nil {
					e.Uprobe = findUprobe(bufio.NewScanner(fh), m.Path, off)
					fh.Close()
					if e.Uprobe != "" {
						break
					}
				}
			}
		}
		break
	}
	return e
}

// findUprobe returns the name of the uprobe at offset off of file path in
// the lines of uprobe_events ("p:group/event /path/to/file:0x1146 args..."),
// or "".
func findUprobe(sc *bufio.Scanner, path string, off uint64) string {
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		file, at, ok := strings.Cut(fields[1], ":")
		if !ok || file != path {
			continue
		}
		at, _, _ = strings.Cut(at, "(") // a reference counter offset follows in parentheses
		if o, err := strconv.ParseUint(strings.TrimPrefix(at, "0x"), 16, 64); err == nil && o == off {
			_, name, _ := strings.Cut(fields[0], ":")
			return name
		}
	}
	return ""
}
