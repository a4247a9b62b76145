package builtins

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"stardbg/core"
	"stardbg/core/dwarfvars"
	"stardbg/core/sym"
)

// Value is an object of the program with its type (Starlark type
// "value"): a variable, a member or element of one, or what a pointer
// points to. It reads the program when asked, so it shows the object as
// it is at that moment. Arrays are *arrayValue, which adds len() and
// iteration.
type Value struct {
	name  string
	typ   dwarfvars.Type
	loc   dwarfvars.Location
	ctx   *core.DataContext
	data  *dwarfvars.Data // the module's data model, for type names in cast
	proc  *Process
	where string // "typed.c:131" for messages, or ""
	// bitSize and bitOffset describe a bitfield: bitSize bits starting
	// bitOffset bits into the bytes at loc.
	bitSize, bitOffset int64
	bound              map[string]*starlark.Builtin
}

// arrayValue is a Value of array type.
type arrayValue struct{ *Value }

var (
	_ starlark.HasAttrs    = (*Value)(nil)
	_ starlark.HasSetField = (*Value)(nil)
	_ starlark.Mapping     = (*Value)(nil)
	_ starlark.HasSetKey   = (*Value)(nil)
	_ starlark.Comparable  = (*Value)(nil)
	_ starlark.Indexable   = (*arrayValue)(nil)
	_ starlark.Sequence    = (*arrayValue)(nil)
	_ starlark.HasSetIndex = (*arrayValue)(nil)
)

func newValue(name string, t dwarfvars.Type, loc dwarfvars.Location, ctx *core.DataContext, data *dwarfvars.Data, p *Process, where string) *Value {
	return &Value{name: name, typ: t, loc: loc, ctx: ctx, data: data, proc: p, where: where}
}

// starlark returns v as the Starlark value of its kind.
func (v *Value) starlark() starlark.Value {
	if w := v.goStarlark(); w != nil {
		return w
	}
	if _, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.ArrayType); ok {
		return &arrayValue{v}
	}
	return v
}

func (v *Value) boundMethods() *map[string]*starlark.Builtin { return &v.bound }

func (v *Value) Type() string         { return "value" }
func (v *Value) Freeze()              {}
func (v *Value) Truth() starlark.Bool { return true }
func (v *Value) Hash() (uint32, error) {
	return 0, fmt.Errorf("unhashable: value")
}

// CompareSameType compares two values by their plain value (==, !=).
func (v *Value) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	w := valueOf(y)
	a, err := v.plain("value")
	if err != nil {
		return false, err
	}
	b, err := w.plain("value")
	if err != nil {
		return false, err
	}
	return starlark.CompareDepth(op, a, b, depth)
}

func (v *Value) Attr(name string) (starlark.Value, error) {
	if f, ok := valueFields[name]; ok {
		return f.get(v)
	}
	if m, err := getAttr(v, nil, valueMethods, name); m != nil || err != nil {
		return m, err
	}
	if _, ok := v.structType(); ok {
		w, err := v.member(name, "value")
		if err != nil {
			return nil, err
		}
		return w.starlark(), nil
	}
	return nil, nil
}

// AttrNames lists the fields and methods, and the members of a struct.
func (v *Value) AttrNames() []string {
	all := attrNames(valueFields, valueMethods)
	names := all[:0]
	for _, n := range all {
		if applies, goName := goOnly[n]; !goName || applies(dwarfvars.Underlying(v.typ)) {
			names = append(names, n)
		}
	}
	if st, ok := v.structType(); ok {
		if st.Go {
			names = append(names, goFieldNames(st)...)
		} else {
			for _, f := range allFields(st) {
				names = append(names, f.Name)
			}
		}
		sort.Strings(names)
	}
	return names
}

// at is " at typed.c:131", or "".
func (v *Value) at() string {
	if v.where == "" {
		return ""
	}
	return " at " + v.where
}

