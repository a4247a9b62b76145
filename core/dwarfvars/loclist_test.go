package dwarfvars

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"reflect"
	"testing"

	"stardbg/internal/testtarget"
)

// TestLocLists4 decodes a hand-built .debug_loc list: entries relative to
// the unit's base address, a base address selection entry, the end.
func TestLocLists4(t *testing.T) {
	var b []byte
	b = append(b, 0xff, 0xff) // padding: the list starts at offset 2
	u64 := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	entry := func(lo, hi uint64, expr ...byte) {
		u64(lo)
		u64(hi)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(expr)))
		b = append(b, expr...)
	}
	entry(0x10, 0x20, opReg0+5)
	u64(^uint64(0)) // base address selection
	u64(0x2000)
	entry(0x0, 0x8, opBreg0+7, 8)
	u64(0)
	u64(0)
	d := New(nil, Sections{Loc: b})
	u := &unit{version: 4, lowPC: 0x1000}
	got, err := d.locList(u, dwarf.Field{Attr: dwarf.AttrLocation, Val: int64(2), Class: dwarf.ClassLocListPtr})
	want := []locEntry{{0x1010, 0x1020, []byte{opReg0 + 5}}, {0x2000, 0x2008, []byte{opBreg0 + 7, 8}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	expr, ok, err := d.exprAt(u, dwarf.Field{Val: int64(2), Class: dwarf.ClassLocListPtr}, 0x2004)
	if err != nil || !ok || !reflect.DeepEqual(expr, []byte{opBreg0 + 7, 8}) {
		t.Errorf("exprAt(0x2004) = %v, %v, %v", expr, ok, err)
	}
	if _, ok, err := d.exprAt(u, dwarf.Field{Val: int64(2), Class: dwarf.ClassLocListPtr}, 0x1020); ok || err != nil {
		t.Errorf("exprAt(0x1020) found a location (%v)", err)
	}
	if _, err := d.locList(u, dwarf.Field{Val: int64(len(b) - 4), Class: dwarf.ClassLocListPtr}); err == nil {
		t.Errorf("a truncated list decoded")
	}
}

// TestLocLists5 decodes a hand-built .debug_loclists list with every kind
// of entry, reached by offset and by index (DW_FORM_loclistx).
func TestLocLists5(t *testing.T) {
	addr := binary.LittleEndian.AppendUint64(nil, 0xdead) // .debug_addr: a header stand-in
	addr = binary.LittleEndian.AppendUint64(addr, 0x3000)
	addr = binary.LittleEndian.AppendUint64(addr, 0x3100)
	const addrBase = 8 // entry 0 is 0x3000

	var b []byte
	b = append(b, make([]byte, 12)...) // a header stand-in
	const base = 12                    // DW_AT_loclists_base: the offset table
	b = binary.LittleEndian.AppendUint32(b, 4)
	uleb := func(v uint64) {
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			b = append(b, c)
			return
		}
	}
	expr := func(e ...byte) { uleb(uint64(len(e))); b = append(b, e...) }
	list := uint64(len(b))
	b = append(b, lleOffsetPair) // relative to the unit's low pc
	uleb(0x10)
	uleb(0x20)
	expr(opReg0)
	b = append(b, lleBaseAddressx)
	uleb(0)
	b = append(b, lleOffsetPair)
	uleb(0x4)
	uleb(0x8)
	expr(opReg0 + 1)
	b = append(b, lleStartxEndx)
	uleb(0)
	uleb(1)
	expr(opReg0 + 2)
	b = append(b, lleStartxLength)
	uleb(1)
	uleb(0x10)
	expr(opReg0 + 3)
	b = append(b, lleBaseAddress)
	b = binary.LittleEndian.AppendUint64(b, 0x5000)
	b = append(b, lleOffsetPair)
	uleb(0)
	uleb(2)
	expr(opReg0 + 4)
	b = append(b, lleStartEnd)
	b = binary.LittleEndian.AppendUint64(b, 0x6000)
	b = binary.LittleEndian.AppendUint64(b, 0x6010)
	expr(opReg0 + 5)
	b = append(b, lleStartLength)
	b = binary.LittleEndian.AppendUint64(b, 0x7000)
	uleb(0x300)
	expr(opReg0 + 6)
	b = append(b, lleDefaultLoc)
	expr(opLit0, opStackValue)
	b = append(b, lleEndOfList)
	if list != base+4 {
		t.Fatalf("list at %d, want %d", list, base+4)
	}

	d := New(nil, Sections{Loclists: b, Addr: addr})
	u := &unit{version: 5, lowPC: 0x1000, addrBase: addrBase, loclistsBase: base}
	want := []locEntry{
		{0x1010, 0x1020, []byte{opReg0}},
		{0x3004, 0x3008, []byte{opReg0 + 1}},
		{0x3000, 0x3100, []byte{opReg0 + 2}},
		{0x3100, 0x3110, []byte{opReg0 + 3}},
		{0x5000, 0x5002, []byte{opReg0 + 4}},
		{0x6000, 0x6010, []byte{opReg0 + 5}},
		{0x7000, 0x7300, []byte{opReg0 + 6}},
		{0, ^uint64(0), []byte{opLit0, opStackValue}},
	}
	for _, f := range []dwarf.Field{
		{Attr: dwarf.AttrLocation, Val: int64(list), Class: dwarf.ClassLocListPtr}, // DW_FORM_sec_offset
		{Attr: dwarf.AttrLocation, Val: uint64(0), Class: dwarf.ClassLocList},      // DW_FORM_loclistx 0
	} {
		got, err := d.locList(u, f)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%T: got %+v, %v\nwant %+v", f.Val, got, err, want)
		}
	}
	// An address no bounded entry covers takes the default location.
	expr2, ok, err := d.exprAt(u, dwarf.Field{Val: int64(list), Class: dwarf.ClassLocListPtr}, 0x9000)
	if err != nil || !ok || !reflect.DeepEqual(expr2, []byte{opLit0, opStackValue}) {
		t.Errorf("exprAt(0x9000) = %v, %v, %v", expr2, ok, err)
	}
	if _, err := d.locList(u, dwarf.Field{Val: uint64(5), Class: dwarf.ClassLocList}); err == nil {
		t.Errorf("loclistx 5 (past the offset table) decoded")
	}
}

