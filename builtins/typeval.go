package builtins

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

// Type is a type of the program (Starlark type "type"); str() is its C
// name as gdb's whatis prints it.
type Type struct {
	t    dwarfvars.Type
	data *dwarfvars.Data
}

var (
	_ starlark.HasAttrs   = (*Type)(nil)
	_ starlark.Comparable = (*Type)(nil)
)

func (t *Type) String() string        { return t.t.String() }
func (t *Type) Type() string          { return "type" }
func (t *Type) Freeze()               {}
func (t *Type) Truth() starlark.Bool  { return true }
func (t *Type) Hash() (uint32, error) { return starlark.String(t.t.String()).Hash() }
func (t *Type) Attr(name string) (starlark.Value, error) {
	return getAttr(t, typeFields, nil, name)
}
func (t *Type) AttrNames() []string { return attrNames(typeFields, nil) }

// CompareSameType compares types by their C names.
func (t *Type) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	return starlark.CompareDepth(op, starlark.String(t.t.String()), starlark.String(y.(*Type).t.String()), depth)
}

func (t *Type) wrap(u dwarfvars.Type) *Type { return &Type{t: u, data: t.data} }

// stripQual removes qualifiers, not typedefs.
func stripQual(t dwarfvars.Type) dwarfvars.Type {
	for {
		q, ok := t.(*dwarfvars.QualType)
		if !ok {
			return t
		}
		t = q.Type
	}
}

var typeFields = fields[*Type]{
	"name": {func(t *Type) (starlark.Value, error) { return starlark.String(t.t.String()), nil },
		"name: the type's C name (\"struct order\", \"order_t\", \"char *\", \"int [4]\")."},
	"kind": {func(t *Type) (starlark.Value, error) {
		if dwarfvars.IsGo(t.t) {
			// A Go named type (main.Order, error) is a type of its own kind, not a typedef.
			return starlark.String(dwarfvars.Underlying(t.t).Kind().String()), nil
		}
		return starlark.String(stripQual(t.t).Kind().String()), nil
	}, "kind: \"int\", \"uint\", \"char\", \"bool\", \"float\", \"pointer\", \"reference\", \"array\", \"struct\", " +
		"\"union\", \"class\", \"enum\", \"func\", \"void\" or \"typedef\" (qualifiers are looked through); for Go, " +
		"also \"string\", \"slice\", \"map\", \"interface\" and \"chan\", and a named type (main.Order, error) has " +
		"the kind of what it names."},
	"size": {func(t *Type) (starlark.Value, error) {
		n := t.t.Size()
		return orNone(starlark.MakeInt64(n), n >= 0), nil
	}, "size: the size in bytes, or None (void, a function, an incomplete type, an array of unknown length)."},
	"fields": {func(t *Type) (starlark.Value, error) {
		st, ok := dwarfvars.Underlying(t.t).(*dwarfvars.StructType)
		if !ok {
			return starlark.None, nil
		}
		out := make([]starlark.Value, len(st.Fields))
		for i, f := range st.Fields {
			out[i] = starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
				"name": starlark.String(f.Name), "offset": starlark.MakeInt64(f.Offset), "type": t.wrap(f.Type),
				"bit_size": starlark.MakeInt64(f.BitSize), "bit_offset": starlark.MakeInt64(f.BitOffset),
			})
		}
		return starlark.NewList(out), nil
	}, "fields: for a struct, union or class, its members in order as struct(name, offset, type, bit_size, bit_offset) " +
		"(name \"\" for an anonymous member; bit_size 0 for a member that is not a bitfield); None for other types."},
	"elem": {func(t *Type) (starlark.Value, error) {
		switch u := dwarfvars.Underlying(t.t).(type) {
		case *dwarfvars.PointerType:
			return t.wrap(u.Elem), nil
		case *dwarfvars.ArrayType:
			return t.wrap(u.Elem), nil
		case *dwarfvars.SliceType:
			return t.wrap(u.Elem), nil
		case *dwarfvars.MapType:
			return t.wrap(u.Elem), nil
		case *dwarfvars.ChanType:
			return t.wrap(u.Elem), nil
		}
		return starlark.None, nil
	}, "elem: the pointee of a pointer, the element type of an array, or of a Go slice, map or channel; otherwise None."},
	"len": {func(t *Type) (starlark.Value, error) {
		if a, ok := dwarfvars.Underlying(t.t).(*dwarfvars.ArrayType); ok && a.Len >= 0 {
			return starlark.MakeInt64(a.Len), nil
		}
		return starlark.None, nil
	}, "len: the number of elements of an array, or None (not an array, or a flexible array)."},
	"enumerators": {func(t *Type) (starlark.Value, error) {
		e, ok := dwarfvars.Underlying(t.t).(*dwarfvars.EnumType)
		if !ok {
			return starlark.None, nil
		}
		d := starlark.NewDict(len(e.Enumerators))
		for _, x := range e.Enumerators {
			d.SetKey(starlark.String(x.Name), starlark.MakeInt64(x.Value))
		}
		return d, nil
	}, "enumerators: for an enum, a dict of enumerator name to value; None for other types."},
	"target": {func(t *Type) (starlark.Value, error) {
		if td, ok := stripQual(t.t).(*dwarfvars.TypedefType); ok {
			return t.wrap(td.Type), nil
		}
		return starlark.None, nil
	}, "target: the type a typedef names, or None."},
}

