package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"

	"stardbg/core/dwarfvars"
)

// Go values are *Value too, wrapped by kind so that Starlark's len(),
// indexing and iteration apply: a string (goString: len, v[i] a byte), a
// slice (goSlice: len, v[i], iteration, like an array), a map (goMap:
// len, v[key], iteration over keys, keys(), items()) and a channel
// (goChan: len, v[i] the i-th element queued).
type (
	goString struct{ *Value }
	goSlice  struct{ *Value }
	goMap    struct{ *Value }
	goChan   struct{ *Value }
)

var (
	_ starlark.Indexable       = (*goString)(nil)
	_ starlark.Indexable       = (*goSlice)(nil)
	_ starlark.Sequence        = (*goSlice)(nil)
	_ starlark.IterableMapping = (*goMap)(nil)
	_ starlark.Sequence        = (*goMap)(nil)
	_ starlark.Indexable       = (*goChan)(nil)
)

// goStarlark returns v wrapped for its Go kind, or nil.
func (v *Value) goStarlark() starlark.Value {
	switch dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.StringType:
		return &goString{v}
	case *dwarfvars.SliceType:
		return &goSlice{v}
	case *dwarfvars.MapType:
		return &goMap{v}
	case *dwarfvars.ChanType:
		return &goChan{v}
	}
	return nil
}

// goString formats v as Delve's print does.
func (v *Value) goString() string {
	if v.loc.OptimizedOut() {
		return "<optimized out>"
	}
	b, err := dwarfvars.ReadBytes(v.loc, v.typ.Size(), v.ctx)
	if errors.Is(err, dwarfvars.ErrOptimizedOut) {
		return "<optimized out>" // in part: what remains is not a value
	}
	if err != nil {
		return fmt.Sprintf("<error: %v>", err)
	}
	addr, _ := v.loc.Addr()
	return v.goPrinter().Format(v.typ, b, addr)
}

func (v *Value) goPrinter() *dwarfvars.GoPrinter {
	return &dwarfvars.GoPrinter{R: v.goReader(), Symbol: v.proc.funcName}
}

// format renders a value of type t held in b as str() does.
func (c *conv) format(t dwarfvars.Type, b []byte) string {
	return (&dwarfvars.GoPrinter{R: c.g, Symbol: c.sym}).Format(t, b, 0)
}

// goLen returns len(v) for a string, slice, map or channel; errors are
// the message of op.
func (v *Value) goLen(op string) (int, error) {
	b, err := v.read(op)
	if err != nil {
		return 0, err
	}
	switch u := dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.StringType:
		_, n := dwarfvars.StringHeader(u, b)
		return int(n), nil
	case *dwarfvars.SliceType:
		_, n, _ := dwarfvars.SliceHeader(u, b)
		return int(n), nil
	case *dwarfvars.MapType:
		n, err := v.goReader().MapLen(u, b)
		if err != nil {
			return 0, fmt.Errorf("%s: reading map %q: %w", op, v.name, err)
		}
		return int(n), nil
	case *dwarfvars.ChanType:
		n, _, err := v.goReader().ChanLenCap(u, b)
		if err != nil {
			return 0, fmt.Errorf("%s: reading channel %q: %w", op, v.name, err)
		}
		return int(n), nil
	}
	return 0, fmt.Errorf("%s: %q of type %s has no length", op, v.name, v.typ)
}

// length is len() for Starlark, which cannot fail: an unreadable value
// has length 0 (its elements then fail to read with the reason).
func (v *Value) length() int {
	n, err := v.goLen("value")
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// goCap returns v.cap for a slice or channel.
func (v *Value) goCap() (starlark.Value, error) {
	switch u := dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.SliceType:
		b, err := v.read("cap")
		if err != nil {
			return nil, err
		}
		_, _, c := dwarfvars.SliceHeader(u, b)
		return starlark.MakeInt64(c), nil
	case *dwarfvars.ChanType:
		b, err := v.read("cap")
		if err != nil {
			return nil, err
		}
		_, c, err := v.goReader().ChanLenCap(u, b)
		if err != nil {
			return nil, fmt.Errorf("cap: reading channel %q: %w", v.name, err)
		}
		return starlark.MakeInt64(c), nil
	}
	return nil, fmt.Errorf("cap: %q of type %s is not a Go slice or channel", v.name, v.typ)
}

// goIndex returns element i of a slice, or of a channel's queue.
func (v *Value) goIndex(i int, op string) (*Value, error) {
	b, err := v.read(op)
	if err != nil {
		return nil, err
	}
	switch u := dwarfvars.Underlying(v.typ).(type) {
	case *dwarfvars.SliceType:
		ptr, n, _ := dwarfvars.SliceHeader(u, b)
		if i < 0 || int64(i) >= n {
			return nil, fmt.Errorf("%s: index %d is out of range for %q of length %d", op, i, v.name, n)
		}
		return v.inMemory(fmt.Sprintf("%s[%d]", v.name, i), u.Elem, ptr+uint64(int64(i)*max(u.Elem.Size(), 0))), nil
	case *dwarfvars.ChanType:
		addr, n, err := v.goReader().ChanElem(u, b, int64(i))
		if err != nil {
			return nil, fmt.Errorf("%s: reading channel %q: %w", op, v.name, err)
		}
		if addr == 0 {
			return nil, fmt.Errorf("%s: index %d is out of range for %q holding %d elements", op, i, v.name, n)
		}
		return v.inMemory(fmt.Sprintf("%s[%d]", v.name, i), u.Elem, addr), nil
	}
	return nil, fmt.Errorf("%s: %q of type %s cannot be indexed", op, v.name, v.typ)
}

func (s *goString) Len() int { return s.length() }

