package dwarfvars

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A GoPrinter formats Go values as Delve's print command does, with
// Delve's default load configuration for print: strings to 64 bytes,
// arrays, slices and maps to 64 elements, every struct field, and one
// level of nesting below the value printed (MaxVariableRecurse 1: a
// struct two levels down prints as (*T)(0xaddr), a map as [...]);
// pointers are followed without counting a level, except to pointers and
// interfaces. The single-line form is Delve's SinglelineString (what its
// API gives clients); Newlines is the form its terminal prints. An
// integer of a named type with constants prints with their names, as
// Delve's does (Monday (1), Read|Exec (5)). Where it differs: time.Time
// prints as a struct (Delve formats the time), and in the multi-line form a
// channel prints as its length and capacity and a closure as its
// function's name (Delve prints the runtime's hchan and the captured
// variables).
type GoPrinter struct {
	R *GoReader
	// Symbol names the function at an entry address ("main.main.func1").
	Symbol     func(pc uint64) string
	MaxString  int64 // 0 means 64
	MaxArray   int64 // 0 means 64
	MaxRecurse int   // 0 means 1; < 0 means 0
	Newlines   bool
}

type goFlags uint8

const (
	gfTop goFlags = 1 << iota
	gfType
	gfNewlines
)

const goIndent = "\t"

func (p *GoPrinter) maxString() int64 { return cmpDefault(p.MaxString, 64) }
func (p *GoPrinter) maxArray() int64  { return cmpDefault(p.MaxArray, 64) }
func (p *GoPrinter) maxRecurse() int {
	switch {
	case p.MaxRecurse == 0:
		return 1
	case p.MaxRecurse < 0:
		return 0
	}
	return p.MaxRecurse
}

func cmpDefault(x, def int64) int64 {
	if x <= 0 {
		return def
	}
	return x
}

// Format renders the Go value of type t held in b (its bytes), whose
// address is addr (0 if it has none, for a value in registers).
func (p *GoPrinter) Format(t Type, b []byte, addr uint64) string {
	var sb strings.Builder
	flags := gfTop | gfType
	if p.Newlines {
		flags |= gfNewlines
	}
	p.write(&sb, t, b, addr, 0, flags, "")
	return sb.String()
}

// load reads the object of type t at addr, or returns nil.
func (p *GoPrinter) load(t Type, addr uint64) []byte {
	n := t.Size()
	if n < 0 || n > 1<<24 || addr == 0 {
		return nil
	}
	b := make([]byte, n)
	if p.R.Ctx.ReadMem(addr, b) != nil {
		return nil
	}
	return b
}

// typeName is a type's name as Delve writes it: quoted when it holds a
// package path ("net/http.Client").
func typeQuoted(t Type) string {
	s := t.String()
	if strings.Contains(s, "/") {
		return strconv.Quote(s)
	}
	return s
}

// write formats one value loaded at recursion level lvl.
func (p *GoPrinter) write(sb *strings.Builder, t Type, b []byte, addr uint64, lvl int, flags goFlags, indent string) {
	if b == nil {
		fmt.Fprintf(sb, "(unreadable could not read %d bytes at %#x)", max(t.Size(), 0), addr)
		return
	}
	switch u := Underlying(t).(type) {
	case *PointerType:
		p.writePointer(sb, t, u, word(b, 0), lvl, flags, indent)
	case *StructType:
		p.writeStruct(sb, t, u, b, addr, lvl, flags, indent)
	case *StringType:
		s, n, err := p.R.String(u, b, p.maxString())
		if err != nil {
			fmt.Fprintf(sb, "(unreadable %v)", err)
			return
		}
		if int64(len(s)) != n {
			s = fmt.Sprintf("%s...+%d more", s, n-int64(len(s)))
		}
		sb.WriteString(strconv.Quote(s))
	case *SliceType:
		ptr, n, c := SliceHeader(u, b)
		if flags&gfType != 0 {
			fmt.Fprintf(sb, "%s len: %d, cap: %d, ", t, n, c)
		}
		if ptr == 0 && n == 0 {
			sb.WriteString("nil")
			return
		}
		p.writeElems(sb, u.Elem, ptr, n, lvl, flags, indent)
	case *ArrayType:
		if flags&gfType != 0 {
			sb.WriteString(t.String() + " ")
		}
		if u.Len > 0 && addr == 0 {
			// A whole array in registers: its elements are in b.
			p.writeElemsBytes(sb, u.Elem, b, u.Len, lvl, flags, indent)
			return
		}
		p.writeElems(sb, u.Elem, addr, max(u.Len, 0), lvl, flags, indent)
	case *MapType:
		p.writeMap(sb, t, u, b, lvl, flags, indent)
	case *InterfaceType:
		p.writeInterface(sb, t, u, b, addr, lvl, flags, indent)
	case *ChanType:
		if flags&gfType != 0 || flags&gfNewlines == 0 {
			sb.WriteString(t.String() + " ")
		}
		if word(b, 0) == 0 {
			sb.WriteString("nil")
			return
		}
		n, c, err := p.R.ChanLenCap(u, b)
		if err != nil {
			fmt.Fprintf(sb, "(unreadable %v)", err)
			return
		}
		fmt.Fprintf(sb, "%d/%d", n, c)
	case *GoFuncType:
		pc, err := p.R.FuncEntry(b)
		switch {
		case err != nil:
			fmt.Fprintf(sb, "(unreadable %v)", err)
		case pc == 0:
			sb.WriteString("nil")
		default:
			name := ""
			if p.Symbol != nil {
				name = p.Symbol(pc)
			}
			if name == "" {
				name = fmt.Sprintf("%#x", pc)
			}
			sb.WriteString(name)
		}
	case *BaseType:
		sb.WriteString(formatGoBase(u, b))
	default:
		fmt.Fprintf(sb, "(unknown %s)", t)
	}
}

