package sym

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
)

// debugRoot is where distributions install separate debug files
// (Debian's libc6-dbg, *-dbgsym packages), by build ID.
const debugRoot = "/usr/lib/debug/.build-id"

const ntGNUBuildID = 3 // NT_GNU_BUILD_ID

// buildID returns the GNU build ID of f, or nil.
func buildID(f *elf.File) []byte {
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_NOTE {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for len(data) >= 12 {
			namesz := binary.LittleEndian.Uint32(data)
			descsz := binary.LittleEndian.Uint32(data[4:])
			typ := binary.LittleEndian.Uint32(data[8:])
			nameEnd := 12 + align4(namesz)
			descEnd := nameEnd + align4(descsz)
			if uint64(descEnd) > uint64(len(data)) {
				break
			}
			if typ == ntGNUBuildID && namesz == 4 && string(data[12:15]) == "GNU" {
				return data[nameEnd : nameEnd+int(descsz)]
			}
			data = data[descEnd:]
		}
	}
	return nil
}

func align4(n uint32) int { return int((n + 3) &^ 3) }

// debugFile opens the separate debug file of o, found by build ID, for its
// .symtab (names of static functions that a stripped library lacks). It
// returns nil when there is none; the caller closes the file once it has read
// its symbols (symbols does, at once: nothing else is read from it).
func (o *objFile) debugFile() *elf.File {
	id := buildID(o.f)
	if len(id) < 2 {
		return nil
	}
	h := hex.EncodeToString(id)
	p := filepath.Join(debugRoot, h[:2], h[2:]+".debug")
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	f, err := elf.Open(p)
	if err != nil {
		return nil
	}
	if got := buildID(f); hex.EncodeToString(got) != h {
		f.Close()
		return nil
	}
	return f
}

// hasDWARF reports whether f has DWARF debugging information.
func hasDWARF(f *elf.File) bool {
	return f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil
}

// dwarfFile returns the file that holds o's DWARF: o's own, or its
// separate debug file (kept open, closed with the cache), or nil.
func (o *objFile) dwarfFile() *elf.File {
	if hasDWARF(o.f) {
		return o.f
	}
	o.dbgOnce.Do(func() {
		if f := o.debugFile(); f != nil {
			if hasDWARF(f) {
				o.dbg = f
			} else {
				f.Close()
			}
		}
	})
	return o.dbg
}
