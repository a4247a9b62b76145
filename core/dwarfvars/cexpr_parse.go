package dwarfvars

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// C expressions, as a debugger's print and eval take them: identifiers
// (C++'s ns::name too), integer literals (decimal, hex, octal, suffixes u,
// l, ul, ll, ull, typed as C11 6.4.4.1 says), character literals ('A',
// '\n', '\x41', '\101'), floating literals (suffixes f and l), . -> []
// unary * & - + ! ~, casts to any type the program names, sizeof expr and
// sizeof(type), * / % + - << >> < > <= >= == != & ^ | && || with C's
// precedence, and parentheses. Arithmetic follows C on LP64 (x86-64
// Linux): integer promotions (a bitfield narrower than int too), the usual
// arithmetic conversions, wrap-around to the result's width, pointer
// arithmetic scaled by the element size (1 for void * as in gcc), pointer
// difference as a long, arrays and functions decayed to pointers. Two
// choices follow gdb rather than C: a character literal is a char (it
// prints as 65 'A'), and p.f on a pointer to a struct reads p->f.
//
// Not supported: assignment and ++/--, ?:, the comma operator, function
// calls, string literals, wide character literals, casts to function
// types and references, arithmetic on 16-byte integers; long double
// arithmetic is done in double precision (reading a long double object
// keeps all its bits). An expression is parsed without a process
// (ParseExpr) and evaluated against an ExprEnv (Expr.Eval).

// An Expr is a parsed C expression: what a debugger's print or eval takes.
// It is evaluated later (Eval) against an ExprEnv that resolves its names.
type Expr struct {
	src  string
	root exprNode
}

// String returns the expression's source text.
func (e *Expr) String() string { return e.src }

// A SyntaxError is an expression that does not parse. Col is the 1-based
// column of the offending token.
type SyntaxError struct {
	Col int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("syntax error at column %d: %s", e.Col, e.Msg)
}

// exprNode is a node of an expression's syntax tree.
type exprNode interface{ col() int }

type (
	identNode struct {
		c    int
		name string
	}
	intNode struct {
		c        int
		v        uint64
		t        *BaseType
		charText string // the literal as written, for a char literal
	}
	floatNode struct {
		c int
		v float64
		t *BaseType
	}
	unaryNode struct {
		c  int
		op string // "-", "+", "!", "~", "*", "&"
		x  exprNode
	}
	binaryNode struct {
		c    int
		op   string
		x, y exprNode
	}
	indexNode struct {
		c    int
		x, i exprNode
	}
	fieldNode struct {
		c     int
		x     exprNode
		name  string
		arrow bool
	}
	castNode struct {
		c        int
		typeName string
		x        exprNode
	}
	sizeofNode struct {
		c        int
		typeName string   // sizeof(type)
		x        exprNode // sizeof expr
	}
)

func (n *identNode) col() int  { return n.c }
func (n *intNode) col() int    { return n.c }
func (n *floatNode) col() int  { return n.c }
func (n *unaryNode) col() int  { return n.c }
func (n *binaryNode) col() int { return n.c }
func (n *indexNode) col() int  { return n.c }
func (n *fieldNode) col() int  { return n.c }
func (n *castNode) col() int   { return n.c }
func (n *sizeofNode) col() int { return n.c }

// A token of an expression: its text and the 1-based column it starts at.
// kind is 'i' (identifier), 'n' (number), 'c' (char literal), 'p'
// (punctuation) or 0 at the end.
type token struct {
	kind byte
	text string
	col  int
}