// formatGoBase formats a number or a bool as Delve does.
func formatGoBase(t *BaseType, b []byte) string {
	switch t.K {
	case Bool:
		return strconv.FormatBool(readUint(b) != 0)
	case Float:
		bits := 64
		var f float64
		if len(b) == 4 {
			bits, f = 32, float64(math.Float32frombits(uint32(readUint(b))))
		} else {
			f = math.Float64frombits(readUint(b))
		}
		return formatGoFloat(f, bits)
	case Complex:
		h := len(b) / 2
		bits := 64
		re, im := math.Float64frombits(readUint(b[:h])), math.Float64frombits(readUint(b[h:]))
		if h == 4 {
			bits = 32
			re, im = float64(math.Float32frombits(uint32(readUint(b[:h])))), float64(math.Float32frombits(uint32(readUint(b[h:]))))
		}
		return fmt.Sprintf("(%s + %si)", formatGoFloat(re, bits), formatGoFloat(im, bits))
	}
	var n int64
	var text string
	if (t.K == Int || t.K == Char) && !t.Unsigned {
		n = readInt(b, true)
		text = strconv.FormatInt(n, 10)
	} else {
		n = int64(readUint(b))
		text = strconv.FormatUint(readUint(b), 10)
	}
	if c := describeConst(t.GoConsts, n); c != "" {
		return c + " (" + text + ")" // a named integer type's constant, as Delve shows it
	}
	return text
}

func formatGoFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// writePointer follows a pointer as Delve does: without counting a level,
// except to a pointer or an interface.
func (p *GoPrinter) writePointer(sb *strings.Builder, t Type, u *PointerType, ptr uint64, lvl int, flags goFlags, indent string) {
	if u.GoName == "unsafe.Pointer" || Underlying(u.Elem).Kind() == Void {
		if ptr == 0 {
			sb.WriteString("unsafe.Pointer(nil)")
		} else {
			fmt.Fprintf(sb, "unsafe.Pointer(%#x)", ptr)
		}
		return
	}
	next := lvl
	elem := Underlying(u.Elem)
	_, elemPtr := elem.(*PointerType)
	if elemPtr || elem.Kind() == Interface {
		next++
		if elemPtr && lvl > p.maxRecurse() && ptr != 0 {
			fmt.Fprintf(sb, "(%s)(%#x)", typeQuoted(t), ptr)
			return
		}
	}
	if flags&gfTop != 0 && flags&gfNewlines != 0 && ptr != 0 {
		fmt.Fprintf(sb, "(%s)(%#x)\n", typeQuoted(t), ptr)
	}
	sb.WriteString("*")
	if ptr == 0 {
		if flags&gfType != 0 {
			sb.WriteString(u.Elem.String() + " ")
		}
		sb.WriteString("nil")
		return
	}
	p.write(sb, u.Elem, p.load(u.Elem, ptr), ptr, next, flags&^gfTop, indent)
}

