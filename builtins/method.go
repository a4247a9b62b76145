package builtins

import (
	"fmt"
	"sort"

	"go.starlark.net/starlark"
)

// builtinFn is the standard signature of a Starlark builtin.
type builtinFn = func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)

// methods is the method table of one value type: name to implementation and doc.
type methods map[string]method

type method struct {
	fn  builtinFn
	doc string
}

// attr returns the method name bound to recv, or nil.
func (ms methods) attr(recv starlark.Value, name string) starlark.Value {
	m, ok := ms[name]
	if !ok {
		return nil
	}
	return starlark.NewBuiltin(name, m.fn).BindReceiver(recv)
}

func (ms methods) names() []string {
	names := make([]string, 0, len(ms))
	for n := range ms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fields is the field table of one value type: name to getter and doc.
type fields[T any] map[string]field[T]

type field[T any] struct {
	get func(T) (starlark.Value, error)
	doc string
}

// attrNames lists a type's fields and methods, sorted.
func attrNames[T any](fs fields[T], ms methods) []string {
	names := ms.names()
	for n := range fs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// methodCache is a value that keeps its bound methods, so that a callback
// calling t.arg(0) at every hit does not allocate a new builtin each time.
type methodCache interface {
	boundMethods() *map[string]*starlark.Builtin
}

// getAttr looks a name up in a type's fields, then its methods.
func getAttr[T starlark.Value](v T, fs fields[T], ms methods, name string) (starlark.Value, error) {
	if f, ok := fs[name]; ok {
		return f.get(v)
	}
	mc, cached := any(v).(methodCache)
	if cached {
		if m := (*mc.boundMethods())[name]; m != nil {
			return m, nil
		}
	}
	m := ms.attr(v, name)
	if m == nil {
		return nil, nil // starlark reports "has no .name field or method" with hints
	}
	if cached {
		bm := mc.boundMethods()
		if *bm == nil {
			*bm = map[string]*starlark.Builtin{}
		}
		(*bm)[name] = m.(*starlark.Builtin)
	}
	return m, nil
}

// recv returns the receiver of a bound method.
func recv[T starlark.Value](b *starlark.Builtin) T {
	return b.Receiver().(T)
}

// errorf makes an error that names the builtin.
func errorf(b *starlark.Builtin, format string, args ...any) error {
	return fmt.Errorf("%s: %s", b.Name(), fmt.Sprintf(format, args...))
}

// wrapErr names the builtin in front of an error from core.
func wrapErr(b *starlark.Builtin, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", b.Name(), err)
}