// punctuators, longest first.
var punctuators = []string{"->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "++", "--",
	"+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "!", "~", "(", ")", "[", "]", ".", ",", "?", ":", "="}

func lexExpr(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '.' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E') && !strings.HasPrefix(strings.ToLower(src[i:]), "0x")) {
				j++
			}
			toks = append(toks, token{'n', src[i:j], i + 1})
			i = j
		case isIdentByte(c) || c == ':' && strings.HasPrefix(src[i:], "::"):
			j := i
			for j < len(src) && (isIdentByte(src[j]) || strings.HasPrefix(src[j:], "::")) {
				if src[j] == ':' {
					j += 2
				} else {
					j++
				}
			}
			toks = append(toks, token{'i', src[i:j], i + 1})
			i = j
		case c == '\'':
			j := i + 1
			for j < len(src) && src[j] != '\'' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, &SyntaxError{i + 1, "unterminated character literal"}
			}
			toks = append(toks, token{'c', src[i : j+1], i + 1})
			i = j + 1
		default:
			p := ""
			for _, q := range punctuators {
				if strings.HasPrefix(src[i:], q) {
					p = q
					break
				}
			}
			if p == "" {
				return nil, &SyntaxError{i + 1, fmt.Sprintf("unexpected %q", src[i:i+1])}
			}
			toks = append(toks, token{'p', p, i + 1})
			i += len(p)
		}
	}
	return append(toks, token{col: len(src) + 1}), nil
}

// typeKeywords start a type name in a cast or sizeof.
var typeKeywords = map[string]bool{"struct": true, "union": true, "enum": true, "class": true, "unsigned": true,
	"signed": true, "int": true, "char": true, "short": true, "long": true, "float": true, "double": true,
	"void": true, "_Bool": true, "bool": true, "const": true, "volatile": true}

// ParseExpr parses a C expression. isType tells a typedef name from a
// variable's (C's grammar needs to know: "(order_t *)p" is a cast,
// "(n) * 2" a product); nil means no identifier names a type besides the
// keywords of C's base types and struct, union and enum tags.
func ParseExpr(src string, isType func(name string) bool) (*Expr, error) {
	toks, err := lexExpr(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks, isType: isType}
	root, err := p.binary(1)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, p.unexpected(t)
	}
	return &Expr{src: src, root: root}, nil
}

type exprParser struct {
	toks   []token
	i      int
	isType func(string) bool
}

func (p *exprParser) peek() token { return p.toks[p.i] }

func (p *exprParser) next() token {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *exprParser) unexpected(t token) error {
	if t.kind == 0 {
		return &SyntaxError{t.col, "unexpected end of expression"}
	}
	return &SyntaxError{t.col, fmt.Sprintf("unexpected %q", t.text)}
}

func (p *exprParser) expect(text string) error {
	if t := p.peek(); t.kind != 'p' || t.text != text {
		if t.kind == 0 {
			return &SyntaxError{t.col, fmt.Sprintf("want %q at the end of the expression", text)}
		}
		return &SyntaxError{t.col, fmt.Sprintf("unexpected %q, want %q", t.text, text)}
	}
	p.i++
	return nil
}

// binaryPrec is the precedence of C's binary operators, loosest first.
var binaryPrec = map[string]int{"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
	"<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}

// binary parses operators of precedence min and tighter, left to right.
func (p *exprParser) binary(min int) (exprNode, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, ok := binaryPrec[t.text]
		if t.kind != 'p' || !ok || prec < min {
			if t.kind == 'p' && (t.text == "=" || t.text == "?" || t.text == "++" || t.text == "--" || t.text == ",") {
				return nil, &SyntaxError{t.col, fmt.Sprintf("operator %q is not supported", t.text)}
			}
			return x, nil
		}
		p.i++
		y, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		x = &binaryNode{t.col, t.text, x, y}
	}
}

