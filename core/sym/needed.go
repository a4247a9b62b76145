package sym

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// The libraries a dynamically linked program needs are known on disk before
// the dynamic linker maps them: the executable's DT_NEEDED entries,
// transitively, and LD_PRELOAD. Names are validated against them at launch,
// so that a misspelled name fails at once instead of waiting for a library
// that brings nothing.

// defaultLibDirs are the directories the x86-64 dynamic linker searches last,
// after its cache (Debian's multiarch directories first).
var defaultLibDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// ldCachePath is the dynamic linker's cache of library names.
const ldCachePath = "/etc/ld.so.cache"

// Needed returns the shared libraries that the executable needs and that are
// not mapped yet: LD_PRELOAD and DT_NEEDED, transitively, found as the
// dynamic linker finds them (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, with
// $ORIGIN; then /etc/ld.so.cache and the default directories), with the
// environment of the process. They have no address yet: Start, End and
// Bias are 0 and Contains is false. A library that cannot be found is left
// out (the dynamic linker will fail to start the program).
func (t *Table) Needed() []*Module {
	exe := t.Exec()
	if exe == nil || exe.obj.dyn == 0 {
		return nil
	}
	loaded := map[string]bool{}
	for _, m := range t.mods {
		loaded[m.Name], loaded[m.Path] = true, true
	}
	env := map[string]string{}
	if t.pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", t.pid)); err == nil {
			for _, kv := range bytes.Split(b, []byte{0}) {
				if k, v, ok := strings.Cut(string(kv), "="); ok {
					env[k] = v
				}
			}
		}
	}
	inodes := map[uint64]bool{}
	for _, m := range t.mods {
		inodes[m.Inode] = m.Inode != 0
	}
	var out []*Module
	for _, p := range neededPaths(t.files, exe.Path, exe.obj, env, loaded) {
		if fi, err := os.Stat(p); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && inodes[st.Ino] {
				continue // mapped under another name (a symbolic link's target)
			}
		}
		obj, err := t.files.open(p)
		if err != nil {
			continue
		}
		out = append(out, &Module{Path: p, Name: path.Base(p), Go: obj.isGo, obj: obj})
	}
	return out
}

// neededPaths walks the dependency graph of the object at exePath breadth
// first, as the dynamic linker loads it, and returns the paths of the
// libraries found that are not in loaded (by name or path).
func neededPaths(files *Files, exePath string, exe *objFile, env map[string]string, loaded map[string]bool) []string {
	libPath := strings.FieldsFunc(env["LD_LIBRARY_PATH"], func(r rune) bool { return r == ':' || r == ';' })
	exeRPath := dynPaths(exe, elf.DT_RPATH, exePath)
	var cache map[string]string // read on first need
	seen := map[string]bool{}
	var out []string
	type item struct {
		obj  *objFile
		path string
	}
	var queue []item
	find := func(name string, from *objFile, fromPath string) string {
		if strings.Contains(name, "/") {
			if isLib(name) {
				return name
			}
			return ""
		}
		var dirs []string
		runPath := dynPaths(from, elf.DT_RUNPATH, fromPath)
		if len(runPath) == 0 {
			dirs = append(dirs, dynPaths(from, elf.DT_RPATH, fromPath)...)
			if from != exe {
				dirs = append(dirs, exeRPath...)
			}
		}
		dirs = append(dirs, libPath...)
		dirs = append(dirs, runPath...)
		for _, d := range dirs {
			if p := filepath.Join(d, name); isLib(p) {
				return p
			}
		}
		if cache == nil {
			cache = readLDCache(ldCachePath)
		}
		if p, ok := cache[name]; ok && isLib(p) {
			return p
		}
		for _, d := range defaultLibDirs {
			if p := filepath.Join(d, name); isLib(p) {
				return p
			}
		}
		return ""
	}
	add := func(name string, from *objFile, fromPath string) {
		if loaded[name] || seen[name] {
			return
		}
		seen[name] = true
		p := find(name, from, fromPath)
		if p == "" || loaded[p] || seen[p] {
			return
		}
		seen[p] = true
		obj, err := files.open(p)
		if err != nil {
			return
		}
		out = append(out, p)
		queue = append(queue, item{obj, p})
	}
	for _, name := range strings.FieldsFunc(env["LD_PRELOAD"], func(r rune) bool { return r == ':' || r == ' ' }) {
		add(name, exe, exePath)
	}
	queue = append(queue, item{exe, exePath})
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		names, _ := it.obj.f.DynString(elf.DT_NEEDED)
		for _, name := range names {
			add(name, it.obj, it.path)
		}
	}
	return out
}

