package sym

import (
	"debug/elf"
	"sort"
	"strings"
)

// A SymKind says what an ELF symbol names.
type SymKind uint8

const (
	SymFunc   SymKind = iota // code: STT_FUNC, or STT_NOTYPE in an executable section
	SymIFunc                 // a GNU indirect function (STT_GNU_IFUNC): its value is the resolver
	SymObject                // data: STT_OBJECT, STT_TLS, STT_COMMON
)

func (k SymKind) String() string {
	switch k {
	case SymFunc:
		return "func"
	case SymIFunc:
		return "ifunc"
	case SymObject:
		return "object"
	}
	return "?"
}

// elfSym is one defined symbol of a file, at its link-time address.
type elfSym struct {
	name  string
	value uint64
	size  uint64
	limit uint64 // end of the code it covers: value+size, or its section's end when size is 0
	kind  SymKind
	bind  elf.SymBind
	notyp bool   // STT_NOTYPE
	file  string // for a local symbol, the STT_FILE before it in .symtab
}

// symTable is the symbols of one file: by name, and code by address.
type symTable struct {
	syms   []elfSym
	byName map[string][]int32 // indexes into syms
	text   []int32            // code symbols, one per address (the preferred alias), by address
	data   []int32            // data symbols with a size, by address
}

// symbols returns the file's symbol table, with those of its separate debug
// file if it has one, parsing them on first use.
func (o *objFile) symbols() *symTable {
	o.symsOnce.Do(func() {
		dbg := o.debugFile()
		o.syms = parseSyms(o.f, dbg)
		if dbg != nil {
			dbg.Close()
		}
	})
	return o.syms
}

// parseSyms reads the symbols of f, and those of its separate debug file
// dbg (which may be nil).
func parseSyms(f, dbg *elf.File) *symTable {
	t := &symTable{byName: map[string][]int32{}}
	type key struct {
		name  string
		value uint64
	}
	seen := map[key]bool{}
	add := func(list []elf.Symbol, sections []*elf.Section, withFiles bool) {
		file := ""
		for _, s := range list {
			typ := elf.ST_TYPE(s.Info)
			bind := elf.ST_BIND(s.Info)
			if typ == elf.STT_FILE {
				file = s.Name
				continue
			}
			if bind != elf.STB_LOCAL {
				file = ""
			}
			if s.Name == "" || s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE && s.Section != elf.SHN_ABS {
				continue
			}
			var sec *elf.Section
			if int(s.Section) < len(sections) {
				sec = sections[s.Section]
			}
			e := elfSym{name: s.Name, value: s.Value, size: s.Size, bind: bind}
			code := sec != nil && sec.Flags&elf.SHF_EXECINSTR != 0
			switch typ {
			case elf.STT_FUNC:
				e.kind = SymFunc
			case elf.STT_GNU_IFUNC:
				e.kind = SymIFunc
			case elf.STT_OBJECT, elf.STT_COMMON:
				e.kind = SymObject
			case elf.STT_NOTYPE:
				if !code || strings.HasPrefix(s.Name, ".L") {
					continue
				}
				e.kind, e.notyp = SymFunc, true
			default:
				continue
			}
			e.limit = e.value + e.size
			if e.size == 0 && sec != nil {
				e.limit = sec.Addr + sec.Size
			}
			if withFiles && bind == elf.STB_LOCAL {
				e.file = file
			}
			k := key{e.name, e.value}
			if seen[k] {
				continue
			}
			seen[k] = true
			t.syms = append(t.syms, e)
		}
	}
	if syms, err := f.Symbols(); err == nil {
		add(syms, f.Sections, true)
	}
	if dbg != nil {
		if syms, err := dbg.Symbols(); err == nil {
			add(syms, dbg.Sections, true)
		}
	}
	if syms, err := f.DynamicSymbols(); err == nil {
		add(syms, f.Sections, false)
	}
	for i, s := range t.syms {
		t.byName[s.name] = append(t.byName[s.name], int32(i))
		if s.kind != SymObject {
			t.text = append(t.text, int32(i))
		} else if s.size > 0 {
			t.data = append(t.data, int32(i))
		}
	}
	sort.SliceStable(t.text, func(i, j int) bool {
		a, b := &t.syms[t.text[i]], &t.syms[t.text[j]]
		if a.value != b.value {
			return a.value < b.value
		}
		return preferSym(a, b)
	})
	// Keep one symbol per address: the preferred alias.
	out := t.text[:0]
	for i, x := range t.text {
		if i > 0 && t.syms[x].value == t.syms[out[len(out)-1]].value {
			continue
		}
		out = append(out, x)
	}
	t.text = out
	sort.SliceStable(t.data, func(i, j int) bool {
		a, b := &t.syms[t.data[i]], &t.syms[t.data[j]]
		if a.value != b.value {
			return a.value < b.value
		}
		return preferSym(a, b)
	})
	return t
}

// preferSym orders aliases at one address: sized before unsized, typed
// before STT_NOTYPE, global before weak before local, fewer leading
// underscores, then shorter and alphabetical names.
func preferSym(a, b *elfSym) bool {
	if (a.size > 0) != (b.size > 0) {
		return a.size > 0
	}
	if a.notyp != b.notyp {
		return !a.notyp
	}
	if ra, rb := bindRank(a.bind), bindRank(b.bind); ra != rb {
		return ra < rb
	}
	ua, ub := len(a.name)-len(strings.TrimLeft(a.name, "_")), len(b.name)-len(strings.TrimLeft(b.name, "_"))
	if ua != ub {
		return ua < ub
	}
	if len(a.name) != len(b.name) {
		return len(a.name) < len(b.name)
	}
	return a.name < b.name
}

func bindRank(b elf.SymBind) int {
	switch b {
	case elf.STB_GLOBAL:
		return 0
	case elf.STB_WEAK:
		return 1
	}
	return 2
}

// lookupAddr returns the code symbol covering link-time address addr.
func (t *symTable) lookupAddr(addr uint64) (*elfSym, bool) {
	i := sort.Search(len(t.text), func(i int) bool { return t.syms[t.text[i]].value > addr }) - 1
	if i < 0 {
		return nil, false
	}
	s := &t.syms[t.text[i]]
	if addr >= s.limit && !(s.size == 0 && s.limit == s.value) {
		return nil, false
	}
	return s, true
}

// lookupData returns the data symbol covering link-time address addr.
func (t *symTable) lookupData(addr uint64) (*elfSym, bool) {
	i := sort.Search(len(t.data), func(i int) bool { return t.syms[t.data[i]].value > addr }) - 1
	// Aliases share an address: the first of them is the preferred one.
	for i > 0 && t.syms[t.data[i-1]].value == t.syms[t.data[i]].value {
		i--
	}
	if i < 0 || addr >= t.syms[t.data[i]].limit {
		return nil, false
	}
	return &t.syms[t.data[i]], true
}

// lookupName returns the symbols called name (code and data).
func (t *symTable) lookupName(name string) []*elfSym {
	idx := t.byName[name]
	out := make([]*elfSym, len(idx))
	for i, x := range idx {
		out[i] = &t.syms[x]
	}
	return out
}