func (p *exprParser) unary() (exprNode, error) {
	t := p.peek()
	if t.kind == 'p' {
		switch t.text {
		case "-", "+", "!", "~", "*", "&":
			p.i++
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &unaryNode{t.col, t.text, x}, nil
		case "(":
			if p.startsType(p.i+1) || p.unknownCast(p.i+1) {
				p.i++
				name, err := p.typeName()
				if err != nil {
					return nil, err
				}
				x, err := p.unary()
				if err != nil {
					return nil, err
				}
				return &castNode{t.col, name, x}, nil
			}
		case "++", "--":
			return nil, &SyntaxError{t.col, fmt.Sprintf("operator %q is not supported", t.text)}
		}
	}
	if t.kind == 'i' && t.text == "sizeof" {
		p.i++
		if n := p.peek(); n.kind == 'p' && n.text == "(" && p.startsType(p.i+1) {
			p.i++
			name, err := p.typeName()
			if err != nil {
				return nil, err
			}
			return &sizeofNode{c: t.col, typeName: name}, nil
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &sizeofNode{c: t.col, x: x}, nil
	}
	return p.postfix()
}

// startsType reports whether the token at i begins a type name.
func (p *exprParser) startsType(i int) bool {
	t := p.toks[i]
	if t.kind != 'i' {
		return false
	}
	return typeKeywords[t.text] || p.isType != nil && t.text != "sizeof" && p.isType(t.text)
}

// unknownCast reports whether the tokens at i can only be a cast to a
// type isType does not know: "(name *)" or "(name)" followed by an
// operand, which no expression reads. Evaluation then says the type is
// unknown, rather than a syntax error at the operand.
func (p *exprParser) unknownCast(i int) bool {
	if p.toks[i].kind != 'i' || p.toks[i].text == "sizeof" {
		return false
	}
	i++
	stars := 0
	for ; p.toks[i].kind == 'p' && p.toks[i].text == "*"; i++ {
		stars++
	}
	if p.toks[i].kind != 'p' || p.toks[i].text != ")" {
		return false
	}
	next := p.toks[i+1]
	return stars > 0 || next.kind == 'i' || next.kind == 'n' || next.kind == 'c' || next.kind == 'p' && next.text == "("
}

// typeName reads the tokens of a type name up to the ")" that closes the
// cast or sizeof, and returns them joined: LookupType parses it.
func (p *exprParser) typeName() (string, error) {
	var words []string
	depth := 0
	for {
		t := p.next()
		switch {
		case t.kind == 0:
			return "", &SyntaxError{t.col, `want ")" at the end of the expression`}
		case t.text == "(" && t.kind == 'p':
			depth++
		case t.text == ")" && t.kind == 'p':
			if depth == 0 {
				return strings.Join(words, " "), nil
			}
			depth--
		case t.kind == 'c' || t.kind == 'p' && t.text != "*" && t.text != "[" && t.text != "]":
			return "", p.unexpected(t)
		}
		words = append(words, t.text)
	}
}

func (p *exprParser) postfix() (exprNode, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != 'p' {
			return x, nil
		}
		switch t.text {
		case "[":
			p.i++
			i, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &indexNode{t.col, x, i}
		case ".", "->":
			p.i++
			n := p.next()
			if n.kind != 'i' {
				return nil, p.unexpected(n)
			}
			x = &fieldNode{t.col, x, n.text, t.text == "->"}
		case "(":
			return nil, &SyntaxError{t.col, "function calls are not supported"}
		default:
			return x, nil
		}
	}
}

