package dwarfvars

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sections are the raw DWARF sections that debug/dwarf does not decode,
// as the caller read them from the file (decompressed). A missing section
// is nil.
type Sections struct {
	// Info is .debug_info, for the DWARF version of each unit. Without
	// it, a location list is read as DWARF 5 if the file has
	// .debug_loclists and as DWARF 4 otherwise.
	Info     []byte
	Loc      []byte // .debug_loc: DWARF 2 to 4 location lists
	Loclists []byte // .debug_loclists: DWARF 5 location lists
	Addr     []byte // .debug_addr: DWARF 5 indexed addresses
}

// FromELF returns the data model of an ELF file's DWARF. It reads
// .debug_info a second time (for the units' DWARF versions) only when the
// file has both DWARF 4 and DWARF 5 location lists, which is rare.
func FromELF(f *elf.File) (*Data, error) {
	dw, err := f.DWARF()
	if err != nil {
		return nil, err
	}
	var s Sections
	read := func(name string, dst *[]byte) error {
		if sec := f.Section(name); sec != nil && sec.Type != elf.SHT_NOBITS {
			if *dst, err = sec.Data(); err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
		}
		return nil
	}
	for name, dst := range map[string]*[]byte{".debug_loc": &s.Loc, ".debug_loclists": &s.Loclists, ".debug_addr": &s.Addr} {
		if err := read(name, dst); err != nil {
			return nil, err
		}
	}
	if s.Loc != nil && s.Loclists != nil {
		if err := read(".debug_info", &s.Info); err != nil {
			return nil, err
		}
	}
	return New(dw, s), nil
}

// unitVersions maps the offset of each unit's first entry to the unit's
// DWARF version, from the unit headers of .debug_info.
func unitVersions(info []byte) map[dwarf.Offset]int {
	vs := map[dwarf.Offset]int{}
	for off := uint64(0); off+4 <= uint64(len(info)); {
		length, lenSize, offSize := uint64(binary.LittleEndian.Uint32(info[off:])), uint64(4), uint64(4)
		if length == 0xffffffff {
			if off+12 > uint64(len(info)) {
				break
			}
			length, lenSize, offSize = binary.LittleEndian.Uint64(info[off+4:]), 12, 8
		}
		next := off + lenSize + length
		if next <= off || next > uint64(len(info)) || length < 3 {
			break
		}
		version := int(binary.LittleEndian.Uint16(info[off+lenSize:]))
		// v2-4: version, abbrev offset, address size.
		size := lenSize + 2 + offSize + 1
		if version >= 5 {
			// version, unit type, address size, abbrev offset, then a
			// unit id (skeleton and split units) or a type signature
			// and offset (type units).
			switch info[off+lenSize+2] {
			case 0x4, 0x5: // DW_UT_skeleton, DW_UT_split_compile
				size += 1 + 8
			case 0x2, 0x6: // DW_UT_type, DW_UT_split_type
				size += 1 + 8 + offSize
			default:
				size++
			}
		}
		vs[dwarf.Offset(off+size)] = version
		off = next
	}
	return vs
}

// A locEntry is one entry of a location list: the expression that holds
// for link-time addresses [lo, hi).
type locEntry struct {
	lo, hi uint64
	expr   []byte
}

var errBadLocList = errors.New("malformed location list")

// locList decodes the location list that attribute field f of an entry of
// unit u names.
func (d *Data) locList(u *unit, f dwarf.Field) ([]locEntry, error) {
	switch v := f.Val.(type) {
	case int64: // DW_FORM_sec_offset (or DW_FORM_data4/8 in DWARF 2 and 3)
		if u.version >= 5 || u.version == 0 && d.sec.Loclists != nil {
			return d.locLists5(u, uint64(v))
		}
		return d.locLists4(u, uint64(v))
	case uint64: // DW_FORM_loclistx: an index into the unit's offset table
		base := uint64(u.loclistsBase)
		at := base + 4*v
		if at+4 > uint64(len(d.sec.Loclists)) {
			return nil, fmt.Errorf("%w: index %d out of .debug_loclists", errBadLocList, v)
		}
		return d.locLists5(u, base+uint64(binary.LittleEndian.Uint32(d.sec.Loclists[at:])))
	}
	return nil, fmt.Errorf("location list attribute of type %T", f.Val)
}

// locLists4 decodes a .debug_loc list at off.
func (d *Data) locLists4(u *unit, off uint64) ([]locEntry, error) {
	b := d.sec.Loc
	base := u.lowPC
	var es []locEntry
	for {
		if off+16 > uint64(len(b)) {
			return nil, fmt.Errorf("%w at .debug_loc offset %#x", errBadLocList, off)
		}
		lo, hi := binary.LittleEndian.Uint64(b[off:]), binary.LittleEndian.Uint64(b[off+8:])
		off += 16
		switch {
		case lo == 0 && hi == 0:
			return es, nil
		case lo == ^uint64(0):
			base = hi
			continue
		}
		if off+2 > uint64(len(b)) {
			return nil, fmt.Errorf("%w at .debug_loc offset %#x", errBadLocList, off)
		}
		n := uint64(binary.LittleEndian.Uint16(b[off:]))
		off += 2
		if off+n > uint64(len(b)) {
			return nil, fmt.Errorf("%w at .debug_loc offset %#x", errBadLocList, off)
		}
		es = append(es, locEntry{lo: base + lo, hi: base + hi, expr: b[off : off+n]})
		off += n
	}
}