// writeStruct writes a struct's fields, or (*T)(0xaddr) below the
// recursion limit.
func (p *GoPrinter) writeStruct(sb *strings.Builder, t Type, u *StructType, b []byte, addr uint64, lvl int, flags goFlags, indent string) {
	if lvl > p.maxRecurse() && len(u.Fields) > 0 {
		fmt.Fprintf(sb, "(*%s)(%#x)", typeQuoted(t), addr)
		return
	}
	if flags&gfType != 0 {
		sb.WriteString(t.String() + " ")
	}
	nl := flags&gfNewlines != 0 && p.structNewlines(u, b)
	sb.WriteString("{")
	for i, f := range u.Fields {
		if nl {
			sb.WriteString("\n" + indent + goIndent)
		}
		sb.WriteString(f.Name + ": ")
		fb, faddr := fieldBytes(f, b, addr)
		ff := gfType
		if nl {
			ff |= gfNewlines
		}
		p.write(sb, f.Type, fb, faddr, lvl+1, ff, indent+goIndent)
		if i != len(u.Fields)-1 || nl {
			sb.WriteString(",")
			if !nl {
				sb.WriteString(" ")
			}
		}
	}
	sb.WriteString("}")
}

func fieldBytes(f Field, b []byte, addr uint64) ([]byte, uint64) {
	s := f.Type.Size()
	if s < 0 || f.Offset+s > int64(len(b)) {
		return nil, 0
	}
	faddr := uint64(0)
	if addr != 0 {
		faddr = addr + uint64(f.Offset)
	}
	return b[f.Offset : f.Offset+s], faddr
}

// throughPointers returns what t points to through any number of
// pointers (Delve's recursiveKind), and whether it is a pointer.
func throughPointers(t Type) (Type, bool) {
	t, ptr := Underlying(t), false
	for {
		pt, ok := t.(*PointerType)
		if !ok || pt.GoName == "unsafe.Pointer" {
			return t, ptr
		}
		ptr, t = true, Underlying(pt.Elem)
	}
}

// structNewlines is Delve's shouldNewlineStruct: a struct goes on several
// lines when a field (through pointers) is an aggregate or a long string.
func (p *GoPrinter) structNewlines(u *StructType, b []byte) bool {
	for _, f := range u.Fields {
		t, ptr := throughPointers(f.Type)
		switch st := t.(type) {
		case *SliceType, *ArrayType, *StructType, *MapType, *InterfaceType:
			return true
		case *StringType:
			if ptr {
				return true
			}
			fb, _ := fieldBytes(f, b, 0)
			if fb != nil {
				if _, n := StringHeader(st, fb); n > 7 {
					return true
				}
			}
		}
	}
	return false
}

// writeElems writes n elements of type et at addr, at most MaxArray.
func (p *GoPrinter) writeElems(sb *strings.Builder, et Type, addr uint64, n int64, lvl int, flags goFlags, indent string) {
	count := min(n, p.maxArray())
	es := et.Size()
	var data []byte
	if count > 0 && es >= 0 {
		data = make([]byte, count*es)
		if p.R.Ctx.ReadMem(addr, data) != nil {
			fmt.Fprintf(sb, "(unreadable could not read %d bytes at %#x)", len(data), addr)
			return
		}
	}
	p.writeElemList(sb, et, data, addr, count, n, lvl, flags, indent)
}

func (p *GoPrinter) writeElemsBytes(sb *strings.Builder, et Type, b []byte, n int64, lvl int, flags goFlags, indent string) {
	p.writeElemList(sb, et, b, 0, min(n, p.maxArray()), n, lvl, flags, indent)
}

func (p *GoPrinter) writeElemList(sb *strings.Builder, et Type, data []byte, addr uint64, count, n int64, lvl int, flags goFlags, indent string) {
	es := max(et.Size(), 0)
	nl := flags&gfNewlines != 0 && count > 0 && p.elemsNewlines(et, data, count)
	sb.WriteString("[")
	for i := int64(0); i < count; i++ {
		if nl {
			sb.WriteString("\n" + indent + goIndent)
		}
		var eaddr uint64
		if addr != 0 {
			eaddr = addr + uint64(i*es)
		}
		var ef goFlags
		if nl {
			ef = gfNewlines
		}
		p.write(sb, et, data[i*es:(i+1)*es], eaddr, lvl+1, ef, indent+goIndent)
		if i != count-1 || nl {
			sb.WriteString(",")
		}
	}
	if count != n {
		if count != 0 {
			if nl {
				sb.WriteString("\n" + indent + goIndent)
			} else {
				sb.WriteString(",")
			}
			fmt.Fprintf(sb, "...+%d more", n-count)
		} else {
			sb.WriteString("...")
		}
	}
	if nl {
		sb.WriteString("\n" + indent)
	}
	sb.WriteString("]")
}