func (p *exprParser) primary() (exprNode, error) {
	t := p.next()
	switch t.kind {
	case 'i':
		if typeKeywords[t.text] || t.text == "sizeof" {
			return nil, p.unexpected(t)
		}
		return &identNode{t.col, t.text}, nil
	case 'n':
		return parseNumber(t)
	case 'c':
		v, err := parseCharLit(t)
		if err != nil {
			return nil, err
		}
		return &intNode{c: t.col, v: v, t: charType, charText: t.text}, nil
	case 'p':
		if t.text == "(" {
			x, err := p.binary(1)
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
	}
	return nil, p.unexpected(t)
}

// parseNumber parses an integer literal (decimal, hex, octal, with
// suffixes u, l, ul, ll, ull) with the type C gives it, or a floating
// literal (suffix f for float, l for long double).
func parseNumber(t token) (exprNode, error) {
	s := strings.ToLower(t.text)
	hex := strings.HasPrefix(s, "0x")
	if !hex && strings.ContainsAny(s, ".e") || hex && strings.Contains(s, "p") {
		typ := doubleType
		switch {
		case strings.HasSuffix(s, "f"):
			typ, s = floatType, s[:len(s)-1]
		case strings.HasSuffix(s, "l"):
			typ, s = longDoubleType, s[:len(s)-1]
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, &SyntaxError{t.col, fmt.Sprintf("bad number %q", t.text)}
		}
		return &floatNode{t.col, f, typ}, nil
	}
	digits := strings.TrimRight(s, "ul")
	suffix := s[len(digits):]
	longs := strings.Count(suffix, "l")
	unsigned := strings.Count(suffix, "u")
	if unsigned > 1 || longs > 2 || longs == 2 && !strings.Contains(suffix, "ll") {
		return nil, &SyntaxError{t.col, fmt.Sprintf("bad number %q", t.text)}
	}
	base := 10
	switch {
	case hex:
		base, digits = 16, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		base, digits = 8, digits[1:]
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if errors.Is(err, strconv.ErrRange) {
		return nil, &SyntaxError{t.col, fmt.Sprintf("number %s is too large", t.text)}
	}
	if err != nil {
		return nil, &SyntaxError{t.col, fmt.Sprintf("bad number %q", t.text)}
	}
	// C11 6.4.4.1: the first type of the list that holds the value; a
	// decimal literal without u takes only signed types.
	var cands []*BaseType
	switch {
	case unsigned == 1 && longs == 0:
		cands = []*BaseType{uintType, ulongType}
	case unsigned == 1:
		cands = []*BaseType{ulongType}
		if longs == 2 {
			cands = []*BaseType{ulongLongType}
		}
	case longs == 0 && base == 10:
		cands = []*BaseType{intType, longType}
	case longs == 0:
		cands = []*BaseType{intType, uintType, longType, ulongType}
	case longs == 1 && base == 10:
		cands = []*BaseType{longType}
	case longs == 1:
		cands = []*BaseType{longType, ulongType}
	case base == 10:
		cands = []*BaseType{longLongType}
	default:
		cands = []*BaseType{longLongType, ulongLongType}
	}
	for _, c := range cands {
		bits := uint(8*c.ByteSize) - 1
		if c.K == Uint {
			bits++
		}
		if bits == 64 || v < 1<<bits {
			return &intNode{c: t.col, v: v, t: c}, nil
		}
	}
	return nil, &SyntaxError{t.col, fmt.Sprintf("number %s is too large", t.text)}
}

// parseCharLit parses 'A', '\n', '\x41', '\101' into its byte value.
func parseCharLit(t token) (uint64, error) {
	body := t.text[1 : len(t.text)-1]
	bad := &SyntaxError{t.col, fmt.Sprintf("bad character literal %s", t.text)}
	if body == "" {
		return 0, bad
	}
	if body[0] != '\\' {
		if len(body) != 1 {
			return 0, bad
		}
		return uint64(body[0]), nil
	}
	if len(body) < 2 {
		return 0, bad
	}
	switch e := body[1]; e {
	case 'x':
		v, err := strconv.ParseUint(body[2:], 16, 8)
		if err != nil {
			return 0, bad
		}
		return v, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, err := strconv.ParseUint(body[1:], 8, 8)
		if err != nil || len(body) > 4 {
			return 0, bad
		}
		return v, nil
	default:
		if len(body) != 2 {
			return 0, bad
		}
		esc := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'a': 7, 'b': 8, 'f': 12, 'v': 11, 'e': 27,
			'\\': '\\', '\'': '\'', '"': '"', '?': '?'}
		c, ok := esc[e]
		if !ok {
			return 0, bad
		}
		return uint64(c), nil
	}
}
