package sym

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// nmFuncs returns the text symbols nm lists for bin: name -> addresses,
// and address -> names.
func nmFuncs(t *testing.T, bin string, dynamic bool) (map[string][]uint64, map[uint64][]string) {
	t.Helper()
	if _, err := exec.LookPath("nm"); err != nil {
		t.Skip("nm not found")
	}
	args := []string{"--defined-only"}
	if dynamic {
		args = append(args, "-D")
	}
	out, err := exec.Command("nm", append(args, bin)...).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", bin, err)
	}
	byName, byAddr := map[string][]uint64{}, map[uint64][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		kinds := "tTi"
		if dynamic {
			kinds += "W" // weak functions (write); weak data is 'V'
		}
		if len(f) != 3 || !strings.ContainsAny(f[1], kinds) {
			continue
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			continue
		}
		name, _, _ := strings.Cut(f[2], "@")
		byName[name] = append(byName[name], addr)
		byAddr[addr] = append(byAddr[addr], name)
	}
	return byName, byAddr
}

// loadBias computes a module's load bias from the maps, independently of
// the package: 0 for ET_EXEC, the start of the offset-0 mapping for ET_DYN
// objects linked at 0.
func loadBias(t *testing.T, maps []Map, path string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type == elf.ET_EXEC {
		return 0
	}
	for _, m := range maps {
		if m.Path == path && m.Offset == 0 {
			return m.Start
		}
	}
	t.Fatalf("%s is not mapped", path)
	return 0
}

// TestSymbolsAgreeWithNM checks, on a live process of each target, that
// every function nm lists resolves by name to nm's address plus the load
// bias, and that the address maps back to the same function.
func TestSymbolsAgreeWithNM(t *testing.T) {
	for _, variant := range []string{cO0, cO2, cNoPIE, goFull, goNoDW} {
		t.Run(variant, func(t *testing.T) {
			bin := target(t, variant)
			cmd := startWaiting(t, bin)
			pid := cmd.Process.Pid
			tab, err := NewTable(testFiles, pid, "", openMem(t, pid))
			if err != nil {
				t.Fatal(err)
			}
			exe := tab.Exec()
			if exe == nil || exe.Path != bin {
				t.Fatalf("Exec() = %+v, want the module of %s", exe, bin)
			}
			bias := loadBias(t, tab.Maps(), bin)
			if exe.Bias != bias {
				t.Errorf("executable bias = %#x, maps say %#x", exe.Bias, bias)
			}
			byName, byAddr := nmFuncs(t, bin, false)
			if len(byName) < 10 {
				t.Fatalf("nm lists only %d functions", len(byName))
			}
			checked := 0
			for name, addrs := range byName {
				locs, err := tab.LookupFunc(name)
				if err != nil {
					t.Errorf("LookupFunc(%q): %v", name, err)
					continue
				}
				for _, a := range addrs {
					if !hasAddr(locs, a+bias) {
						t.Errorf("LookupFunc(%q) = %s, want %#x (nm %#x + bias %#x)", name, fmtLocs(locs), a+bias, a, bias)
					}
				}
				checked++
			}
			for addr, names := range byAddr {
				s := tab.PCToFunc(addr + bias)
				if s == nil || s.Entry != addr+bias || s.Offset != 0 || !slices.Contains(names, s.Name) && !slices.Contains(names, s.Name+".abi0") {
					t.Errorf("PCToFunc(%#x) = %+v, want one of %v", addr+bias, s, names)
				}
				if s != nil && s.Size > 1 {
					if in := tab.PCToFunc(addr + bias + s.Size - 1); in == nil || in.Entry != s.Entry {
						t.Errorf("PCToFunc(%#x), the last byte of %s = %+v", addr+bias+s.Size-1, s.Name, in)
					}
				}
			}
			t.Logf("%d function names, %d addresses checked", checked, len(byAddr))
		})
	}
}

func hasAddr(locs []Location, addr uint64) bool {
	for _, l := range locs {
		if l.Addr == addr {
			return true
		}
	}
	return false
}

// TestStaticInTwoFiles checks that a name defined static in two files
// returns both, each with its own file.
func TestStaticInTwoFiles(t *testing.T) {
	for _, variant := range cVariants {
		tab, err := NewTable(testFiles, 0, target(t, variant), nil)
		if err != nil {
			t.Fatal(err)
		}
		locs, err := tab.Resolve("helper")
		if err != nil || len(locs) != 2 {
			t.Fatalf("%s: Resolve(helper) = %s, %v; want two", variant, fmtLocs(locs), err)
		}
		files := map[string]bool{}
		for _, l := range locs {
			files[l.File[strings.LastIndexByte(l.File, '/')+1:]] = true
			if l.Function != "helper" || l.Module != variant {
				t.Errorf("%s: helper location %+v", variant, l)
			}
		}
		if !files["chain.c"] || !files["other.c"] {
			t.Errorf("%s: Resolve(helper) files = %v, want chain.c and other.c", variant, files)
		}
		// file:function picks one.
		locs, err = tab.Resolve("other.c:helper")
		if err != nil || len(locs) != 1 || !strings.HasSuffix(locs[0].File, "other.c") {
			t.Errorf("%s: Resolve(other.c:helper) = %s, %v", variant, fmtLocs(locs), err)
		}
	}
}

// TestLookupSym finds a global variable, as nm places it.
func TestLookupSym(t *testing.T) {
	bin := target(t, cNoPIE)
	tab, err := NewTable(testFiles, 0, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("nm", bin).Output()
	if err != nil {
		t.Skip("nm: ", err)
	}
	var want uint64
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[2] == "sink" {
			want, _ = strconv.ParseUint(f[0], 16, 64)
		}
	}
	syms := tab.LookupSym("sink")
	if len(syms) != 1 || syms[0].Entry != want || syms[0].Kind != SymObject || syms[0].Size != 4 {
		t.Errorf("LookupSym(sink) = %+v, want an object of 4 bytes at %#x", syms, want)
	}
	if _, err := tab.LookupFunc("sink"); err == nil {
		t.Errorf("LookupFunc found the variable sink")
	}
}
