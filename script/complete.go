package script

import (
	"math/big"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// keywords are the Starlark keywords offered by Complete.
var keywords = []string{
	"and", "break", "continue", "def", "elif", "else", "for", "if", "in",
	"lambda", "load", "not", "or", "pass", "return", "while",
}

// Complete returns the completions of the word before the cursor, in the
// form of a line editor's word completer (liner.WordCompleter): line is
// the input line and pos the cursor position in runes; head is the text
// before the word, tail the text after the cursor, and each completion
// replaces the word.
//
// A plain name completes to the REPL's globals (or, outside the REPL, the
// predeclared names), the universal builtins and the keywords. A name
// after a dot completes to the attributes (dir()) of the value before the
// dot. That value is computed only if its expression is a chain of names,
// attributes and constant indexes, such as p.threads[0].regs: nothing is
// called at completion time. Callable values (methods, functions)
// complete with a trailing "(". Attribute look-ups run through Options.Run.
//
// The argument of help( completes without "(": help(p.peek) documents the
// method, help(p.peek()) would call it.
//
// Within a string literal that is the first argument of a call, such as
// p.break_at("ho, or an element of a list that is, such as
// p.catch_syscall(["openat", "wr, the string completes with Options.CompleteString, given
// the value of the chain before "(" (computed as above) and the text
// typed after the quote.
func (s *Session) Complete(line string, pos int) (head string, completions []string, tail string) {
	runes := []rune(line)
	pos = max(0, min(pos, len(runes)))
	before, tail := string(runes[:pos]), string(runes[pos:])

	if quote, ok := openString(before); ok {
		return before[:quote+1], s.completeString(before[:quote], before[quote+1:]), tail
	}

	start := exprStart(before)
	expr := before[start:]
	word := expr[identSuffix(expr):]
	head = before[:len(before)-len(word)]
	if word != "" && isDigit(word[0]) {
		return head, nil, tail
	}
	switch chain := expr[:len(expr)-len(word)]; {
	case chain == "":
		completions = s.completeName(word)
	case len(chain) > 1 && strings.HasSuffix(chain, "."):
		completions = s.completeAttr(chain[:len(chain)-1], word)
	}
	if callee(before[:start]) == "help" {
		for i, c := range completions {
			completions[i] = strings.TrimSuffix(c, "(")
		}
	}
	return head, completions, tail
}

// completeString completes the string literal typed after before, the
// text up to its opening quote, when it is the first argument of a call.
func (s *Session) completeString(before, prefix string) []string {
	if s.opts.CompleteString == nil || strings.ContainsRune(prefix, '\\') {
		return nil
	}
	src := callee(before)
	if src == "" {
		// An element of a list that is the first argument:
		// p.catch_syscall(["openat", "wr.
		if i := listStart(before); i > 0 {
			src = callee(before[:i])
		}
	}
	if src == "" {
		return nil
	}
	expr, err := FileOptions().ParseExpr("<complete>", src, 0)
	if err != nil {
		return nil
	}
	env := s.completionEnv()
	var names []string
	s.run(func() {
		defer func() { _ = recover() }() // a host value's failure is no completion
		if fn, ok := evalPure(expr, env); ok {
			names = s.opts.CompleteString(fn, prefix)
		}
	})
	return names
}

// listStart returns the index of the "[" that opens the list literal before
// ends in, after its elements so far (strings and numbers), or -1.
func listStart(before string) int {
	for i := len(before) - 1; i >= 0; i-- {
		switch c := before[i]; {
		case c == '[':
			return i
		case c == ']' || c == '(' || c == ')':
			return -1
		}
	}
	return -1
}

// callee returns the chain of names, attributes and indexes that is called
// by the "(" that ends before (spaces allowed after it), or "".
func callee(before string) string {
	before = strings.TrimRight(before, " \t")
	if !strings.HasSuffix(before, "(") {
		return ""
	}
	before = strings.TrimRight(before[:len(before)-1], " \t")
	return before[exprStart(before):]
}

// openString reports whether line ends within a string literal, and the
// index of its opening quote. It knows single and double quotes and
// backslash escapes, enough for the one line being typed.
func openString(line string) (quote int, ok bool) {
	var in byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case in == 0 && (c == '"' || c == '\''):
			in, quote = c, i
		case in != 0 && c == '\\':
			i++
		case in != 0 && c == in:
			in = 0
		case in == 0 && c == '#':
			return 0, false
		}
	}
	return quote, in != 0
}