// resolveType takes a type or a C type name, looked up in datas in order.
func resolveType(b *starlark.Builtin, v starlark.Value, datas []*dwarfvars.Data) (dwarfvars.Type, error) {
	switch v := v.(type) {
	case *Type:
		return v.t, nil
	case starlark.String:
		var firstErr error
		for _, d := range datas {
			if d == nil {
				continue
			}
			t, err := d.LookupType(string(v))
			if err == nil {
				return t, nil
			}
			if !errors.Is(err, dwarfvars.ErrNoType) && firstErr == nil {
				firstErr = err
			}
		}
		if firstErr != nil {
			return nil, errorf(b, "type %q: %v", string(v), firstErr)
		}
		return nil, errorf(b, "no type %q in the program", string(v))
	}
	return nil, errorf(b, "want a type or a type name, got %s", v.Type())
}

// varModules returns the process's modules with DWARF.
func (p *Process) varModules(b *starlark.Builtin) ([]core.VarModule, error) {
	mods, err := p.p.VarModules(p.mainThread())
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return mods, nil
}

// mainThread is the thread whose thread-locals p.var reads: the thread
// whose id is the pid if it is alive, else the first.
func (p *Process) mainThread() *core.Thread {
	ths := p.p.Threads()
	for _, t := range ths {
		if t.Tid() == p.p.Pid() {
			return t
		}
	}
	if len(ths) > 0 {
		return ths[0]
	}
	return nil
}

func datasOf(mods []core.VarModule) []*dwarfvars.Data {
	ds := make([]*dwarfvars.Data, len(mods))
	for i, m := range mods {
		ds[i] = m.Vars
	}
	return ds
}

const processVarDoc = `var(name, file=None) -> value

A global or file-static variable of the program or of a loaded library, by
name. file (a path, a path suffix or a base name of the source file) picks one
of several statics of the same name; a name defined in several files fails and
lists them. Thread-local variables are read in the main thread.`

func processVar(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var file starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "file?", &file); err != nil {
		return nil, err
	}
	var fileName string
	if file != starlark.None {
		s, ok := file.(starlark.String)
		if !ok {
			return nil, errorf(b, "file: want a string or None, got %s", file.Type())
		}
		fileName = string(s)
	}
	p := recv[*Process](b)
	mods, err := p.varModules(b)
	if err != nil {
		return nil, err
	}
	type cand struct {
		v *dwarfvars.Variable
		m core.VarModule
	}
	var cands []cand
	var units []string
	for _, m := range mods {
		vs, err := m.Vars.Globals(name)
		if err != nil {
			return nil, wrapErr(b, err)
		}
		for _, v := range vs {
			if fileName != "" && v.Unit != fileName && path.Base(v.Unit) != fileName && !strings.HasSuffix(v.Unit, "/"+fileName) {
				continue
			}
			cands = append(cands, cand{v, m})
			units = append(units, v.Unit)
		}
	}
	switch {
	case len(cands) == 0 && fileName != "":
		return nil, errorf(b, "no global or static variable %q in file %q", name, fileName)
	case len(cands) == 0:
		return nil, errorf(b, "no global or static variable %q", name)
	case len(cands) > 1:
		sort.Strings(units)
		return nil, errorf(b, "%q is defined in several files (%s): pick one with file=", name, strings.Join(units, ", "))
	}
	c := cands[0]
	loc, err := c.m.Vars.Location(c.v, nil, 0, c.m.Ctx.Env())
	if err != nil {
		return nil, wrapErr(b, err)
	}
	v := newValue(name, c.v.Type, loc, c.m.Ctx, c.m.Vars, p, "")
	if loc.OptimizedOut() {
		return nil, errorf(b, "%q is optimized out", name)
	}
	return v.starlark(), nil
}

func processType(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	mods, err := p.varModules(b)
	if err != nil {
		return nil, err
	}
	for _, m := range mods {
		if t, err := m.Vars.LookupType(name); err == nil {
			return &Type{t: t, data: m.Vars}, nil
		}
	}
	_, err = resolveType(b, starlark.String(name), datasOf(mods))
	return nil, err
}

func processValue(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var addr uint64
	var tv starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &addr, "type", &tv); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	mods, err := p.varModules(b)
	if err != nil {
		return nil, err
	}
	if len(mods) == 0 {
		return nil, errorf(b, "the program has no debug information")
	}
	t, err := resolveType(b, tv, datasOf(mods))
	if err != nil {
		return nil, err
	}
	data := mods[0].Vars
	if tt, ok := tv.(*Type); ok {
		data = tt.data
	}
	name := fmt.Sprintf("(*(%s *)%#x)", t, addr)
	v := newValue(name, t, dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.InMemory, Addr: addr}}},
		mods[0].Ctx, data, p, "")
	return v.starlark(), nil
}