// String is the value as gdb's print shows it.
func (v *Value) String() string {
	if v.loc.OptimizedOut() {
		return "<optimized out>"
	}
	if dwarfvars.IsGo(v.typ) {
		return v.goString()
	}
	pr := dwarfvars.Printer{ReadMem: v.ctx.ReadMem, Symbol: v.proc.symbolName}
	addr, inMem := v.loc.Addr()
	if v.typ.Size() < 0 && inMem {
		return pr.Format(v.typ, nil, addr) // an array of unknown length: its address and text
	}
	b, err := v.read("value")
	if errors.Is(err, dwarfvars.ErrOptimizedOut) {
		return "<optimized out>"
	}
	if err != nil {
		return fmt.Sprintf("<error: %v>", err)
	}
	if v.bitSize != 0 {
		return pr.Format(v.typ, b, 0)
	}
	return pr.Format(v.typ, b, addr)
}

// symbolName names a code address for the printer: "add" or "add+4".
func (p *Process) symbolName(addr uint64) string {
	tab, err := p.p.Symbols()
	if err != nil {
		return ""
	}
	s := tab.PCToFunc(addr)
	if s == nil {
		return ""
	}
	if s.Offset != 0 {
		return fmt.Sprintf("%s+%d", s.Name, s.Offset)
	}
	return s.Name
}

// read returns the object's bytes (for a bitfield, its value as an
// 8-byte integer, sign-extended for a signed type). op names the builtin
// in errors.
func (v *Value) read(op string) ([]byte, error) {
	if v.loc.OptimizedOut() {
		return nil, fmt.Errorf("%s: %q is optimized out%s", op, v.name, v.at())
	}
	n := v.typ.Size()
	if v.bitSize != 0 {
		n = (v.bitOffset + v.bitSize + 7) / 8
	}
	if n < 0 {
		return nil, fmt.Errorf("%s: %q has type %s, which has no size", op, v.name, v.typ)
	}
	b, err := dwarfvars.ReadBytes(v.loc, n, v.ctx)
	if errors.Is(err, dwarfvars.ErrOptimizedOut) {
		return nil, fmt.Errorf("%s: %q is optimized out%s", op, v.name, v.at())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading %q: %w", op, v.name, err)
	}
	if v.bitSize != 0 {
		var w [8]byte
		copy(w[:], b)
		x := binary.LittleEndian.Uint64(w[:]) >> uint(v.bitOffset)
		if v.bitSize < 64 {
			x &= 1<<uint(v.bitSize) - 1
			if isSigned(v.typ) && x&(1<<uint(v.bitSize-1)) != 0 {
				x |= ^uint64(0) << uint(v.bitSize)
			}
		}
		out := binary.LittleEndian.AppendUint64(nil, x)
		if s := v.typ.Size(); s > 0 && s < 8 {
			out = out[:s]
		}
		return out, nil
	}
	return b, nil
}

// sub returns the object of type t at byte offset off in v, named name.
func (v *Value) sub(name string, t dwarfvars.Type, off int64, op string) (*Value, error) {
	w := &Value{name: name, typ: t, ctx: v.ctx, data: v.data, proc: v.proc, where: v.where}
	if addr, ok := v.loc.Addr(); ok {
		w.loc = dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.InMemory, Addr: addr + uint64(off)}}}
		return w, nil
	}
	if len(v.loc.Pieces) == 1 && v.loc.Pieces[0].Kind == dwarfvars.InRegister && off == 0 {
		w.loc = v.loc
		return w, nil
	}
	b, err := v.read(op)
	if err != nil {
		return nil, err
	}
	size := t.Size()
	if size < 0 || off+size > int64(len(b)) {
		return nil, fmt.Errorf("%s: %s is outside %q", op, name, v.name)
	}
	w.loc = dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: b[off : off+size]}}}
	return w, nil
}

// inMemory returns the object of type t at addr.
func (v *Value) inMemory(name string, t dwarfvars.Type, addr uint64) *Value {
	return &Value{name: name, typ: t, ctx: v.ctx, data: v.data, proc: v.proc, where: v.where,
		loc: dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.InMemory, Addr: addr}}}}
}