// TestUnitVersions reads the version of DWARF 4 and 5 unit headers.
func TestUnitVersions(t *testing.T) {
	var info []byte
	// DWARF 4: length, version, abbrev offset, address size; then 3 bytes of entries.
	info = binary.LittleEndian.AppendUint32(info, 2+4+1+3)
	info = binary.LittleEndian.AppendUint16(info, 4)
	info = append(info, 0, 0, 0, 0, 8, 1, 2, 3)
	// DWARF 5 compile unit: length, version, unit type, address size, abbrev offset.
	info = binary.LittleEndian.AppendUint32(info, 2+1+1+4+2)
	info = binary.LittleEndian.AppendUint16(info, 5)
	info = append(info, 0x1, 8, 0, 0, 0, 0, 1, 2)
	got := unitVersions(info)
	want := map[dwarf.Offset]int{11: 4, 14 + 12: 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unitVersions = %v, want %v", got, want)
	}

	// gcc 12 writes DWARF 5: every unit of the corpus says so.
	bin := testtarget.Build(t, "c/typed", testtarget.CO0)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dw, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	infoSec, err := f.Section(".debug_info").Data()
	if err != nil {
		t.Fatal(err)
	}
	d := New(dw, Sections{Info: infoSec})
	idx, err := d.names()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range idx.units {
		if u.version != 5 {
			t.Errorf("unit %s at %#x: version %d, want 5", u.name, u.off, u.version)
		}
	}
}