// DW_LLE_* location list entry kinds (DWARF 5, section 7.7.3).
const (
	lleEndOfList    = 0x0
	lleBaseAddressx = 0x1
	lleStartxEndx   = 0x2
	lleStartxLength = 0x3
	lleOffsetPair   = 0x4
	lleDefaultLoc   = 0x5
	lleBaseAddress  = 0x6
	lleStartEnd     = 0x7
	lleStartLength  = 0x8
	defaultLocHi    = ^uint64(0)
)

// locLists5 decodes a .debug_loclists list at off. A default location
// (DW_LLE_default_location) is an entry covering every address, placed
// last.
func (d *Data) locLists5(u *unit, off uint64) ([]locEntry, error) {
	r := &lleReader{b: d.sec.Loclists, off: off}
	base := u.lowPC
	var es []locEntry
	var def *locEntry
	for {
		kind := r.byte()
		var lo, hi uint64
		switch kind {
		case lleEndOfList:
			if r.bad {
				return nil, fmt.Errorf("%w at .debug_loclists offset %#x", errBadLocList, off)
			}
			if def != nil {
				es = append(es, *def)
			}
			return es, nil
		case lleBaseAddressx:
			a, err := d.addrx(u, r.uleb())
			if err != nil {
				return nil, err
			}
			base = a
			continue
		case lleBaseAddress:
			base = r.u64()
			continue
		case lleStartxEndx, lleStartxLength:
			a, err := d.addrx(u, r.uleb())
			if err != nil {
				return nil, err
			}
			lo = a
			if kind == lleStartxEndx {
				if hi, err = d.addrx(u, r.uleb()); err != nil {
					return nil, err
				}
			} else {
				hi = lo + r.uleb()
			}
		case lleOffsetPair:
			lo = base + r.uleb()
			hi = base + r.uleb()
		case lleStartEnd:
			lo, hi = r.u64(), r.u64()
		case lleStartLength:
			lo = r.u64()
			hi = lo + r.uleb()
		case lleDefaultLoc:
			e := locEntry{lo: 0, hi: defaultLocHi, expr: r.block()}
			def = &e
			continue
		default:
			return nil, fmt.Errorf("%w: entry kind %#x at .debug_loclists offset %#x", errBadLocList, kind, off)
		}
		e := locEntry{lo: lo, hi: hi, expr: r.block()}
		if r.bad {
			return nil, fmt.Errorf("%w at .debug_loclists offset %#x", errBadLocList, off)
		}
		es = append(es, e)
	}
}

// addrx returns entry i of the unit's .debug_addr table.
func (d *Data) addrx(u *unit, i uint64) (uint64, error) {
	at := uint64(u.addrBase) + 8*i
	if at+8 > uint64(len(d.sec.Addr)) {
		return 0, fmt.Errorf("%w: address index %d out of .debug_addr", errBadLocList, i)
	}
	return binary.LittleEndian.Uint64(d.sec.Addr[at:]), nil
}

// lleReader reads the fields of location list entries; a read past the
// end sets bad and returns zeros.
type lleReader struct {
	b   []byte
	off uint64
	bad bool
}

func (r *lleReader) byte() byte {
	if r.off >= uint64(len(r.b)) {
		r.bad = true
		return lleEndOfList
	}
	r.off++
	return r.b[r.off-1]
}

func (r *lleReader) u64() uint64 {
	if r.off+8 > uint64(len(r.b)) {
		r.bad = true
		return 0
	}
	r.off += 8
	return binary.LittleEndian.Uint64(r.b[r.off-8:])
}

func (r *lleReader) uleb() uint64 {
	if r.off > uint64(len(r.b)) {
		r.bad = true
		return 0
	}
	v, n, ok := readULEB(r.b[r.off:])
	if !ok {
		r.bad = true
	}
	r.off += uint64(n)
	return v
}

func (r *lleReader) block() []byte {
	n := r.uleb()
	if r.bad || r.off+n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	r.off += n
	return r.b[r.off-n : r.off]
}

// exprAt returns the expression of a location attribute that holds at
// link-time address pc, or false if none does (the value is optimized out
// there).
func (d *Data) exprAt(u *unit, f dwarf.Field, pc uint64) ([]byte, bool, error) {
	if f.Class == dwarf.ClassExprLoc || f.Class == dwarf.ClassBlock {
		b, _ := f.Val.([]byte)
		return b, true, nil
	}
	es, err := d.locList(u, f)
	if err != nil {
		return nil, false, err
	}
	for _, e := range es {
		if e.lo <= pc && pc < e.hi {
			return e.expr, true, nil
		}
	}
	return nil, false, nil
}