// pointer reads the value of a pointer (or reference).
func (v *Value) pointer(op string) (uint64, *dwarfvars.PointerType, error) {
	pt, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.PointerType)
	if !ok {
		return 0, nil, fmt.Errorf("%s: %q is not a pointer (type %s)", op, v.name, v.typ)
	}
	b, err := v.read(op)
	if err != nil {
		return 0, nil, err
	}
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:]), pt, nil
}

// deref returns what pointer v points to.
func (v *Value) deref(op string) (*Value, error) {
	p, pt, err := v.pointer(op)
	if err != nil {
		return nil, err
	}
	if p == 0 {
		return nil, fmt.Errorf("%s: %q is a null pointer", op, v.name)
	}
	if k := dwarfvars.Underlying(pt.Elem).Kind(); k == dwarfvars.Void || k == dwarfvars.Func {
		return nil, fmt.Errorf("%s: cannot dereference %q of type %s", op, v.name, v.typ)
	}
	return v.inMemory("*"+v.name, pt.Elem, p), nil
}

// structType returns v's struct, union or class type, through pointers
// and references.
func (v *Value) structType() (*dwarfvars.StructType, bool) {
	t := dwarfvars.Underlying(v.typ)
	if pt, ok := t.(*dwarfvars.PointerType); ok {
		t = dwarfvars.Underlying(pt.Elem)
	}
	st, ok := t.(*dwarfvars.StructType)
	return st, ok
}

