package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"stardbg/core/sym"
)

// Mapping is one memory mapping of a process, an entry of maps() (Starlark
// type "mapping"). str() is its line of /proc/PID/maps, addresses in hex.
type Mapping struct{ m sym.Map }

var (
	_ starlark.HasAttrs   = (*Mapping)(nil)
	_ starlark.Comparable = (*Mapping)(nil)
)

// String is "0x7f3b2a400000-0x7f3b2a428000 r--p 0x0 /usr/lib/.../libc.so.6",
// with no path for anonymous memory.
func (m *Mapping) String() string {
	s := fmt.Sprintf("%#x-%#x %s %#x %s", m.m.Start, m.m.End, m.m.Perms, m.m.Offset, m.m.Path)
	return strings.TrimSuffix(s, " ")
}
func (m *Mapping) Type() string          { return "mapping" }
func (m *Mapping) Freeze()               {}
func (m *Mapping) Truth() starlark.Bool  { return true }
func (m *Mapping) Hash() (uint32, error) { return uint32(m.m.Start) ^ uint32(m.m.Start>>32), nil }
func (m *Mapping) Attr(name string) (starlark.Value, error) {
	return getAttr(m, mappingFields, nil, name)
}
func (m *Mapping) AttrNames() []string { return attrNames(mappingFields, nil) }

// CompareSameType compares the fields: mappings are equal when every field is.
func (m *Mapping) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	n := y.(*Mapping)
	eq := m.m.Start == n.m.Start && m.m.End == n.m.End && m.m.Perms == n.m.Perms &&
		m.m.Offset == n.m.Offset && m.m.Path == n.m.Path
	switch op {
	case syntax.EQL:
		return eq, nil
	case syntax.NEQ:
		return !eq, nil
	}
	return false, fmt.Errorf("%s not implemented for mapping", op)
}

var mappingFields = fields[*Mapping]{
	"start": {func(m *Mapping) (starlark.Value, error) { return starlark.MakeUint64(m.m.Start), nil },
		"start: the first address of the mapping."},
	"end": {func(m *Mapping) (starlark.Value, error) { return starlark.MakeUint64(m.m.End), nil },
		"end: the address just past the mapping."},
	"perms": {func(m *Mapping) (starlark.Value, error) { return starlark.String(m.m.Perms), nil },
		`perms: the permissions, as /proc shows them: "r-xp" (read, no write, execute, private).`},
	"offset": {func(m *Mapping) (starlark.Value, error) { return starlark.MakeUint64(m.m.Offset), nil },
		"offset: the offset of start in the mapped file."},
	"path": {func(m *Mapping) (starlark.Value, error) { return starlark.String(m.m.Path), nil },
		`path: the mapped file, "[stack]", "[heap]", "[vdso]"..., or "" for anonymous memory.`},
}
