package dwarfvars

import (
	"debug/dwarf"
	"errors"
	"fmt"
	"sync"
)

// ErrNoType is the error of a lookup of a type name the program does not
// define.
var ErrNoType = errors.New("no such type")

// Data is the data model of one file's DWARF. It is safe for concurrent
// use.
type Data struct {
	dw  *dwarf.Data
	sec Sections

	mu     sync.Mutex
	types  map[dwarf.Offset]Type   // decoded types, by the offset of their entry
	scopes map[dwarf.Offset]*scope // decoded functions, by the offset of their entry
	// atPC are the frames of FramesAt by pc: a breakpoint's callback asks
	// for the same pc on every hit. At most maxFramesCached pcs.
	atPC map[uint64][]*Frame

	indexOnce sync.Once
	index     *nameIndex
	indexErr  error
}

// New returns the data model of d, with the raw sections s for location
// lists (FromELF reads both from an ELF file). It reads nothing until it is
// asked.
func New(d *dwarf.Data, s Sections) *Data {
	return &Data{dw: d, sec: s, types: map[dwarf.Offset]Type{}, scopes: map[dwarf.Offset]*scope{}, atPC: map[uint64][]*Frame{}}
}

// TypeAt returns the type described by the entry at off.
func (d *Data) TypeAt(off dwarf.Offset) (Type, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.readType(off)
}

// LookupType returns the type with a C name: a tag ("struct order",
// "union number", "enum color"), a typedef ("order_t"), a base type in any
// spelling ("unsigned int", "long unsigned int", "unsigned long"), or any
// of these with qualifiers, pointers and array lengths ("const char *",
// "int[4]", "struct point *[3]", "int (*)[3]"). A type that is only
// declared where it is defined first (an incomplete struct) is the
// definition from another unit, if one exists. An unknown name is an error
// that wraps ErrNoType.
func (d *Data) LookupType(name string) (Type, error) {
	if t, ok, err := d.lookupGoType(name); ok || err != nil {
		return t, err
	}
	spec, err := parseTypeName(name)
	if err != nil {
		return nil, err
	}
	var base Type
	if spec.base == "void" {
		base = &VoidType{}
	} else {
		idx, err := d.names()
		if err != nil {
			return nil, err
		}
		offs := idx.types[spec.base]
		if len(offs) == 0 {
			offs = idx.decls[spec.base]
		}
		if len(offs) == 0 {
			return nil, fmt.Errorf("%w: %q", ErrNoType, spec.base)
		}
		if base, err = d.TypeAt(offs[0]); err != nil {
			return nil, err
		}
	}
	return spec.build(base), nil
}