// allFields lists the named members of st, those of anonymous members and
// base classes included, with offsets from the start of st.
func allFields(st *dwarfvars.StructType) []dwarfvars.Field {
	var out []dwarfvars.Field
	for _, f := range st.Fields {
		if f.Name == "" || f.Base {
			if inner, ok := dwarfvars.Underlying(f.Type).(*dwarfvars.StructType); ok {
				for _, g := range allFields(inner) {
					g.Offset += f.Offset
					out = append(out, g)
				}
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// member returns the member called name of a struct, union or class, or
// of the one a pointer points to.
func (v *Value) member(name, op string) (*Value, error) {
	st, ok := v.structType()
	if !ok {
		return nil, fmt.Errorf("%s: %q is not a struct, union or class (type %s)", op, v.name, v.typ)
	}
	obj := v
	if _, isPtr := dwarfvars.Underlying(v.typ).(*dwarfvars.PointerType); isPtr {
		var err error
		if obj, err = v.deref(op); err != nil {
			return nil, err
		}
		obj.name = v.name
	}
	if st.Go {
		return obj.goMember(st, name, op)
	}
	fs := allFields(st)
	for _, f := range fs {
		if f.Name != name {
			continue
		}
		sep := "."
		if obj != v {
			sep = "->"
		}
		w, err := obj.sub(obj.name+sep+name, f.Type, f.Offset, op)
		if err != nil {
			return nil, err
		}
		if f.BitSize != 0 {
			w.bitSize, w.bitOffset = f.BitSize, f.BitOffset
			if w.loc.Pieces[0].Kind == dwarfvars.Implicit {
				n := (f.BitOffset + f.BitSize + 7) / 8
				b, err := obj.read(op)
				if err != nil {
					return nil, err
				}
				w.loc.Pieces[0].Bytes = b[f.Offset : f.Offset+n]
			}
		}
		return w, nil
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	msg := fmt.Sprintf("%s: %s has no member %q", op, dwarfvars.Underlying(st), name)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, starlark.NoSuchAttrError(msg)
}

// closest returns the name nearest to name, if it is near.
func closest(name string, names []string) string {
	limit := min(max(len(name)/3, 1), 3)
	best, bestD := "", limit+1
	for _, n := range names {
		if d := sym.EditDistance(name, n, limit); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// index returns element i of an array, or the object i elements after
// the one a pointer points to.
func (v *Value) index(i int, op string) (*Value, error) {
	switch t := dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.ArrayType:
		if i < 0 || (t.Len >= 0 && int64(i) >= t.Len) {
			return nil, fmt.Errorf("%s: index %d is out of range for %q of type %s", op, i, v.name, v.typ)
		}
		es := t.Elem.Size()
		if es < 0 {
			return nil, fmt.Errorf("%s: the elements of %q have no size", op, v.name)
		}
		if t.Len < 0 {
			addr, ok := v.loc.Addr()
			if !ok {
				return nil, fmt.Errorf("%s: %q of unknown length is not in memory", op, v.name)
			}
			return v.inMemory(fmt.Sprintf("%s[%d]", v.name, i), t.Elem, addr+uint64(int64(i)*es)), nil
		}
		return v.sub(fmt.Sprintf("%s[%d]", v.name, i), t.Elem, int64(i)*es, op)
	case *dwarfvars.PointerType:
		p, _, err := v.pointer(op)
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return nil, fmt.Errorf("%s: %q is a null pointer", op, v.name)
		}
		es := t.Elem.Size()
		if es < 0 {
			return nil, fmt.Errorf("%s: cannot index %q of type %s", op, v.name, v.typ)
		}
		return v.inMemory(fmt.Sprintf("%s[%d]", v.name, i), t.Elem, p+uint64(int64(i)*es)), nil
	case *dwarfvars.SliceType, *dwarfvars.ChanType:
		return v.goIndex(i, op)
	}
	return nil, fmt.Errorf("%s: %q is not an array or a pointer (type %s)", op, v.name, v.typ)
}

// Get implements v["field"] and v[i].
func (v *Value) Get(k starlark.Value) (starlark.Value, bool, error) {
	switch k := k.(type) {
	case starlark.String:
		w, err := v.member(string(k), "value")
		if err != nil {
			return nil, false, err
		}
		return w.starlark(), true, nil
	case starlark.Int:
		i, ok := k.Int64()
		if !ok {
			return nil, false, fmt.Errorf("value: index %v is out of range", k)
		}
		if _, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.StringType); ok {
			c, err := v.stringByte(int(i), "value")
			return c, err == nil, err
		}
		w, err := v.index(int(i), "value")
		if err != nil {
			return nil, false, err
		}
		return w.starlark(), true, nil
	}
	return nil, false, fmt.Errorf("value: a value is indexed by an int or a field name, not %s", k.Type())
}

// SetKey implements v["field"] = x and v[i] = x.
func (v *Value) SetKey(k, x starlark.Value) error {
	switch k := k.(type) {
	case starlark.String:
		w, err := v.member(string(k), "value")
		if err != nil {
			return err
		}
		return w.set(x, "value")
	case starlark.Int:
		i, ok := k.Int64()
		if !ok {
			return fmt.Errorf("value: index %v is out of range", k)
		}
		w, err := v.index(int(i), "value")
		if err != nil {
			return err
		}
		return w.set(x, "value")
	}
	return fmt.Errorf("value: a value is indexed by an int or a field name, not %s", k.Type())
}

// SetField implements v.field = x.
func (v *Value) SetField(name string, x starlark.Value) error {
	if _, ok := valueFields[name]; ok {
		return fmt.Errorf("value.%s is read-only", name)
	}
	w, err := v.member(name, "value")
	if err != nil {
		return err
	}
	return w.set(x, "value")
}

func (a *arrayValue) Len() int {
	t := dwarfvars.Underlying(a.typ).(*dwarfvars.ArrayType)
	if t.Len < 0 {
		return 0
	}
	return int(t.Len)
}

func (a *arrayValue) Index(i int) starlark.Value {
	w, err := a.index(i, "value")
	if err != nil {
		return starlark.None
	}
	return w.starlark()
}

func (a *arrayValue) SetIndex(i int, x starlark.Value) error {
	w, err := a.index(i, "value")
	if err != nil {
		return err
	}
	return w.set(x, "value")
}

func (a *arrayValue) Iterate() starlark.Iterator { return &arrayIter{a: a} }

type arrayIter struct {
	a *arrayValue
	i int
}

func (it *arrayIter) Next(p *starlark.Value) bool {
	if it.i >= it.a.Len() {
		return false
	}
	*p = it.a.Index(it.i)
	it.i++
	return true
}

func (it *arrayIter) Done() {}
