package dwarfvars

import (
	"fmt"
)

// Go maps (Go 1.24 and later) are swiss tables (internal/runtime/maps).
// The toolchain describes each map type's structures in DWARF: the header
// map<K,V> (used, dirPtr, dirLen), a directory of *table<K,V> (groups: a
// groupReference<K,V> of data and lengthMask) and the groups,
// map.group[K]V (ctrl, a word of 8 control bytes, and slots, 8 key/elem
// pairs). A map of at most 8 entries has no directory: dirLen is 0 and
// dirPtr points to its one group. A slot is full when the high bit of its
// control byte is clear.

// maxMapTables bounds the directory a map iteration follows.
const maxMapTables = 1 << 20

// A MapEntry is where one entry of a map is: the addresses of its key and
// its element.
type MapEntry struct {
	Key, Elem uint64
}

// goMapLayout is the DWARF layout of one map type's runtime structures.
type goMapLayout struct {
	usedOff, dirPtrOff, dirLenOff int64
	dataOff, maskOff              int64 // in table<K,V>: groups.data and groups.lengthMask
	groupSize, slotsOff           int64
	slotSize, keyOff, elemOff     int64
	keyIndirect, elemIndirect     bool // the slot holds a pointer to a key or element too large to be inline
}

func (t *MapType) layout() (*goMapLayout, error) {
	hdr, ok := Underlying(pointee(t.Header)).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: the map header is not a struct (not a Go 1.24+ swiss map?)", t.Name)
	}
	used, dirPtr, dirLen := goField(hdr, "used"), goField(hdr, "dirPtr"), goField(hdr, "dirLen")
	if used == nil || dirPtr == nil || dirLen == nil {
		return nil, fmt.Errorf("%s: %s has no used, dirPtr or dirLen field (not a Go 1.24+ swiss map)", t.Name, hdr.Tag)
	}
	l := &goMapLayout{usedOff: used.Offset, dirPtrOff: dirPtr.Offset, dirLenOff: dirLen.Offset}
	table, ok := Underlying(pointee(pointee(dirPtr.Type))).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: dirPtr is not a **table", t.Name)
	}
	groups := goField(table, "groups")
	if groups == nil {
		return nil, fmt.Errorf("%s: %s has no groups field", t.Name, table.Tag)
	}
	gref, ok := Underlying(groups.Type).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: %s.groups is not a struct", t.Name, table.Tag)
	}
	data, mask := goField(gref, "data"), goField(gref, "lengthMask")
	if data == nil || mask == nil {
		return nil, fmt.Errorf("%s: %s has no data or lengthMask field", t.Name, gref.Tag)
	}
	l.dataOff, l.maskOff = groups.Offset+data.Offset, groups.Offset+mask.Offset
	group, ok := Underlying(pointee(data.Type)).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: %s.data does not point to a group struct", t.Name, gref.Tag)
	}
	slots := goField(group, "slots")
	if slots == nil || goField(group, "ctrl") == nil {
		return nil, fmt.Errorf("%s: %s has no ctrl or slots field", t.Name, group.Tag)
	}
	arr, ok := Underlying(slots.Type).(*ArrayType)
	if !ok || arr.Len != 8 {
		return nil, fmt.Errorf("%s: %s.slots is not an array of 8 slots", t.Name, group.Tag)
	}
	slot, ok := Underlying(arr.Elem).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: a slot of %s is not a struct", t.Name, group.Tag)
	}
	key, elem := goField(slot, "key"), goField(slot, "elem")
	if key == nil || elem == nil {
		return nil, fmt.Errorf("%s: a slot of %s has no key or elem field", t.Name, group.Tag)
	}
	l.groupSize, l.slotsOff, l.slotSize = group.ByteSize, slots.Offset, slot.ByteSize
	l.keyOff, l.elemOff = key.Offset, elem.Offset
	l.keyIndirect = indirectSlot(key.Type, t.Key)
	l.elemIndirect = indirectSlot(elem.Type, t.Elem)
	return l, nil
}

// indirectSlot reports whether a slot field of type slotT holds a pointer
// to a value of type want (the runtime's indirect keys and elements).
func indirectSlot(slotT, want Type) bool {
	if slotT.Size() == want.Size() {
		return false
	}
	_, isPtr := Underlying(slotT).(*PointerType)
	return isPtr
}

// MapLen returns the number of entries of a map held in b (0 for nil).
func (g *GoReader) MapLen(t *MapType, b []byte) (int64, error) {
	m := word(b, 0)
	if m == 0 {
		return 0, nil
	}
	l, err := t.layout()
	if err != nil {
		return 0, err
	}
	n, err := g.word(m + uint64(l.usedOff))
	return int64(n), err
}

// MapEntries calls f with each entry of a map held in b, in the order of
// its tables and groups, until f returns false.
func (g *GoReader) MapEntries(t *MapType, b []byte, f func(MapEntry) (bool, error)) error {
	m := word(b, 0)
	if m == 0 {
		return nil
	}
	l, err := t.layout()
	if err != nil {
		return err
	}
	dirPtr, err := g.word(m + uint64(l.dirPtrOff))
	if err != nil {
		return err
	}
	dirLen, err := g.word(m + uint64(l.dirLenOff))
	if err != nil {
		return err
	}
	if dirPtr == 0 {
		return nil
	}
	if dirLen == 0 {
		_, err := g.group(l, dirPtr, f)
		return err
	}
	if dirLen > maxMapTables {
		return fmt.Errorf("%s: directory of %d tables is not plausible", t.Name, dirLen)
	}
	dir := make([]byte, 8*dirLen)
	if err := g.Ctx.ReadMem(dirPtr, dir); err != nil {
		return err
	}
	seen := map[uint64]bool{}
	for i := uint64(0); i < dirLen; i++ {
		tab := word(dir, int64(8*i))
		if tab == 0 || seen[tab] {
			continue // a table of lower depth appears once per directory entry it covers
		}
		seen[tab] = true
		data, err := g.word(tab + uint64(l.dataOff))
		if err != nil {
			return err
		}
		mask, err := g.word(tab + uint64(l.maskOff))
		if err != nil {
			return err
		}
		if mask >= maxMapTables*8 {
			return fmt.Errorf("%s: a table of %d groups is not plausible", t.Name, mask+1)
		}
		for gi := uint64(0); gi <= mask; gi++ {
			more, err := g.group(l, data+gi*uint64(l.groupSize), f)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// group calls f with the full slots of the group at addr.
func (g *GoReader) group(l *goMapLayout, addr uint64, f func(MapEntry) (bool, error)) (bool, error) {
	ctrl, err := g.word(addr)
	if err != nil {
		return false, err
	}
	for i := uint64(0); i < 8; i++ {
		if (ctrl>>(8*i))&0x80 != 0 {
			continue // empty or deleted
		}
		slot := addr + uint64(l.slotsOff) + i*uint64(l.slotSize)
		e := MapEntry{Key: slot + uint64(l.keyOff), Elem: slot + uint64(l.elemOff)}
		if l.keyIndirect {
			if e.Key, err = g.word(e.Key); err != nil {
				return false, err
			}
		}
		if l.elemIndirect {
			if e.Elem, err = g.word(e.Elem); err != nil {
				return false, err
			}
		}
		more, err := f(e)
		if err != nil || !more {
			return more, err
		}
	}
	return true, nil
}
