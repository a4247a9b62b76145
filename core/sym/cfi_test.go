package sym

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	readelfFDE   = regexp.MustCompile(`FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)`)
	readelfToken = regexp.MustCompile(`r\d+ \(\w+\)|\S+`)
	dwarfRegNum  = map[string]int{"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
		"r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15, "ra": 16}
)

// TestCFIMatchesReadelf runs the CFI interpreter at every row of every FDE
// of libc, the C targets and the Go target (.debug_frame), and compares
// each rule with the table readelf --debug-dump=frames-interp prints.
func TestCFIMatchesReadelf(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("readelf not found")
	}
	files := []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", target(t, cO0), target(t, cO2), target(t, goFull)}
	for _, path := range files {
		t.Run(path[strings.LastIndexByte(path, '/')+1:], func(t *testing.T) {
			obj, err := testFiles.open(path)
			if err != nil {
				t.Skip(err)
			}
			// readelf exits 1 over a missing .gnu_debuglink file, yet prints the table.
			out, err := exec.Command("readelf", "--debug-dump=frames-interp", path).Output()
			if len(out) == 0 {
				t.Fatalf("readelf: %v", err)
			}
			cfi := obj.cfiTable()
			var (
				f      *fde
				cols   []string
				rows   int
				errors int
			)
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if strings.Contains(line, " CIE ") {
					f, cols = nil, nil
					continue
				}
				if m := readelfFDE.FindStringSubmatch(line); m != nil {
					lo, _ := strconv.ParseUint(m[1], 16, 64)
					hi, _ := strconv.ParseUint(m[2], 16, 64)
					f, cols = cfi.find(lo), nil
					if hi > lo && (f == nil || f.lo != lo || f.hi != hi) {
						t.Errorf("no FDE for %#x..%#x (found %+v)", lo, hi, f)
					}
					continue
				}
				fields := readelfToken.FindAllString(line, -1)
				if len(fields) > 1 && fields[0] == "LOC" {
					cols = fields[2:]
					continue
				}
				if f == nil || cols == nil || len(fields) != len(cols)+2 {
					continue
				}
				loc, err := strconv.ParseUint(fields[0], 16, 64)
				if err != nil {
					continue
				}
				row, err := f.rowAt(loc)
				if err != nil {
					t.Errorf("row at %#x: %v", loc, err)
					continue
				}
				rows++
				if msg := compareRow(&row, fields[1], cols, fields[2:]); msg != "" {
					if errors++; errors < 10 {
						t.Errorf("row at %#x: %s\n%s", loc, msg, line)
					}
				}
			}
			if rows < 5 {
				t.Errorf("compared only %d rows", rows)
			}
			t.Logf("%d FDEs, %d rows compared", len(cfi.fdes), rows)
		})
	}
}

// compareRow compares a row with readelf's rendering of it.
func compareRow(row *cfaRow, cfa string, cols, vals []string) string {
	if cfa == "exp" {
		if row.cfaExpr == nil {
			return "CFA is not an expression"
		}
	} else {
		reg, off, _ := strings.Cut(cfa, "+")
		n, _ := strconv.ParseInt(off, 10, 64)
		if row.cfaExpr != nil || row.cfaReg != uint64(dwarfRegNum[reg]) || row.cfaOff != n {
			return fmt.Sprintf("CFA = r%d%+d (expr %v), readelf %s", row.cfaReg, row.cfaOff, row.cfaExpr != nil, cfa)
		}
	}
	for i, col := range cols {
		reg, ok := dwarfRegNum[col]
		if !ok {
			continue
		}
		r, v := row.regs[reg], vals[i]
		var good bool
		switch {
		case v == "u":
			good = r.kind == ruleSame || r.kind == ruleUndef
		case v == "s":
			good = r.kind == ruleSame
		case v == "exp":
			good = r.kind == ruleExpr
		case v == "vexp":
			good = r.kind == ruleValExpr
		case strings.HasPrefix(v, "c"):
			n, _ := strconv.ParseInt(v[1:], 10, 64)
			good = r.kind == ruleOffset && r.off == n
		case strings.HasPrefix(v, "v"):
			n, _ := strconv.ParseInt(v[1:], 10, 64)
			good = r.kind == ruleValOffset && r.off == n
		case strings.HasPrefix(v, "r"):
			n, _ := strconv.Atoi(strings.Fields(v[1:])[0])
			good = r.kind == ruleRegister && int(r.reg) == n
		}
		if !good {
			return fmt.Sprintf("%s = %+v, readelf %s", col, r, v)
		}
	}
	return ""
}

// TestEvalExprPLT evaluates the CFA expression GCC and binutils emit for
// PLT entries: rsp+8, plus 8 once the entry has pushed its index.
func TestEvalExprPLT(t *testing.T) {
	// DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_lit11;
	// DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus
	expr := []byte{0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22}
	for _, tc := range []struct{ rip, want uint64 }{{0x1020, 0x7008}, {0x102a, 0x7008}, {0x102b, 0x7010}, {0x102f, 0x7010}} {
		var regs regSet
		regs.set(regRSP, 0x7000)
		regs.set(regRIP, tc.rip)
		got, err := evalExpr(expr, &regs, nil, 0, false)
		if err != nil || got != tc.want {
			t.Errorf("rip=%#x: CFA = %#x, %v; want %#x", tc.rip, got, err, tc.want)
		}
	}
	if _, err := evalExpr([]byte{0x22}, &regSet{}, nil, 0, false); err == nil {
		t.Errorf("plus on an empty stack did not fail")
	}
	if _, err := evalExpr([]byte{0x70, 0}, &regSet{}, nil, 0, false); err == nil {
		t.Errorf("reading an unknown register did not fail")
	}
}