// Index returns byte i of the string, as Go's s[i] does.
func (s *goString) Index(i int) starlark.Value {
	c, err := s.stringByte(i, "value")
	if err != nil {
		return starlark.None
	}
	return c
}

func (s *goSlice) Len() int { return s.length() }
func (s *goSlice) Index(i int) starlark.Value {
	w, err := s.goIndex(i, "value")
	if err != nil {
		return starlark.None
	}
	return w.starlark()
}
func (s *goSlice) Iterate() starlark.Iterator { return &indexIter{x: s, n: s.Len()} }

func (c *goChan) Len() int { return c.length() }
func (c *goChan) Index(i int) starlark.Value {
	w, err := c.goIndex(i, "value")
	if err != nil {
		return starlark.None
	}
	return w.starlark()
}

// indexIter iterates over an Indexable's first n elements.
type indexIter struct {
	x    starlark.Indexable
	n, i int
}

func (it *indexIter) Next(p *starlark.Value) bool {
	if it.i >= it.n {
		return false
	}
	*p = it.x.Index(it.i)
	it.i++
	return true
}

func (it *indexIter) Done() {}

// goMember returns field name of v, a Go struct, promoted through
// embedded fields (and embedded pointers) as Go's selectors do: the
// shallowest match wins, and two at the same depth are ambiguous.
func (v *Value) goMember(st *dwarfvars.StructType, name, op string) (*Value, error) {
	type cand struct {
		obj *Value
		st  *dwarfvars.StructType
	}
	level := []cand{{v, st}}
	seen := map[*dwarfvars.StructType]bool{}
	for depth := 0; len(level) > 0 && depth < 16; depth++ {
		var found []*Value
		var next []cand
		for _, c := range level {
			if seen[c.st] {
				continue
			}
			seen[c.st] = true
			for _, f := range c.st.Fields {
				if f.Name == name {
					w, err := c.obj.sub(c.obj.name+"."+name, f.Type, f.Offset, op)
					if err != nil {
						return nil, err
					}
					found = append(found, w)
					continue
				}
				if !f.Embedded {
					continue
				}
				inner, ok := goStructOf(f.Type)
				if !ok {
					continue
				}
				w, err := c.obj.sub(c.obj.name+"."+f.Name, f.Type, f.Offset, op)
				if err != nil {
					return nil, err
				}
				next = append(next, cand{w, inner})
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			return nil, fmt.Errorf("%s: ambiguous selector %s.%s", op, v.name, name)
		}
		// Embedded pointers are read through to reach their fields.
		for i, c := range next {
			if _, isPtr := dwarfvars.Underlying(c.obj.typ).(*dwarfvars.PointerType); isPtr {
				w, err := c.obj.deref(op)
				if err != nil {
					return nil, err
				}
				w.name = c.obj.name
				next[i].obj = w
			}
		}
		level = next
	}
	names := goFieldNames(st)
	msg := fmt.Sprintf("%s: %s has no field %q", op, st, name)
	if s := closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, starlark.NoSuchAttrError(msg)
}

// goStructOf returns the struct an embedded field of type t is, or
// points to.
func goStructOf(t dwarfvars.Type) (*dwarfvars.StructType, bool) {
	u := dwarfvars.Underlying(t)
	if p, ok := u.(*dwarfvars.PointerType); ok {
		u = dwarfvars.Underlying(p.Elem)
	}
	st, ok := u.(*dwarfvars.StructType)
	return st, ok
}

// goFieldNames lists a Go struct's fields and the fields promoted from
// its embedded structs.
func goFieldNames(st *dwarfvars.StructType) []string {
	var names []string
	seen := map[string]bool{}
	var walk func(st *dwarfvars.StructType, depth int)
	walk = func(st *dwarfvars.StructType, depth int) {
		for _, f := range st.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
			if inner, ok := goStructOf(f.Type); ok && f.Embedded && depth < 8 {
				walk(inner, depth+1)
			}
		}
	}
	walk(st, 0)
	return names
}

// stringByte returns byte i of a Go string, as s[i] does in Go.
func (v *Value) stringByte(i int, op string) (starlark.Value, error) {
	b, err := v.read(op)
	if err != nil {
		return nil, err
	}
	ptr, n := dwarfvars.StringHeader(dwarfvars.Underlying(v.typ).(*dwarfvars.StringType), b)
	if i < 0 || int64(i) >= n {
		return nil, fmt.Errorf("%s: index %d is out of range for %q of length %d", op, i, v.name, n)
	}
	var c [1]byte
	if err := v.ctx.ReadMem(ptr+uint64(i), c[:]); err != nil {
		return nil, fmt.Errorf("%s: reading %q: %w", op, v.name, err)
	}
	return starlark.MakeInt(int(c[0])), nil
}

// dynamic returns the value a Go interface holds, or None.
func (v *Value) dynamic() (starlark.Value, error) {
	u, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.InterfaceType)
	if !ok {
		return nil, fmt.Errorf("dynamic: %q of type %s is not a Go interface", v.name, v.typ)
	}
	b, err := v.read("dynamic")
	if err != nil {
		return nil, err
	}
	dyn, addr, direct, err := v.goReader().Dynamic(u, b)
	if err != nil {
		return nil, fmt.Errorf("dynamic: reading interface %q: %w", v.name, err)
	}
	if dyn == nil {
		return starlark.None, nil
	}
	name := fmt.Sprintf("%s.(%s)", v.name, dyn)
	if direct != nil {
		w := &Value{name: name, typ: dyn, ctx: v.ctx, data: v.data, proc: v.proc, where: v.where,
			loc: dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: direct}}}}
		return w.starlark(), nil
	}
	return v.inMemory(name, dyn, addr).starlark(), nil
}
