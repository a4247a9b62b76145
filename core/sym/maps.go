package sym

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A Map is one line of /proc/PID/maps: a contiguous range of the address
// space [Start, End) and what backs it.
type Map struct {
	Start, End uint64
	Perms      string // "r-xp"
	Offset     uint64 // offset in the file of Start
	Dev        string // "fd:01"
	Inode      uint64
	Path       string // file path, "[stack]", "[vdso]", "[heap]", or "" for anonymous memory
}

// Contains reports whether addr is inside the mapping.
func (m Map) Contains(addr uint64) bool { return m.Start <= addr && addr < m.End }

// Readable reports whether the mapping can be read.
func (m Map) Readable() bool { return len(m.Perms) > 0 && m.Perms[0] == 'r' }

// Executable reports whether the mapping can be executed.
func (m Map) Executable() bool { return len(m.Perms) > 2 && m.Perms[2] == 'x' }

// Deleted reports whether the backing file was deleted or replaced after it
// was mapped (the kernel appends " (deleted)" to its path).
func (m Map) Deleted() bool { return strings.HasSuffix(m.Path, " (deleted)") }

// ReadMaps reads and parses /proc/PID/maps. A process whose main thread called
// pthread_exit shows no maps there (the zombie main thread has no memory of its
// own any more): then a live thread's /proc/PID/task/TID/maps is read.
func ReadMaps(pid int) ([]Map, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, e := range ents {
			if d, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/maps", pid, e.Name())); err == nil && len(d) > 0 {
				data = d
				break
			}
		}
	}
	return ParseMaps(bytes.NewReader(data))
}

// ParseMaps parses text in the format of /proc/PID/maps.
func ParseMaps(r io.Reader) ([]Map, error) {
	var maps []Map
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMapLine(line)
		if err != nil {
			return nil, fmt.Errorf("maps line %d: %v", n, err)
		}
		maps = append(maps, m)
	}
	return maps, sc.Err()
}

// parseMapLine parses "start-end perms offset dev inode   path".
func parseMapLine(line string) (Map, error) {
	var m Map
	var fields [5]string
	rest := line
	for i := range fields {
		rest = strings.TrimLeft(rest, " \t")
		j := strings.IndexAny(rest, " \t")
		if j < 0 {
			j = len(rest)
		}
		fields[i], rest = rest[:j], rest[j:]
	}
	m.Path = strings.TrimLeft(rest, " \t")
	lo, hi, ok := strings.Cut(fields[0], "-")
	if !ok {
		return m, fmt.Errorf("bad address range %q", fields[0])
	}
	var err error
	if m.Start, err = strconv.ParseUint(lo, 16, 64); err != nil {
		return m, fmt.Errorf("bad start address %q", lo)
	}
	if m.End, err = strconv.ParseUint(hi, 16, 64); err != nil {
		return m, fmt.Errorf("bad end address %q", hi)
	}
	if len(fields[1]) != 4 {
		return m, fmt.Errorf("bad permissions %q", fields[1])
	}
	m.Perms = fields[1]
	if m.Offset, err = strconv.ParseUint(fields[2], 16, 64); err != nil {
		return m, fmt.Errorf("bad offset %q", fields[2])
	}
	m.Dev = fields[3]
	if m.Inode, err = strconv.ParseUint(fields[4], 10, 64); err != nil {
		return m, fmt.Errorf("bad inode %q", fields[4])
	}
	return m, nil
}
