package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"stardbg/core/dwarfvars"
)

// A Go map is read by walking its tables (the runtime's hash of a key
// depends on a per-process seed and the CPU's AES instructions, so a
// lookup compares keys instead of hashing them): v[key], keys() and
// items() read every entry, which for a map of 10,000 entries is one
// read per group of 8.

func (m *goMap) mapType() *dwarfvars.MapType {
	return dwarfvars.Underlying(m.typ).(*dwarfvars.MapType)
}

// entries calls f with each entry's key (its plain value for keys of
// string, integer, bool and pointer types, its value otherwise) and
// element value, until f returns false.
func (m *goMap) entries(op string, f func(k starlark.Value, e *Value) bool) error {
	b, err := m.read(op)
	if err != nil {
		return err
	}
	u := m.mapType()
	g := m.goReader()
	err = g.MapEntries(u, b, func(e dwarfvars.MapEntry) (bool, error) {
		kv := m.inMemory(m.name+"<key>", u.Key, e.Key)
		var k starlark.Value = kv.starlark()
		if plainKey(u.Key) {
			if k, err = kv.plain(op); err != nil {
				return false, err
			}
		}
		ev := m.inMemory(fmt.Sprintf("%s[%s]", m.name, k), u.Elem, e.Elem)
		return f(k, ev), nil
	})
	if err != nil {
		return fmt.Errorf("%s: reading map %q: %w", op, m.name, err)
	}
	return nil
}

// plainKey reports whether keys of type t are looked up and listed by
// their plain value.
func plainKey(t dwarfvars.Type) bool {
	switch u := dwarfvars.Underlying(t).(type) {
	case *dwarfvars.StringType, *dwarfvars.PointerType, *dwarfvars.ChanType:
		return true
	case *dwarfvars.BaseType:
		return u.K == dwarfvars.Int || u.K == dwarfvars.Uint || u.K == dwarfvars.Bool || u.K == dwarfvars.Char
	}
	return false
}

// keyStarlarkType is the Starlark type of the plain value of keys of type t.
func keyStarlarkType(t dwarfvars.Type) string {
	switch u := dwarfvars.Underlying(t).(type) {
	case *dwarfvars.StringType:
		return "string"
	case *dwarfvars.BaseType:
		if u.K == dwarfvars.Bool {
			return "bool"
		}
	}
	return "int"
}

// Get implements v[key] for keys of string, integer, bool and pointer
// types; a missing key is not found, as in a dict.
func (m *goMap) Get(k starlark.Value) (starlark.Value, bool, error) {
	u := m.mapType()
	if !plainKey(u.Key) {
		return nil, false, fmt.Errorf("value: map %q has keys of type %s, which cannot be looked up (only string, integer, bool and pointer keys)", m.name, u.Key)
	}
	if want := keyStarlarkType(u.Key); k.Type() != want {
		return nil, false, fmt.Errorf("value: map %q has keys of type %s, not %s", m.name, u.Key, k.Type())
	}
	var found *Value
	err := m.entries("value", func(key starlark.Value, e *Value) bool {
		if eq, err := starlark.Equal(key, k); err == nil && eq {
			found = e
			return false
		}
		return true
	})
	if err != nil {
		return nil, false, err
	}
	if found == nil {
		return nil, false, nil
	}
	return found.starlark(), true, nil
}

func (m *goMap) Len() int { return m.length() }

// Iterate iterates over the map's keys.
func (m *goMap) Iterate() starlark.Iterator {
	keys, _ := m.keys("value")
	return starlark.NewList(keys).Iterate()
}

// Items returns the (key, value) pairs; an unreadable map has none.
func (m *goMap) Items() []starlark.Tuple {
	items, _ := m.items("value")
	return items
}

func (m *goMap) keys(op string) ([]starlark.Value, error) {
	var keys []starlark.Value
	err := m.entries(op, func(k starlark.Value, _ *Value) bool {
		keys = append(keys, k)
		return true
	})
	return keys, err
}

func (m *goMap) items(op string) ([]starlark.Tuple, error) {
	var items []starlark.Tuple
	err := m.entries(op, func(k starlark.Value, e *Value) bool {
		items = append(items, starlark.Tuple{k, e.starlark()})
		return true
	})
	return items, err
}

// asMap returns v as a Go map, or fails as op.
func (v *Value) asMap(op string) (*goMap, error) {
	if _, ok := dwarfvars.Underlying(v.typ).(*dwarfvars.MapType); !ok {
		return nil, fmt.Errorf("%s: %q of type %s is not a Go map", op, v.name, v.typ)
	}
	return &goMap{v}, nil
}

func valueKeys(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	m, err := recv[*Value](b).asMap(b.Name())
	if err != nil {
		return nil, err
	}
	keys, err := m.keys(b.Name())
	if err != nil {
		return nil, err
	}
	return starlark.NewList(keys), nil
}

func valueItems(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	m, err := recv[*Value](b).asMap(b.Name())
	if err != nil {
		return nil, err
	}
	items, err := m.items(b.Name())
	if err != nil {
		return nil, err
	}
	out := make([]starlark.Value, len(items))
	for i, it := range items {
		out[i] = it
	}
	return starlark.NewList(out), nil
}
