package testtarget

import "strings"

// A Variant says how a target is compiled. The zero value, Default, means
// CO0 for C and C++ targets and Go for Go targets. The C variants apply to
// C++ targets too, with g++ in place of gcc.
type Variant int

const (
	Default   Variant = iota
	CO0               // gcc -O0 -g -fno-omit-frame-pointer, PIE (the Debian default)
	CO2NoFP           // gcc -O2 -g -fomit-frame-pointer, PIE: unwinding needs CFI
	CNoPIE            // gcc -O0 -g -fno-omit-frame-pointer -no-pie -fno-pie
	Go                // go build
	GoNoDWARF         // go build -ldflags=-w: symbol table but no DWARF
	CO2DWARF4         // as CO2NoFP with -gdwarf-4: location lists in .debug_loc, not .debug_loclists
	GoNoOpt           // go build -gcflags=all=-N -l: no optimization, no inlining
)

var variantNames = [...]string{
	Default:   "default",
	CO0:       "co0",
	CO2NoFP:   "co2nofp",
	CNoPIE:    "cnopie",
	Go:        "go",
	GoNoDWARF: "gonodwarf",
	CO2DWARF4: "co2dwarf4",
	GoNoOpt:   "gonoopt",
}

func (v Variant) String() string {
	if v < 0 || int(v) >= len(variantNames) {
		return "variant(?)"
	}
	return variantNames[v]
}

// Variants returns the variants that apply to the named target, default
// first: CO0, CO2NoFP and CNoPIE for "c/..." and "cpp/..." targets, Go and GoNoDWARF for
// "go/..." targets, and nil for anything else. CO2DWARF4 and GoNoOpt are
// not listed: they are for the tests that check DWARF 4 decoding and
// unoptimized Go, which ask for them.
func Variants(name string) []Variant {
	switch lang(name) {
	case "c", "cpp":
		return []Variant{CO0, CO2NoFP, CNoPIE}
	case "go":
		return []Variant{Go, GoNoDWARF}
	}
	return nil
}

// lang returns "c", "cpp" or "go" for a target name, or "".
func lang(name string) string {
	l, _, _ := strings.Cut(name, "/")
	if l == "c" || l == "cpp" || l == "go" {
		return l
	}
	return ""
}

// resolve replaces Default by the language's default and reports whether
// v applies to targets of language l.
func (v Variant) resolve(l string) (Variant, bool) {
	if l == "cpp" {
		l = "c" // the same compiler flags, given to g++
	}
	switch {
	case v == Default && l == "c":
		return CO0, true
	case v == Default && l == "go":
		return Go, true
	case l == "c":
		return v, v == CO0 || v == CO2NoFP || v == CNoPIE || v == CO2DWARF4
	case l == "go":
		return v, v == Go || v == GoNoDWARF || v == GoNoOpt
	}
	return v, false
}

// cflags returns the compiler flags of a C variant, except the ones that
// make a position-dependent executable (see pieFlags).
func (v Variant) cflags() []string {
	flags := []string{"-g", "-pthread", "-Wall"}
	switch v {
	case CO2NoFP:
		return append(flags, "-O2", "-fomit-frame-pointer")
	case CO2DWARF4:
		return append(flags, "-gdwarf-4", "-O2", "-fomit-frame-pointer")
	default:
		return append(flags, "-O0", "-fno-omit-frame-pointer")
	}
}

// pieFlags returns the flags a C variant adds for executables only.
func (v Variant) pieFlags() []string {
	if v == CNoPIE {
		return []string{"-no-pie", "-fno-pie"}
	}
	return nil
}

// goflags returns the extra flags a Go variant passes to go build.
func (v Variant) goflags() []string {
	switch v {
	case GoNoDWARF:
		return []string{"-ldflags=-w"}
	case GoNoOpt:
		return []string{"-gcflags=all=-N -l"}
	}
	return nil
}
