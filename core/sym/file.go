package sym

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// An objFile is one parsed ELF file. Its tables load on first use, once,
// and it is shared by every Table that maps the same file.
type objFile struct {
	path   string
	f      *elf.File
	loads  []*elf.Prog // PT_LOAD segments in file order
	interp string      // PT_INTERP, for an executable
	dyn    uint64      // link-time address of PT_DYNAMIC, or 0
	isGo   bool        // has .gopclntab

	symsOnce sync.Once
	syms     *symTable

	linesOnce sync.Once
	lines     *lineTable // nil without DWARF line tables
	linesErr  error

	goOnce sync.Once
	gotab  *goTable // nil unless isGo
	goErr  error

	cfiOnce sync.Once
	cfi     *cfiTable

	relOnce sync.Once
	rels    *relocs

	pltOnce sync.Once
	plt     []pltStub

	dbgOnce sync.Once
	dbg     *elf.File // the separate debug file that holds the DWARF, if the file has none

	setupMu  sync.Mutex
	setupEnd map[uint64]uint64 // frameSetupEnd by function entry
}

// fileKey identifies the contents of a file, whatever path reaches it.
type fileKey struct {
	dev, ino    uint64
	mtime, size int64
}

// Files is a cache of parsed ELF files, shared by the Tables made with it: a
// file is parsed once per identity (device, inode, modification time and
// size), whatever path reaches it. It owns the files it opened: Close closes
// them, and its Tables must not be used after that. It is safe for
// concurrent use.
type Files struct {
	mu     sync.Mutex
	files  map[fileKey]*objFile
	bad    map[fileKey]error
	closed bool
}

// NewFiles returns an empty cache.
func NewFiles() *Files {
	return &Files{files: map[fileKey]*objFile{}, bad: map[fileKey]error{}}
}

// Close closes every file of the cache and empties it. It returns the first
// error of a close.
func (c *Files) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, o := range c.files {
		if err := o.f.Close(); err != nil && first == nil {
			first = err
		}
		if o.dbg != nil {
			if err := o.dbg.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	c.files, c.bad, c.closed = map[fileKey]*objFile{}, map[fileKey]error{}, true
	return first
}

// open returns the parsed file at path, from the cache when the same file
// was parsed before.
func (c *Files) open(path string) (*objFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%s: no inode information", path)
	}
	key := fileKey{dev: st.Dev, ino: st.Ino, mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if o := c.files[key]; o != nil {
		return o, nil
	}
	if err := c.bad[key]; err != nil {
		return nil, err
	}
	f, err := elf.Open(path)
	if err != nil {
		c.bad[key] = err
		return nil, err
	}
	o, err := newObjFile(f, path)
	if err != nil {
		f.Close()
		c.bad[key] = err
		return nil, err
	}
	c.files[key] = o
	return o, nil
}

// readObjFile parses an ELF image that is not a file on disk, such as the
// vDSO read from process memory. The result is not cached.
func readObjFile(r io.ReaderAt, name string) (*objFile, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	return newObjFile(f, name)
}

func newObjFile(f *elf.File, path string) (*objFile, error) {
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("%s: not an x86-64 ELF file (%v %v)", path, f.Class, f.Machine)
	}
	o := &objFile{path: path, f: f}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			o.loads = append(o.loads, p)
		case elf.PT_DYNAMIC:
			o.dyn = p.Vaddr
		case elf.PT_INTERP:
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				for len(b) > 0 && b[len(b)-1] == 0 {
					b = b[:len(b)-1]
				}
				o.interp = string(b)
			}
		}
	}
	if len(o.loads) == 0 {
		return nil, fmt.Errorf("%s: no loadable segments", path)
	}
	o.isGo = f.Section(".gopclntab") != nil
	return o, nil
}

// bias returns the load bias (runtime address minus link-time address)
// implied by m, a mapping of this file.
func (o *objFile) bias(m Map) uint64 {
	const page = 4096
	seg := o.loads[0]
	for _, p := range o.loads {
		if p.Off&^(page-1) == m.Offset {
			seg = p
			break
		}
	}
	return m.Start - m.Offset - (seg.Vaddr - seg.Off)
}

// linkRange returns the lowest and highest link-time addresses of the
// loadable segments.
func (o *objFile) linkRange() (lo, hi uint64) {
	lo = ^uint64(0)
	for _, p := range o.loads {
		lo = min(lo, p.Vaddr)
		hi = max(hi, p.Vaddr+p.Memsz)
	}
	return lo, hi
}

// readLink reads len(b) bytes at link-time address addr from the file
// image (not from memory), failing for bytes past a segment's file size.
func (o *objFile) readLink(addr uint64, b []byte) error {
	for _, p := range o.loads {
		if p.Vaddr <= addr && addr+uint64(len(b)) <= p.Vaddr+p.Filesz {
			_, err := p.ReadAt(b, int64(addr-p.Vaddr))
			return err
		}
	}
	return fmt.Errorf("%s: address %#x is not in the file image", o.path, addr)
}
