package dwarfvars

import (
	"strconv"
	"strings"
)

// String methods render types as C declares them without a name, the way
// gdb's whatis prints them.

func (t *BaseType) String() string        { return t.Name }
func (*VoidType) String() string          { return "void" }
func (t *UnspecifiedType) String() string { return t.Name }
func (t *TypedefType) String() string     { return t.Name }
func (t *PointerType) String() string {
	if t.GoName != "" {
		return t.GoName
	}
	return declare(t, "", 0, 0)
}
func (t *QualType) String() string { return declare(t, "", 0, 0) }
func (t *ArrayType) String() string {
	if t.GoName != "" {
		return t.GoName
	}
	return declare(t, "", 0, 0)
}
func (t *FuncType) String() string   { return declare(t, "", 0, 0) }
func (t *StructType) String() string { return declare(t, "", 0, 0) }
func (t *EnumType) String() string   { return declare(t, "", 0, 0) }

// Ptype renders t as gdb's ptype does: typedefs at the top are looked
// through, and the struct, union or enum at the base of the declaration is
// printed with its members, anonymous members expanded in place.
func Ptype(t Type) string {
	for {
		td, ok := t.(*TypedefType)
		if !ok {
			break
		}
		t = td.Type
	}
	return declare(t, "", 1, 0)
}

// Decl renders a declaration of name with type t, as in a struct body:
// "char name[16]", "void (*notify)(const struct order *, int)".
func Decl(t Type, name string) string { return declare(t, name, 0, 0) }

// declare renders type t around the declarator inner. show > 0 expands
// the struct, union or enum at the base; show < 0 abbreviates an anonymous
// one as "{...}" (gdb's convention). indent is the column of the
// enclosing body.
func declare(t Type, inner string, show, indent int) string {
	switch u := t.(type) {
	case *PointerType:
		star := "*"
		if u.Ref {
			star = "&"
			if u.RValue {
				star = "&&"
			}
		}
		inner = star + inner
		switch u.Elem.(type) {
		case *ArrayType, *FuncType:
			inner = "(" + inner + ")"
		}
		return declare(u.Elem, inner, show, indent)
	case *QualType:
		if _, ok := u.Type.(*PointerType); ok {
			q := " " + u.Qual
			if inner != "" {
				q += " " + inner
			}
			return declare(u.Type, q, show, indent)
		}
		return u.Qual + " " + declare(u.Type, inner, show, indent)
	case *ArrayType:
		n := ""
		if u.Len >= 0 {
			n = strconv.FormatInt(u.Len, 10)
		}
		return declare(u.Elem, inner+"["+n+"]", show, indent)
	case *FuncType:
		return declare(u.Return, inner+"("+params(u)+")", show, indent)
	case *TypedefType:
		if show > 0 {
			return declare(u.Type, inner, show, indent)
		}
	}
	base := baseDecl(t, show, indent)
	if inner == "" {
		return base
	}
	return base + " " + inner
}

func params(f *FuncType) string {
	var ps []string
	for _, p := range f.Params {
		ps = append(ps, declare(p, "", 0, 0))
	}
	if f.Variadic {
		ps = append(ps, "...")
	}
	if len(ps) == 0 && f.Prototyped {
		return "void"
	}
	return strings.Join(ps, ", ")
}

// baseDecl renders the type at the base of a declarator.
func baseDecl(t Type, show, indent int) string {
	switch u := t.(type) {
	case *StructType:
		head := u.K.String()
		if u.Tag != "" {
			head += " " + u.Tag
		}
		if show <= 0 && u.Tag != "" {
			if u.CPlusPlus || u.Go {
				return u.Tag
			}
			return head
		}
		if show < 0 {
			return head + " {...}"
		}
		if u.K == Class || len(u.bases()) > 0 {
			var bs []string
			for _, f := range u.bases() {
				bs = append(bs, "public "+declare(f.Type, "", 0, 0))
			}
			if len(bs) > 0 {
				head += " : " + strings.Join(bs, ", ")
			}
		}
		var b strings.Builder
		b.WriteString(head + " {\n")
		pad := strings.Repeat(" ", indent+4)
		switch {
		case u.Incomplete:
			b.WriteString(pad + "<incomplete type>\n")
		case len(u.Fields) == 0:
			b.WriteString(pad + "<no data fields>\n")
		}
		for _, f := range u.Fields {
			if f.Base {
				continue
			}
			b.WriteString(pad + declare(f.Type, f.Name, show-1, indent+4))
			if f.BitSize > 0 {
				b.WriteString(" : " + strconv.FormatInt(f.BitSize, 10))
			}
			b.WriteString(";\n")
		}
		b.WriteString(strings.Repeat(" ", indent) + "}")
		return b.String()
	case *EnumType:
		head := "enum"
		if u.Tag != "" {
			head += " " + u.Tag
		}
		if show <= 0 && u.Tag != "" {
			if u.CPlusPlus {
				return u.Tag
			}
			return head
		}
		if show < 0 {
			return head + " {...}"
		}
		var es []string
		next := int64(0)
		for _, e := range u.Enumerators {
			s := e.Name
			if e.Value != next {
				s += " = " + strconv.FormatInt(e.Value, 10)
			}
			next = e.Value + 1
			es = append(es, s)
		}
		return head + " {" + strings.Join(es, ", ") + "}"
	}
	return t.String()
}

// bases returns the base classes of a C++ class or struct.
func (t *StructType) bases() []Field {
	var bs []Field
	for _, f := range t.Fields {
		if f.Base {
			bs = append(bs, f)
		}
	}
	return bs
}
