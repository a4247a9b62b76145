package sym

import (
	"fmt"
	"strconv"
	"strings"
)

// A SpecKind says what a location spec names.
type SpecKind uint8

const (
	SpecAddr   SpecKind = iota + 1 // "0x401000" (or gdb's "*0x401000")
	SpecFunc                       // "hot", "main.(*T).Method", "net/http.(*Server).Serve", "ns::f"
	SpecLine                       // "hotloop.c:42", "src/hotloop.c:42"
	SpecScoped                     // "libc:malloc", "libc.so.6:write", "hotloop.c:hot": Scope is a module or a source file
)

func (k SpecKind) String() string {
	switch k {
	case SpecAddr:
		return "address"
	case SpecFunc:
		return "function"
	case SpecLine:
		return "file:line"
	case SpecScoped:
		return "scope:function"
	}
	return "invalid"
}

// A Spec is a parsed location spec. Which of Scope names a module and
// which a source file is decided by Table.Resolve, which knows the
// modules.
type Spec struct {
	Kind  SpecKind
	Addr  uint64 // SpecAddr
	Func  string // SpecFunc, SpecScoped
	Scope string // SpecScoped: module ("libc", "libc.so.6") or source file
	File  string // SpecLine
	Line  int    // SpecLine
}

// String returns the spec in the form ParseLocation reads.
func (s Spec) String() string {
	switch s.Kind {
	case SpecAddr:
		return fmt.Sprintf("%#x", s.Addr)
	case SpecFunc:
		return s.Func
	case SpecLine:
		return s.File + ":" + strconv.Itoa(s.Line)
	case SpecScoped:
		return s.Scope + ":" + s.Func
	}
	return ""
}

// ParseLocation parses a location spec:
//
//	0x401000 or *0x401000   an address
//	hot, main.worker        a function (Go and C++ names may hold '.', '/', '(', '*', "::")
//	hotloop.c:42            a line: the part after the last colon is a number
//	libc:malloc             a function in a module, or in a source file
//
// A bare decimal number is refused: there is no current file to give it
// a meaning.
func ParseLocation(spec string) (Spec, error) {
	s := strings.TrimSpace(spec)
	bad := func(format string, args ...any) (Spec, error) {
		return Spec{}, &SpecError{Spec: spec, Reason: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return bad("empty")
	}
	if rest, ok := strings.CutPrefix(s, "*"); ok || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		rest = strings.TrimSpace(rest)
		if !ok {
			rest = s
		}
		if !isHexAddr(rest) {
			return bad("an address is a hexadecimal number like 0x401000")
		}
		a, err := strconv.ParseUint(rest[2:], 16, 64)
		if err != nil {
			return bad("address out of range")
		}
		return Spec{Kind: SpecAddr, Addr: a}, nil
	}
	if allDigits(s) {
		return bad("a line number needs a file name, as in file.c:%s", s)
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && allDigits(strings.TrimSpace(s[i+1:])) && (i == 0 || s[i-1] != ':') {
		file := strings.TrimSpace(s[:i])
		if file == "" || strings.HasSuffix(file, ":") {
			return bad("missing file name before the line number")
		}
		n, err := strconv.Atoi(strings.TrimSpace(s[i+1:]))
		if err != nil || n <= 0 || n > 1<<31-1 {
			return bad("line number out of range")
		}
		return Spec{Kind: SpecLine, File: file, Line: n}, nil
	}
	if i := singleColon(s); i >= 0 {
		scope, fn := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		if scope == "" || fn == "" || fn[0] == ':' {
			return bad("expected module:function or file:function")
		}
		return Spec{Kind: SpecScoped, Scope: scope, Func: fn}, nil
	}
	return Spec{Kind: SpecFunc, Func: s}, nil
}

func isHexAddr(s string) bool {
	if len(s) < 3 || s[0] != '0' || s[1] != 'x' && s[1] != 'X' {
		return false
	}
	for _, c := range s[2:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// singleColon returns the index of the first ':' that is not part of a
// C++ "::", or -1.
func singleColon(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if i+1 < len(s) && s[i+1] == ':' {
			i++
			continue
		}
		return i
	}
	return -1
}