// completionEnv is the REPL's globals while a REPL runs, else the session's
// predeclared names.
func (s *Session) completionEnv() starlark.StringDict {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replEnv != nil {
		return s.replEnv
	}
	return s.env
}

// completeName returns the names of the environment, the universe and
// the keywords that start with prefix.
func (s *Session) completeName(prefix string) []string {
	env := s.completionEnv()
	var names []string
	for _, dict := range []starlark.StringDict{env, starlark.Universe} {
		for name, v := range dict {
			if strings.HasPrefix(name, prefix) {
				names = append(names, withParen(name, v))
			}
		}
	}
	for _, kw := range keywords {
		if strings.HasPrefix(kw, prefix) {
			names = append(names, kw)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// completeAttr returns the attributes of the value of the expression
// src that start with prefix.
func (s *Session) completeAttr(src, prefix string) []string {
	expr, err := FileOptions().ParseExpr("<complete>", src, 0)
	if err != nil {
		return nil
	}
	env := s.completionEnv()

	var names []string
	s.run(func() {
		defer func() { _ = recover() }() // a host value's failure is no completion
		x, ok := evalPure(expr, env)
		if !ok {
			return
		}
		ha, ok := x.(starlark.HasAttrs)
		if !ok {
			return
		}
		for _, name := range ha.AttrNames() {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			v, err := ha.Attr(name)
			if err != nil {
				v = nil
			}
			names = append(names, withParen(name, v))
		}
	})
	slices.Sort(names)
	return slices.Compact(names)
}

// withParen returns name, followed by "(" if v is callable.
func withParen(name string, v starlark.Value) string {
	if _, ok := v.(starlark.Callable); ok {
		return name + "("
	}
	return name
}

// evalPure evaluates a chain of names, attributes and constant indexes
// without calling anything; ok is false for any other expression or a
// failed look-up.
func evalPure(e syntax.Expr, env starlark.StringDict) (v starlark.Value, ok bool) {
	switch e := e.(type) {
	case *syntax.Ident:
		if v, ok := env[e.Name]; ok {
			return v, true
		}
		v, ok := starlark.Universe[e.Name]
		return v, ok
	case *syntax.ParenExpr:
		return evalPure(e.X, env)
	case *syntax.DotExpr:
		x, ok := evalPure(e.X, env)
		if !ok {
			return nil, false
		}
		ha, ok := x.(starlark.HasAttrs)
		if !ok {
			return nil, false
		}
		v, err := ha.Attr(e.Name.Name)
		return v, err == nil && v != nil
	case *syntax.IndexExpr:
		x, ok := evalPure(e.X, env)
		if !ok {
			return nil, false
		}
		key, ok := constant(e.Y)
		if !ok {
			return nil, false
		}
		switch x := x.(type) {
		case starlark.Mapping:
			v, found, err := x.Get(key)
			return v, found && err == nil
		case starlark.Indexable:
			i, err := starlark.AsInt32(key)
			if err != nil {
				return nil, false
			}
			if i < 0 {
				i += x.Len()
			}
			if i < 0 || i >= x.Len() {
				return nil, false
			}
			return x.Index(i), true
		}
	}
	return nil, false
}

// constant returns the value of an int or string literal, possibly negated.
func constant(e syntax.Expr) (starlark.Value, bool) {
	switch e := e.(type) {
	case *syntax.Literal:
		switch v := e.Value.(type) {
		case int64:
			return starlark.MakeInt64(v), true
		case *big.Int:
			return starlark.MakeBigInt(v), true
		case string:
			if e.Token == syntax.STRING {
				return starlark.String(v), true
			}
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.MINUS {
			if v, ok := constant(e.X); ok {
				if i, ok := v.(starlark.Int); ok {
					return starlark.MakeInt(0).Sub(i), true
				}
			}
		}
	}
	return nil, false
}

// exprStart returns the index in s where the trailing chain of names,
// dots and bracketed indexes begins.
func exprStart(s string) int {
	i := len(s)
	for i > 0 {
		c := s[i-1]
		switch {
		case isIdentByte(c) || c == '.':
			i--
		case c == ']':
			depth := 0
			j := i - 1
			for ; j >= 0; j-- {
				if s[j] == ']' {
					depth++
				} else if s[j] == '[' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j < 0 {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

// identSuffix returns the index in s where its trailing identifier begins.
func identSuffix(s string) int {
	i := len(s)
	for i > 0 && isIdentByte(s[i-1]) {
		i--
	}
	return i
}

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
