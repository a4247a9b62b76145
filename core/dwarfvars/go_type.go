package dwarfvars

import (
	"cmp"
	"debug/dwarf"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// The Go toolchain's DWARF attributes (cmd/internal/dwarf): a Go type
// entry carries its reflect.Kind, and the types that make up a map, a
// slice or a channel.
const (
	attrGoKind          dwarf.Attr = 0x2900
	attrGoKey           dwarf.Attr = 0x2901
	attrGoElem          dwarf.Attr = 0x2902
	attrGoEmbeddedField dwarf.Attr = 0x2903
	attrGoRuntimeType   dwarf.Attr = 0x2904
)

// reflect.Kind values, as DW_AT_go_kind gives them.
const (
	goKindArray     = 17
	goKindChan      = 18
	goKindFunc      = 19
	goKindInterface = 20
	goKindMap       = 21
	goKindPtr       = 22
	goKindSlice     = 23
	goKindString    = 24
	goKindStruct    = 25
)

// A StringType is Go's string: a pointer to bytes and a length, at the
// offsets the runtime's own DWARF gives (fields str and len).
type StringType struct {
	Name           string
	ByteSize       int64
	PtrOff, LenOff int64
}

// A SliceType is a Go slice: a pointer to the first element, a length and
// a capacity (fields array, len and cap).
type SliceType struct {
	Name                   string
	Elem                   Type
	ByteSize               int64
	PtrOff, LenOff, CapOff int64
}

// A MapType is a Go map: a pointer to the runtime's map header (Header,
// Go 1.24 and later a swiss table, internal/runtime/maps.Map, which DWARF
// names map<K,V>), nil for a nil map.
type MapType struct {
	Name      string
	Key, Elem Type
	Header    Type // the pointer type: *map<K,V>
}

// An InterfaceType is a Go interface: runtime.eface (_type, data) for an
// empty interface, runtime.iface (tab, data) for one with methods.
type InterfaceType struct {
	Name     string
	Empty    bool  // any: the first word is the dynamic type, not an itab
	ByteSize int64 // 16
	TabOff   int64 // of _type or tab
	DataOff  int64
	// ItabType is the type of tab (a pointer to the itab struct) for a
	// non-empty interface, which holds the dynamic type in a field.
	ItabType Type
}

// A ChanType is a Go channel: a pointer to the runtime's hchan (Header,
// *hchan<T>), nil for a nil channel.
type ChanType struct {
	Name   string
	Elem   Type
	Header Type
}

// A GoFuncType is a Go func value: a pointer to a closure whose first
// word is the function's entry address (nil for a nil func).
type GoFuncType struct {
	Name string
	Sig  *FuncType
}

func (*StringType) Kind() Kind          { return String }
func (t *StringType) Size() int64       { return t.ByteSize }
func (t *StringType) String() string    { return t.Name }
func (*SliceType) Kind() Kind           { return Slice }
func (t *SliceType) Size() int64        { return t.ByteSize }
func (t *SliceType) String() string     { return t.Name }
func (*MapType) Kind() Kind             { return Map }
func (*MapType) Size() int64            { return 8 }
func (t *MapType) String() string       { return t.Name }
func (*InterfaceType) Kind() Kind       { return Interface }
func (t *InterfaceType) Size() int64    { return t.ByteSize }
func (t *InterfaceType) String() string { return t.Name }
func (*ChanType) Kind() Kind            { return Chan }
func (*ChanType) Size() int64           { return 8 }
func (t *ChanType) String() string      { return t.Name }
func (*GoFuncType) Kind() Kind          { return Func }
func (*GoFuncType) Size() int64         { return 8 }
func (t *GoFuncType) String() string    { return t.Name }

// IsGo reports whether t is a type of a Go program.
func IsGo(t Type) bool {
	switch u := t.(type) {
	case *StringType, *SliceType, *MapType, *InterfaceType, *ChanType, *GoFuncType:
		return true
	case *PointerType:
		return u.GoName != ""
	case *ArrayType:
		return u.GoName != ""
	case *StructType:
		return u.Go
	case *TypedefType:
		return IsGo(u.Type)
	case *BaseType:
		return goBaseNames[u.Name] || strings.Contains(u.Name, ".") // main.Weekday: no C base type has a dot
	}
	return false
}

// goBaseNames are the names of Go's basic types that no C type has (C's
// fixed-width types are typedefs: int32_t); int and bool print alike in
// both languages.
var goBaseNames = map[string]bool{
	"int8": true, "int16": true, "int32": true, "int64": true, "uint": true, "uint8": true, "uint16": true,
	"uint32": true, "uint64": true, "uintptr": true, "float32": true, "float64": true, "complex64": true,
	"complex128": true,
}

// readGoType decodes a type entry of the Go toolchain, which has a
// DW_AT_go_kind: the Go kinds this package models on their own (string,
// slice, map, interface, chan, func), and the Go names of pointers, arrays
// and structs. It returns nil for an entry it leaves to readType. d.mu
// is held.
func (d *Data) readGoType(r *dwarf.Reader, e *dwarf.Entry, kind int64) (Type, error) {
	name, _ := e.Val(dwarf.AttrName).(string)
	size, _ := e.Val(dwarf.AttrByteSize).(int64)
	switch {
	case kind == goKindString && e.Tag == dwarf.TagStructType:
		st := &StructType{}
		if err := d.readFields(r, e, st); err != nil {
			return nil, err
		}
		t := &StringType{Name: name, ByteSize: size}
		t.PtrOff, t.LenOff = fieldOff(st, "str", 0), fieldOff(st, "len", 8)
		d.types[e.Offset] = t
		return t, nil

	case kind == goKindSlice && e.Tag == dwarf.TagStructType:
		t := &SliceType{Name: name, ByteSize: size}
		d.types[e.Offset] = t
		st := &StructType{}
		if err := d.readFields(r, e, st); err != nil {
			return nil, err
		}
		t.PtrOff, t.LenOff, t.CapOff = fieldOff(st, "array", 0), fieldOff(st, "len", 8), fieldOff(st, "cap", 16)
		elem, err := d.goAttrType(e, attrGoElem)
		if err != nil {
			return nil, err
		}
		if elem == nil { // older toolchains: the element type from the array field
			if f := goField(st, "array"); f != nil {
				if pt, ok := f.Type.(*PointerType); ok {
					elem = pt.Elem
				}
			}
		}
		if elem == nil {
			return nil, fmt.Errorf("slice type %s at %#x has no element type", name, e.Offset)
		}
		t.Elem = elem
		return t, nil

	case kind == goKindMap && e.Tag == dwarf.TagTypedef:
		t := &MapType{Name: name}
		d.types[e.Offset] = t
		var err error
		if t.Header, err = d.typeOf(e); err != nil {
			return nil, err
		}
		if t.Key, err = d.goAttrType(e, attrGoKey); err != nil {
			return nil, err
		}
		if t.Elem, err = d.goAttrType(e, attrGoElem); err != nil {
			return nil, err
		}
		if t.Key == nil || t.Elem == nil {
			return nil, fmt.Errorf("map type %s at %#x has no key or element type", name, e.Offset)
		}
		return t, nil

	case kind == goKindChan && e.Tag == dwarf.TagTypedef:
		t := &ChanType{Name: name}
		d.types[e.Offset] = t
		var err error
		if t.Header, err = d.typeOf(e); err != nil {
			return nil, err
		}
		if t.Elem, err = d.goAttrType(e, attrGoElem); err != nil {
			return nil, err
		}
		return t, nil

	case kind == goKindInterface && e.Tag == dwarf.TagTypedef:
		t := &InterfaceType{Name: name}
		d.types[e.Offset] = t
		target, err := d.typeOf(e)
		if err != nil {
			return nil, err
		}
		st, ok := Underlying(target).(*StructType)
		if !ok {
			return nil, fmt.Errorf("interface type %s at %#x is not a runtime.iface or eface", name, e.Offset)
		}
		t.ByteSize = st.ByteSize
		t.Empty = st.Tag == "runtime.eface"
		tab := goField(st, "tab")
		if t.Empty {
			tab = goField(st, "_type")
		}
		data := goField(st, "data")
		if tab == nil || data == nil {
			return nil, fmt.Errorf("interface type %s at %#x: %s has no tab or data field", name, e.Offset, st.Tag)
		}
		t.TabOff, t.DataOff, t.ItabType = tab.Offset, data.Offset, tab.Type
		return t, nil

	case kind == goKindFunc && e.Tag == dwarf.TagSubroutineType:
		t := &GoFuncType{Name: name, Sig: &FuncType{Prototyped: true}}
		d.types[e.Offset] = t
		var err error
		if t.Sig.Return, err = d.typeOf(e); err != nil {
			return nil, err
		}
		return t, d.readParams(r, e, t.Sig)
	}
	return nil, nil
}

// goAttrType returns the type a Go attribute (DW_AT_go_key, _elem) names,
// or nil when the entry has none.
func (d *Data) goAttrType(e *dwarf.Entry, a dwarf.Attr) (Type, error) {
	off, ok := e.Val(a).(dwarf.Offset)
	if !ok {
		return nil, nil
	}
	return d.readType(off)
}

func goField(st *StructType, name string) *Field {
	for i := range st.Fields {
		if st.Fields[i].Name == name {
			return &st.Fields[i]
		}
	}
	return nil
}

// fieldOff returns the offset of st's field name, or def if it has none.
func fieldOff(st *StructType, name string, def int64) int64 {
	if f := goField(st, name); f != nil {
		return f.Offset
	}
	return def
}

// addGo records a top-level entry of a Go unit: every type by its Go name
// ("main.Order", "*main.Order", "[]string", "map[string]int"). A named
// struct is both a structure entry and a typedef of the same name; the
// typedef is what Go calls the type, so it comes first.
func (idx *nameIndex) addGo(e *dwarf.Entry, name string, decl bool) {
	idx.addGoRuntime(e)
	switch e.Tag {
	case dwarf.TagTypedef:
		idx.goTypes[name] = append([]dwarf.Offset{e.Offset}, idx.goTypes[name]...)
	case dwarf.TagStructType, dwarf.TagBaseType, dwarf.TagPointerType, dwarf.TagArrayType,
		dwarf.TagSubroutineType, dwarf.TagUnspecifiedType:
		if !decl {
			idx.goTypes[name] = append(idx.goTypes[name], e.Offset)
		}
	case dwarf.TagConstant:
		typ, okType := e.Val(dwarf.AttrType).(dwarf.Offset)
		val, okVal := e.Val(dwarf.AttrConstValue).(int64)
		if okType && okVal {
			idx.goConsts[typ] = append(idx.goConsts[typ], Enumerator{Name: name, Value: val})
		}
	}
}

// goConstants returns the constants of the Go integer type named name
// whose entry is at off, sorted by value and named without the type's
// package ("Monday" for main.Monday), as Delve describes values with
// them; nil for a type without constants or without a package (int).
func (d *Data) goConstants(off dwarf.Offset, name string) []Enumerator {
	dot := strings.LastIndex(name, ".")
	if dot < 0 || strings.HasPrefix(name, "C.") {
		return nil
	}
	idx, err := d.names()
	if err != nil || len(idx.goConsts[off]) == 0 {
		return nil
	}
	cs := slices.Clone(idx.goConsts[off])
	slices.SortStableFunc(cs, func(a, b Enumerator) int { return cmp.Compare(a.Value, b.Value) })
	for i := range cs {
		cs[i].Name = strings.TrimPrefix(cs[i].Name, name[:dot+1])
	}
	return cs
}

// describeConst names integer n by the constants of its type as Delve
// does: the constant of that value, or the constants of one bit each
// whose bits make it up (TFlagUncommon|TFlagNamed), or "".
func describeConst(cs []Enumerator, n int64) string {
	for _, c := range cs {
		if c.Value == n {
			return c.Name
		}
	}
	if n == 0 {
		return ""
	}
	var names []string
	for _, c := range cs {
		if bits.OnesCount64(uint64(c.Value)) == 1 && n&c.Value != 0 {
			names = append(names, c.Name)
			n &^= c.Value
		}
	}
	if n != 0 {
		return ""
	}
	return strings.Join(names, "|")
}

// lookupGoType finds a type of a Go unit by its Go name: "main.Order",
// "[]main.Item", "map[string]int", or a pointer to one of them ("*main.Order")
// even where the program never names that pointer type.
func (d *Data) lookupGoType(name string) (Type, bool, error) {
	idx, err := d.names()
	if err != nil {
		return nil, false, err
	}
	if len(idx.goTypes) == 0 {
		return nil, false, nil
	}
	if offs := idx.goTypes[name]; len(offs) > 0 {
		t, err := d.TypeAt(offs[0])
		return t, true, err
	}
	if len(name) > 1 && name[0] == '*' {
		elem, ok, err := d.lookupGoType(name[1:])
		if !ok || err != nil {
			return nil, ok, err
		}
		return &PointerType{Elem: elem, ByteSize: 8, GoName: name}, true, nil
	}
	return nil, false, nil
}

// headerWords returns the offsets of the words of a Go string, slice or
// interface (pointer-sized integers to the ABI), or nil for other types.
func headerWords(t Type) []int64 {
	switch u := t.(type) {
	case *StringType:
		return []int64{u.PtrOff, u.LenOff}
	case *SliceType:
		return []int64{u.PtrOff, u.LenOff, u.CapOff}
	case *InterfaceType:
		return []int64{u.TabOff, u.DataOff}
	}
	return nil
}

// uintptrType is the scalar of each word of a Go string, slice or
// interface, as walkScalars gives them.
var uintptrType = &BaseType{Name: "uintptr", K: Uint, ByteSize: 8, Unsigned: true}

// IsGoProgram reports whether any compilation unit of the file is Go's.
func (d *Data) IsGoProgram() bool {
	idx, err := d.names()
	if err != nil {
		return false
	}
	for _, u := range idx.units {
		if u.lang == langGo {
			return true
		}
	}
	return false
}