// dynPaths returns the directories of o's DT_RPATH or DT_RUNPATH, with
// $ORIGIN (or ${ORIGIN}) replaced by the directory of o's path.
func dynPaths(o *objFile, tag elf.DynTag, objPath string) []string {
	vals, _ := o.f.DynString(tag)
	origin := filepath.Dir(objPath)
	var dirs []string
	for _, v := range vals {
		for _, d := range strings.Split(v, ":") {
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin)
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// isLib reports whether p is an x86-64 ELF shared object, the only kind the
// dynamic linker accepts (a 32-bit library in the same directory is skipped).
func isLib(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [20]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return false
	}
	return string(h[:4]) == elf.ELFMAG && elf.Class(h[4]) == elf.ELFCLASS64 &&
		elf.Machine(binary.LittleEndian.Uint16(h[18:])) == elf.EM_X86_64
}

// readLDCache reads the x86-64 entries of the dynamic linker's cache, name to
// path, first entry winning as in the dynamic linker. A missing or unreadable
// cache is empty: the default directories still apply.
func readLDCache(file string) map[string]string {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	m, _ := parseLDCache(b)
	return m
}

// ldCacheMagic starts the cache format of glibc 2.32 and later ("new"
// format, possibly after an old-format table in older caches).
const ldCacheMagic = "glibc-ld.so.cache1.1"

// parseLDCache decodes the "new" format of /etc/ld.so.cache: a 48-byte
// header (magic, entry count, string table length, flags, extension offset),
// then 24-byte entries (flags, name and path offsets from the header,
// OS version, hwcap). Only entries flagged x86-64 libc6 are kept.
func parseLDCache(b []byte) (map[string]string, error) {
	i := bytes.Index(b, []byte(ldCacheMagic))
	if i < 0 {
		return nil, errors.New("ld.so.cache: no " + ldCacheMagic + " header")
	}
	hdr := b[i:]
	const hdrLen, entLen = 48, 24
	if len(hdr) < hdrLen {
		return nil, errors.New("ld.so.cache: short header")
	}
	n := int(binary.LittleEndian.Uint32(hdr[20:]))
	if n < 0 || hdrLen+n*entLen > len(hdr) {
		return nil, errors.New("ld.so.cache: entries past the end of the file")
	}
	str := func(off uint32) string {
		if int(off) >= len(hdr) {
			return ""
		}
		s := hdr[off:]
		if j := bytes.IndexByte(s, 0); j >= 0 {
			s = s[:j]
		}
		return string(s)
	}
	const flagELFLibc6, flagX8664Lib64, flagMask = 0x0003, 0x0300, 0xffff
	m := map[string]string{}
	for k := 0; k < n; k++ {
		e := hdr[hdrLen+k*entLen:]
		if binary.LittleEndian.Uint32(e)&flagMask != flagELFLibc6|flagX8664Lib64 {
			continue
		}
		name, p := str(binary.LittleEndian.Uint32(e[4:])), str(binary.LittleEndian.Uint32(e[8:]))
		if _, dup := m[name]; !dup && name != "" && p != "" {
			m[name] = p
		}
	}
	return m, nil
}

// ResolveNeeded resolves s as ResolveSpec does, and when the loaded modules
// do not have it, also over the Needed libraries, which are not mapped yet:
// a location found there has Unloaded set and a link-time Addr. A spec found
// nowhere fails with a *NotFoundError whose suggestions come from the
// loaded and the needed modules.
func (t *Table) ResolveNeeded(s Spec) ([]Location, error) {
	locs, err := t.ResolveSpec(s)
	var nf *NotFoundError
	if err == nil || !errors.As(err, &nf) {
		return locs, err
	}
	needed := t.Needed()
	if len(needed) == 0 {
		return nil, err
	}
	// A view with no memory: nothing is read from the process at the link-time
	// addresses of the needed libraries (an IFUNC there stays Pending).
	view := &Table{files: t.files, pid: t.pid, exe: t.exe, maps: t.maps, mods: append(t.Modules(), needed...)}
	sortModules(view.mods)
	locs, err = view.ResolveSpec(s)
	for i := range locs {
		if m := view.moduleNamed(locs[i].Module); m != nil && !m.mapped() {
			locs[i].Unloaded = true
		}
	}
	return locs, err
}

func (t *Table) moduleNamed(name string) *Module {
	for _, m := range t.mods {
		if m.Name == name {
			return m
		}
	}
	return nil
}
