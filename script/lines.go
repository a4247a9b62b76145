package script

import (
	"reflect"

	"go.starlark.net/syntax"
)

// The REPL parses each input on its own, so the parser numbers the lines
// of every input from 1. shiftLines moves a parsed input to the line it
// had in the whole of the REPL's input, so that errors and backtraces name
// the real line of a statement piped into the REPL (and, at a terminal,
// the line of the session, in which a function defined earlier is found).
//
// The syntax package has no option for a first line, and positions are
// fields of many node types: shiftLines walks the tree by reflection,
// through the exported fields of the syntax package's types only.

var (
	positionType = reflect.TypeFor[syntax.Position]()
	syntaxPkg    = positionType.PkgPath()
)

// shiftLines adds n to the line of every position in f.
func shiftLines(f *syntax.File, n int32) {
	if n != 0 {
		shiftValue(reflect.ValueOf(f), n, map[uintptr]bool{})
	}
}

// shiftValue adds n to the line of every position reachable from v;
// seen holds the nodes already shifted (load shares an identifier
// between its From and To lists).
func shiftValue(v reflect.Value, n int32, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			shiftValue(v.Elem(), n, seen)
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		shiftValue(v.Elem(), n, seen)
	case reflect.Slice:
		for i := range v.Len() {
			shiftValue(v.Index(i), n, seen)
		}
	case reflect.Struct:
		t := v.Type()
		if t == positionType {
			if line := v.FieldByName("Line"); v.CanSet() && line.Int() > 0 {
				line.SetInt(line.Int() + int64(n))
			}
			return
		}
		if t.PkgPath() != syntaxPkg {
			return
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				shiftValue(v.Field(i), n, seen)
			}
		}
	}
}
