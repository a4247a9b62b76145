package sym

import (
	"errors"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
	}{
		{"0x401000", Spec{Kind: SpecAddr, Addr: 0x401000}},
		{"*0X7fFF", Spec{Kind: SpecAddr, Addr: 0x7fff}},
		{" 0xffffffffffffffff ", Spec{Kind: SpecAddr, Addr: ^uint64(0)}},
		{"hot", Spec{Kind: SpecFunc, Func: "hot"}},
		{"main.worker", Spec{Kind: SpecFunc, Func: "main.worker"}},
		{"main.(*T).Method", Spec{Kind: SpecFunc, Func: "main.(*T).Method"}},
		{"net/http.(*Server).Serve", Spec{Kind: SpecFunc, Func: "net/http.(*Server).Serve"}},
		{"ns::Class::method", Spec{Kind: SpecFunc, Func: "ns::Class::method"}},
		{"hotloop.c:42", Spec{Kind: SpecLine, File: "hotloop.c", Line: 42}},
		{"/build/src/hotloop.c:7", Spec{Kind: SpecLine, File: "/build/src/hotloop.c", Line: 7}},
		{"src/a:b.c:3", Spec{Kind: SpecLine, File: "src/a:b.c", Line: 3}},
		{"libc.so.6:malloc", Spec{Kind: SpecScoped, Scope: "libc.so.6", Func: "malloc"}},
		{"libc:malloc", Spec{Kind: SpecScoped, Scope: "libc", Func: "malloc"}},
		{"libfoo.so:ns::f", Spec{Kind: SpecScoped, Scope: "libfoo.so", Func: "ns::f"}},
		{"hotloop.c:hot", Spec{Kind: SpecScoped, Scope: "hotloop.c", Func: "hot"}},
		{"type:.eq.main.T", Spec{Kind: SpecScoped, Scope: "type", Func: ".eq.main.T"}},
	} {
		got, err := ParseLocation(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "  ", "42", "*", "*hot", "0x", "0xgood", "0x12:f", "0x1ffffffffffffffff", "file.c:0", ":12", "lib:", ":f", "file.c:99999999999"} {
		if s, err := ParseLocation(bad); !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseLocation(%q) = %+v, %v; want ErrBadSpec", bad, s, err)
		}
	}
}

// FuzzParseLocation checks that parsing never panics and that a parsed
// spec prints to a string that parses back to itself.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"0x401000", "hot", "main.(*T).Method", "hotloop.c:42", "libc:malloc", "ns::f", "a:b::c", "*0x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseLocation(in)
		if err != nil {
			if !errors.Is(err, ErrBadSpec) {
				t.Fatalf("ParseLocation(%q) error %v is not ErrBadSpec", in, err)
			}
			return
		}
		again, err := ParseLocation(s.String())
		if err != nil || again != s {
			t.Fatalf("ParseLocation(%q) = %+v, printed %q, parsed back as %+v, %v", in, s, s.String(), again, err)
		}
	})
}