// elemsNewlines is Delve's shouldNewlineArray.
func (p *GoPrinter) elemsNewlines(et Type, data []byte, count int64) bool {
	t, ptr := throughPointers(et)
	switch st := t.(type) {
	case *SliceType, *ArrayType, *StructType, *MapType, *InterfaceType:
		return true
	case *StringType:
		if ptr {
			return true
		}
		es := et.Size()
		for i := int64(0); i < count && es > 0; i++ {
			if _, n := StringHeader(st, data[i*es:(i+1)*es]); n > 7 {
				return true
			}
		}
	}
	return false
}

// writeMap writes a map's entries (at most MaxArray), or [...] below the
// recursion limit; Delve puts ", " after every entry, the last too.
func (p *GoPrinter) writeMap(sb *strings.Builder, t Type, u *MapType, b []byte, lvl int, flags goFlags, indent string) {
	if flags&gfType != 0 {
		sb.WriteString(t.String() + " ")
	}
	if word(b, 0) == 0 {
		sb.WriteString("nil")
		return
	}
	n, err := p.R.MapLen(u, b)
	if err != nil {
		fmt.Fprintf(sb, "(unreadable %v)", err)
		return
	}
	var entries []MapEntry
	if lvl <= p.maxRecurse() && n > 0 {
		err = p.R.MapEntries(u, b, func(e MapEntry) (bool, error) {
			entries = append(entries, e)
			return int64(len(entries)) < min(n, p.maxArray()), nil
		})
		if err != nil {
			fmt.Fprintf(sb, "(unreadable %v)", err)
			return
		}
	}
	nl := flags&gfNewlines != 0 && len(entries) > 0
	sb.WriteString("[")
	var ef goFlags
	if nl {
		ef = gfNewlines
	}
	for _, e := range entries {
		if nl {
			sb.WriteString("\n" + indent + goIndent)
		}
		p.write(sb, u.Key, p.load(u.Key, e.Key), e.Key, lvl+1, 0, indent+goIndent)
		sb.WriteString(": ")
		p.write(sb, u.Elem, p.load(u.Elem, e.Elem), e.Elem, lvl+1, ef, indent+goIndent)
		sb.WriteString(", ")
	}
	if int64(len(entries)) != n {
		if len(entries) != 0 {
			if nl {
				sb.WriteString("\n" + indent + goIndent)
			} else {
				sb.WriteString(",")
			}
			fmt.Fprintf(sb, "...+%d more", n-int64(len(entries)))
		} else {
			sb.WriteString("...")
		}
	}
	if nl {
		sb.WriteString("\n" + indent)
	}
	sb.WriteString("]")
}

// writeInterface writes an interface as Delve does: error(*errors.errorString) *{s: "e"},
// interface {}(int) 3, error nil.
func (p *GoPrinter) writeInterface(sb *strings.Builder, t Type, u *InterfaceType, b []byte, addr uint64, lvl int, flags goFlags, indent string) {
	dyn, daddr, direct, err := p.R.Dynamic(u, b)
	if err != nil {
		fmt.Fprintf(sb, "(unreadable %v)", err)
		return
	}
	if dyn == nil {
		if flags&gfType != 0 {
			sb.WriteString(t.String() + " ")
		}
		sb.WriteString("nil")
		return
	}
	if flags&gfType != 0 {
		fmt.Fprintf(sb, "%s(%s) ", t, dyn)
	}
	inner := flags &^ gfTop
	if flags&gfType != 0 {
		inner &^= gfType
	} else {
		inner |= gfType
	}
	if lvl > p.maxRecurse() {
		if _, ok := Underlying(dyn).(*PointerType); ok {
			sb.WriteString("...")
		} else {
			fmt.Fprintf(sb, "*(*%s)(%#x)", typeQuoted(t), addr)
		}
		return
	}
	if direct != nil {
		if _, ok := Underlying(dyn).(*PointerType); ok && word(direct, 0) == 0 {
			sb.WriteString("nil")
			return
		}
		p.write(sb, dyn, direct, 0, lvl, inner, indent)
		return
	}
	p.write(sb, dyn, p.load(dyn, daddr), daddr, lvl, inner, indent)
}
