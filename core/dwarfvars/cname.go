package dwarfvars

import (
	"fmt"
	"strconv"
	"strings"
)

// A typeSpec is a parsed C type name: the name of a base type and the
// qualifiers, pointers and arrays built on it.
type typeSpec struct {
	base  string // "struct order", "order_t", "unsigned long", "void"
	quals []string
	decl  func(Type) Type // applies the abstract declarator
}

// build returns the type the name describes, given its base.
func (s *typeSpec) build(base Type) Type {
	for i := len(s.quals) - 1; i >= 0; i-- {
		base = &QualType{Qual: s.quals[i], Type: base} // the first written is outermost, as gdb prints it
	}
	return s.decl(base)
}

// parseTypeName parses a C type name such as "const struct order *",
// "unsigned int", "int[4]" or "int (*)[3]". Function types are not
// supported.
func parseTypeName(name string) (*typeSpec, error) {
	p := &cnameParser{src: name, toks: tokenize(name)}
	spec := &typeSpec{}
	var words []string
	for p.i < len(p.toks) && isIdent(p.toks[p.i]) {
		w := p.toks[p.i]
		p.i++
		switch w {
		case "const", "volatile":
			spec.quals = append(spec.quals, w)
		case "struct", "union", "enum", "class":
			if p.i >= len(p.toks) || !isIdent(p.toks[p.i]) {
				return nil, fmt.Errorf("bad type name %q: %s needs a tag", name, w)
			}
			words = append(words, w+" "+p.toks[p.i])
			p.i++
		default:
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("bad type name %q: no type", name)
	}
	if canon, ok := canonBase(words); ok {
		spec.base = canon
	} else if len(words) == 1 {
		spec.base = words[0]
	} else {
		return nil, fmt.Errorf("bad type name %q: %q is not one type", name, strings.Join(words, " "))
	}
	decl, err := p.abstract()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("bad type name %q: unexpected %q", name, p.toks[p.i])
	}
	spec.decl = decl
	return spec, nil
}

type cnameParser struct {
	src  string
	toks []string
	i    int
}

func (p *cnameParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

// abstract parses an abstract declarator: pointers, an optional C++
// reference, then an optional
// parenthesized declarator, then array suffixes.
func (p *cnameParser) abstract() (func(Type) Type, error) {
	type ptr struct {
		quals []string
	}
	var ptrs []ptr
	for p.peek() == "*" {
		p.i++
		var pq ptr
		for p.peek() == "const" || p.peek() == "volatile" {
			pq.quals = append(pq.quals, p.peek())
			p.i++
		}
		ptrs = append(ptrs, pq)
	}
	// A C++ reference (int &, Holder &&) to what the pointers made.
	ref, rvalue := false, false
	if p.peek() == "&" {
		p.i++
		ref = true
		if p.peek() == "&" {
			p.i++
			rvalue = true
		}
	}
	inner := func(t Type) Type { return t }
	if p.peek() == "(" {
		p.i++
		in, err := p.abstract()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("bad type name %q: want \")\"", p.src)
		}
		p.i++
		inner = in
	}
	var dims []int64
	for p.peek() == "[" {
		p.i++
		n := int64(-1)
		if tok := p.peek(); tok != "]" {
			v, err := strconv.ParseInt(tok, 0, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("bad type name %q: bad array length %q", p.src, tok)
			}
			n = v
			p.i++
		}
		if p.peek() != "]" {
			return nil, fmt.Errorf("bad type name %q: want \"]\"", p.src)
		}
		p.i++
		dims = append(dims, n)
	}
	if p.peek() == "(" {
		return nil, fmt.Errorf("bad type name %q: function types are not supported", p.src)
	}
	return func(t Type) Type {
		for _, pq := range ptrs {
			t = &PointerType{Elem: t, ByteSize: 8}
			for _, q := range pq.quals {
				t = &QualType{Qual: q, Type: t}
			}
		}
		if ref {
			t = &PointerType{Elem: t, ByteSize: 8, Ref: true, RValue: rvalue}
		}
		for i := len(dims) - 1; i >= 0; i-- {
			t = &ArrayType{Elem: t, Len: dims[i]}
		}
		return inner(t)
	}, nil
}

// tokenize splits a type name into identifiers (with C++ "::" kept
// inside), numbers and punctuation.
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case isIdentByte(c) || c == ':' && i+1 < len(s) && s[i+1] == ':':
			j := i
			for j < len(s) && (isIdentByte(s[j]) || s[j] == ':' && j+1 < len(s) && s[j+1] == ':') {
				if s[j] == ':' {
					j += 2
				} else {
					j++
				}
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			toks = append(toks, s[i:i+1])
			i++
		}
	}
	return toks
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isIdent reports whether tok is an identifier (not a number).
func isIdent(tok string) bool {
	return tok != "" && isIdentByte(tok[0]) && (tok[0] < '0' || tok[0] > '9')
}

// canonBaseName returns the C spelling gdb uses for a base type named by
// the compiler: "unsigned long" for "long unsigned int", "short" for
// "short int". Other names are returned unchanged.
func canonBaseName(name string) string {
	if c, ok := canonBase(strings.Fields(name)); ok {
		return c
	}
	return name
}

// canonBase returns the canonical spelling of a sequence of C base type
// specifiers, and false if they are not base type specifiers.
func canonBase(words []string) (string, bool) {
	switch strings.Join(words, " ") {
	case "float", "double", "_Bool", "bool", "void", "wchar_t", "char16_t", "char32_t", "char8_t":
		return words[0], true
	case "long double", "double long":
		return "long double", true
	}
	var unsigned, signed, short, char, integer bool
	long := 0
	for _, w := range words {
		switch w {
		case "unsigned":
			unsigned = true
		case "signed":
			signed = true
		case "short":
			short = true
		case "long":
			long++
		case "char":
			char = true
		case "int":
			integer = true
		default:
			return "", false
		}
	}
	switch {
	case unsigned && signed, short && long > 0, long > 2, char && (short || long > 0 || integer):
		return "", false
	case char && unsigned:
		return "unsigned char", true
	case char && signed:
		return "signed char", true
	case char:
		return "char", true
	}
	s := "int"
	switch {
	case short:
		s = "short"
	case long == 1:
		s = "long"
	case long == 2:
		s = "long long"
	}
	if unsigned {
		s = "unsigned " + s
	}
	return s, true
}
