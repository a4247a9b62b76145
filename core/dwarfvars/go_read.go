package dwarfvars

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
)

// A GoReader reads what Go values refer to in a program's memory: the
// bytes of strings, the elements of slices, the entries of maps, the
// dynamic values of interfaces, the lengths of channels and the functions
// of func values. Every layout comes from the program's own DWARF (the
// runtime's structures as the toolchain describes them), none from this
// package. It is meant for one stop: it caches what it learns about the
// program's memory (where the runtime's type descriptors are).
type GoReader struct {
	Data *Data
	Ctx  Context // ReadMem serves every read
	Bias uint64  // the module's load bias

	typesBase   uint64 // runtime.firstmoduledata.types
	typesBaseOK bool
}

func (g *GoReader) word(addr uint64) (uint64, error) {
	var b [8]byte
	if err := g.Ctx.ReadMem(addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func word(b []byte, off int64) uint64 {
	if off < 0 || off+8 > int64(len(b)) {
		return 0
	}
	return binary.LittleEndian.Uint64(b[off:])
}

// StringHeader returns the data pointer and length of a string held in b.
func StringHeader(t *StringType, b []byte) (ptr uint64, n int64) {
	return word(b, t.PtrOff), int64(word(b, t.LenOff))
}

// SliceHeader returns the data pointer, length and capacity of a slice
// held in b.
func SliceHeader(t *SliceType, b []byte) (ptr uint64, n, c int64) {
	return word(b, t.PtrOff), int64(word(b, t.LenOff)), int64(word(b, t.CapOff))
}

// String reads the text of a string held in b, at most max bytes (max < 0
// reads it all), and returns it with the string's full length.
func (g *GoReader) String(t *StringType, b []byte, max int64) (string, int64, error) {
	ptr, n := StringHeader(t, b)
	if n < 0 || n > 1<<30 {
		return "", n, fmt.Errorf("string length %d is not plausible", n)
	}
	m := n
	if max >= 0 && m > max {
		m = max
	}
	if m == 0 {
		return "", n, nil
	}
	buf := make([]byte, m)
	if err := g.Ctx.ReadMem(ptr, buf); err != nil {
		return "", n, err
	}
	return string(buf), n, nil
}

// ChanLenCap returns the number of elements queued in a channel and its
// capacity (hchan's qcount and dataqsiz); a nil channel is 0, 0.
func (g *GoReader) ChanLenCap(t *ChanType, b []byte) (n, c int64, err error) {
	h, err := g.hchan(t, b, "qcount", "dataqsiz")
	if err != nil || h == nil {
		return 0, 0, err
	}
	return int64(h[0]), int64(h[1]), nil
}

// hchan reads the named fields of the hchan of a channel held in b, or
// returns nil for a nil channel.
func (g *GoReader) hchan(t *ChanType, b []byte, names ...string) ([]uint64, error) {
	ptr := word(b, 0)
	if ptr == 0 {
		return nil, nil
	}
	hdr, ok := Underlying(pointee(t.Header)).(*StructType)
	if !ok {
		return nil, fmt.Errorf("%s: its runtime header is not a struct", t.Name)
	}
	vals := make([]uint64, len(names))
	for k, name := range names {
		f := goField(hdr, name)
		if f == nil {
			return nil, fmt.Errorf("%s: %s has no %s field", t.Name, hdr.Tag, name)
		}
		n := f.Type.Size()
		if n <= 0 || n > 8 {
			return nil, fmt.Errorf("%s: %s.%s has size %d", t.Name, hdr.Tag, name, n)
		}
		var w [8]byte
		if err := g.Ctx.ReadMem(ptr+uint64(f.Offset), w[:n]); err != nil {
			return nil, err
		}
		vals[k] = binary.LittleEndian.Uint64(w[:])
	}
	return vals, nil
}

// pointee returns what pointer type t points to, or nil.
func pointee(t Type) Type {
	if p, ok := Underlying(t).(*PointerType); ok {
		return p.Elem
	}
	return nil
}

// FuncEntry returns the entry address of the function a func value held
// in b calls (the first word of its closure), 0 for a nil func.
func (g *GoReader) FuncEntry(b []byte) (uint64, error) {
	fv := word(b, 0)
	if fv == 0 {
		return 0, nil
	}
	return g.word(fv)
}

// Dynamic returns the dynamic type of an interface held in b and the
// address of the value it holds, or a nil Type for a nil interface. A
// value the runtime stores in the interface word itself (a pointer, map,
// chan, func, or a struct or array of one of these) has addr 0 and its
// bytes in direct.
func (g *GoReader) Dynamic(t *InterfaceType, b []byte) (dyn Type, addr uint64, direct []byte, err error) {
	tab := word(b, t.TabOff)
	data := word(b, t.DataOff)
	if tab == 0 {
		return nil, 0, nil, nil
	}
	rtype := tab
	if !t.Empty {
		itab, ok := Underlying(pointee(t.ItabType)).(*StructType)
		if !ok {
			return nil, 0, nil, fmt.Errorf("%s: its itab type is not a struct", t.Name)
		}
		f := goField(itab, "Type")
		if f == nil {
			f = goField(itab, "_type")
		}
		if f == nil {
			return nil, 0, nil, fmt.Errorf("%s: %s has no Type field", t.Name, itab.Tag)
		}
		if rtype, err = g.word(tab + uint64(f.Offset)); err != nil {
			return nil, 0, nil, err
		}
	}
	dyn, err = g.RuntimeType(rtype)
	if err != nil {
		return nil, 0, nil, err
	}
	if directIface(dyn) {
		return dyn, 0, binary.LittleEndian.AppendUint64(nil, data)[:max(dyn.Size(), 0)], nil
	}
	return dyn, data, nil, nil
}

// directIface reports whether the runtime stores a value of type t in an
// interface's data word itself rather than behind a pointer: pointer-shaped
// types, and structs and arrays of exactly one pointer-shaped element.
func directIface(t Type) bool {
	switch u := Underlying(t).(type) {
	case *PointerType, *MapType, *ChanType, *GoFuncType:
		return true
	case *StructType:
		return len(u.Fields) == 1 && u.ByteSize == 8 && directIface(u.Fields[0].Type)
	case *ArrayType:
		return u.Len == 1 && directIface(u.Elem)
	case *BaseType:
		return u.Name == "unsafe.Pointer"
	}
	return false
}

// RuntimeType returns the DWARF type of the runtime type descriptor at
// addr (an *abi.Type, as interfaces hold them): the type whose
// DW_AT_go_runtime_type is addr's offset from the module's types section.
func (g *GoReader) RuntimeType(addr uint64) (Type, error) {
	if g.Data == nil {
		return nil, fmt.Errorf("no DWARF to name the runtime type at %#x", addr)
	}
	base, err := g.moduleTypes()
	if err != nil {
		return nil, err
	}
	idx, err := g.Data.names()
	if err != nil {
		return nil, err
	}
	off, ok := idx.goRuntime[addr-base]
	if !ok {
		return nil, fmt.Errorf("no DWARF type for the runtime type at %#x", addr)
	}
	return g.Data.TypeAt(off)
}

// moduleTypes returns runtime.firstmoduledata.types, the start of the
// executable's type descriptors.
func (g *GoReader) moduleTypes() (uint64, error) {
	if g.typesBaseOK {
		return g.typesBase, nil
	}
	vs, err := g.Data.Globals("runtime.firstmoduledata")
	if err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, fmt.Errorf("the program has no runtime.firstmoduledata")
	}
	st, ok := Underlying(vs[0].Type).(*StructType)
	if !ok {
		return 0, fmt.Errorf("runtime.firstmoduledata is not a struct")
	}
	f := goField(st, "types")
	if f == nil {
		return 0, fmt.Errorf("runtime.moduledata has no types field")
	}
	loc, err := g.Data.Location(vs[0], nil, 0, Env{Ctx: g.Ctx, Bias: g.Bias})
	if err != nil {
		return 0, err
	}
	addr, ok := loc.Addr()
	if !ok {
		return 0, fmt.Errorf("runtime.firstmoduledata is not in memory")
	}
	if g.typesBase, err = g.word(addr + uint64(f.Offset)); err != nil {
		return 0, err
	}
	g.typesBaseOK = true
	return g.typesBase, nil
}

// addGoRuntime records a Go type entry's DW_AT_go_runtime_type.
func (idx *nameIndex) addGoRuntime(e *dwarf.Entry) {
	var off uint64
	switch v := e.Val(attrGoRuntimeType).(type) {
	case uint64:
		off = v
	case int64:
		off = uint64(v)
	}
	if off != 0 {
		if _, dup := idx.goRuntime[off]; !dup {
			idx.goRuntime[off] = e.Offset
		}
	}
}

// ChanElem returns the address of the i-th element queued in a channel
// held in b (0 when i is out of range) and how many are queued.
func (g *GoReader) ChanElem(t *ChanType, b []byte, i int64) (uint64, int64, error) {
	h, err := g.hchan(t, b, "qcount", "dataqsiz", "buf", "recvx")
	if err != nil || h == nil {
		return 0, 0, err
	}
	qcount, size, buf, recvx := h[0], h[1], h[2], h[3]
	if i < 0 || uint64(i) >= qcount || size == 0 {
		return 0, int64(qcount), nil
	}
	es := t.Elem.Size()
	return buf + ((recvx+uint64(i))%size)*uint64(max(es, 0)), int64(qcount), nil
}
