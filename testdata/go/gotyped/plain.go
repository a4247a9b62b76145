package main

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strconv"
)

// anyIface marks a value printed as the interface it was stored in, not
// as its dynamic value's static type (the variables of interface type).
type anyIface struct{ v any }

// plainJSON renders x as stardbg's value.value converts the variable to
// plain Starlark, encoded as JSON: numbers, strings and bools as they
// are; slices and arrays as lists; maps as objects whose keys are strings
// as they are and integers in decimal; structs as objects of their fields
// (embedded structs nested under their type's name); pointers, channels
// and unsafe pointers as their addresses; funcs as their function's name
// (null for nil); interfaces as their dynamic value (null for nil).
func plainJSON(x any) string {
	var v reflect.Value
	if a, ok := x.(anyIface); ok {
		v = reflect.ValueOf(&a.v).Elem()
	} else {
		v = reflect.ValueOf(x)
	}
	b, err := json.Marshal(plain(v))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func plain(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.String:
		return v.String()
	case reflect.Slice, reflect.Array:
		out := []any{}
		for i := 0; i < v.Len(); i++ {
			out = append(out, plain(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			out[keyText(it.Key())] = plain(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			out[v.Type().Field(i).Name] = plain(v.Field(i))
		}
		return out
	case reflect.Pointer, reflect.Chan, reflect.UnsafePointer:
		return uint64(v.Pointer())
	case reflect.Func:
		if v.IsNil() {
			return nil
		}
		return runtime.FuncForPC(v.Pointer()).Name()
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return plain(v.Elem())
	}
	return nil
}

func keyText(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(k.Bool())
	}
	panic("gotyped: unsupported map key kind " + k.Kind().String())
}
