package dwarfvars

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// stopEnv evaluates expressions in frame f of a program stopped by gdb
// (see gdbStop).
type stopEnv struct {
	d    *Data
	f    *Frame
	pc   uint64
	env  Env
	stop *gdbStop
}

func (s *stopEnv) Ident(name string) (*Object, error) {
	v, err := s.d.LookupVar(s.f, name)
	if err != nil {
		return nil, err
	}
	loc, err := s.d.Location(v, s.f, s.pc, s.env)
	if err != nil {
		return nil, err
	}
	o := &Object{Type: v.Type, Loc: loc}
	if _, ok := loc.Addr(); !ok {
		if o.Bytes, err = ReadBytes(loc, v.Type.Size(), s.env.Ctx); err != nil {
			return nil, fmt.Errorf("%q: %w", name, err)
		}
	}
	return o, nil
}

func (s *stopEnv) ReadMem(addr uint64, b []byte) error { return s.stop.ReadMem(addr, b) }

func (s *stopEnv) LookupType(name string) (Type, error) { return s.d.LookupType(name) }

// gdbExprs are the expressions TestEvalMatchesGDB evaluates at the return
// of process() in c/typed, where o points to main's order and n is 3.
var gdbExprs = []string{
	// integer literals, their types, and arithmetic with C's conversions
	"1 + 2 * 3", "(1 + 2) * 3", "-7 / 2", "-7 % 3", "7u / 2", "5 % 3", "0x10 + 010",
	"0xffffffff", "4294967295", "3000000000", "0x7fffffff + 1", "1u - 2", "2147483647 + 1u",
	"-1 < 0u", "-1 < 0", "-1L < 0u", "-1 < 0ul", "1ul << 40", "-16 >> 2", "(unsigned int)-1 >> 1",
	"~0", "~0u", "!5", "!0", "1LL + 1L", "1ul + 1ll", "-2147483648",
	// casts: truncation, sign and typedefs
	"(unsigned char)300", "(signed char)200", "(short)70000", "(uint_t)-1", "(char)global_counter",
	"(long)3.99", "(unsigned char)-1.5 + 0", "(_Bool)0x100",
	// char and floating literals
	"'A'", "'\\n'", "'\\x41'", "'\\101'", "'A' + 1", "'z' - 'a'", "1.5e3", "2.5f", "10 / 3.0", "(float)1 / 3",
	"1.0f + 1", ".5 * 4",
	// sizeof
	"sizeof(struct order)", "sizeof o->name", "sizeof(int[4])", "sizeof global_grid", "sizeof(order_t *)",
	"sizeof *o", "sizeof(unsigned char)", "sizeof o->grid[1]", "sizeof(long double)", "sizeof 'A'",
	// fields through pointers, arrays, pointer arithmetic
	"o->where.x + o->where.y", "o->grid[1][2]", "o->path[1].y", "(*o).id", "o->path->x", "*o->path",
	"&o->path[1] - o->path", "global_grid[3] * global_grid[2]", "*(global_grid + 2)",
	"&global_grid[3] - &global_grid[0]", "global_grid + 1 > global_grid", "&global_grid[1] == global_grid + 1",
	"o->path + 1", "(char *)(o->path + 1) - (char *)o->path", "(long)&o->where - (long)o",
	"o->flags.mode * 2 + o->flags.delta", "o->flags.mode - 6", "o->flags.delta", "o->flags.tag", "o->flags.ready",
	"o->small * 2u", "-o->small", "o->big >> 8", "o->ratio * 3", "o->ratio + 1.0", "o->precise * 2",
	"o->precise", "global_mask | 0x100", "global_color + 1", "global_color == 6", "o->color",
	"o->range.lo + o->range.hi", "o->as_long", "o->name[0]", "*o->label", "o->label[1] == 'r'",
	"o->name", "global_origin", "*o", "o->where", "o->amount.bytes[1]", "*(unsigned char *)&o->amount",
	"(struct order *)global_order", "((struct order *)o)->name", "(order_t *)o == global_order",
	"*(order_t *)o", "(unsigned long)o % 8", "*global_message", "global_message->body[4]",
	// comparisons and logic, short-circuit
	"o->id > 5 && o->done", "o->id < 5 || global_order == 0", "global_order == o", "o->combine == global_op",
	"global_op", "o->combine", "0 && *(int *)0", "1 || *(int *)0", "n * -1", "total / n", "n > 2 == 1",
	"(order_cref)o == o", "(point_t *)o->path", "*(point_t *)o->path", "(char)'\\x41'", "o->small < 0u",
	"o->small < 0", "(unsigned short)-1 < 0", "(unsigned short)-1 + 0", "global_grid", "&global_grid", "*&global_grid",
	"o->name + 1", "*(o->name + 2)", "(long)(o->path + 1) - (long)o->path", "o->grid[1] - o->grid[0]",
	"(unsigned long)-1 / 3", "(signed char)o->flags.tag", "global_color", "(enum color)5", "(enum color)1",
	"o->label", "global_name", "!global_name", "global_order->where.y / 3.0f", "o->done + o->done",
	"global_secret != 0", "1.5 / 0", "-1 / 0.0", "sizeof *(int *)0", "sizeof ((struct order *)0)->name",
	"&((struct order *)0)->flags", "(unsigned long)&((order_t *)0)->grid[1][2]", "&*global_order", "o->ticks", "tls_counter", "file_static * step",
}

// knownEvalDiffs are the expressions of TestEvalMatchesGDB that stardbg
// evaluates or prints differently from gdb, with the reason.
var knownEvalDiffs = map[string]string{
	"1LL + 1L": "C11 6.3.1.8 gives the operand of greater rank, long long; gdb's binop_promote picks the " +
		"8-byte type by size and calls it long",
	"1ul + 1ll": "C11 6.3.1.8: long long has the greater rank but cannot hold every unsigned long, so the result is " +
		"unsigned long long; gdb picks by size and says unsigned long",
	"o->flags.mode * 2 + o->flags.delta": bitfieldPromotion,
	"o->flags.mode - 6":                  bitfieldPromotion,
	"o->done + o->done":                  "gdb refuses arithmetic on _Bool (Invalid operation on booleans.); C promotes _Bool to int: 2",
	// As in knownPrintDiffs: n's location at -O2 is DW_OP_entry_value(rsi),
	// which gdb recovers from the caller's call-site parameters.
	"co2nofp n * -1":     nEntryValue,
	"co2nofp total / n":  nEntryValue,
	"co2nofp n > 2 == 1": nEntryValue,
	// The same with DWARF 4: DW_OP_GNU_entry_value, DW_TAG_GNU_call_site.
	"co2dwarf4 n * -1":     nEntryValue,
	"co2dwarf4 total / n":  nEntryValue,
	"co2dwarf4 n > 2 == 1": nEntryValue,
}

const bitfieldPromotion = "mode is an unsigned int bitfield of 3 bits: C11 6.3.1.1 (and gcc) promote it to int, " +
	"gdb keeps unsigned int (mode - 6 is -1 in C, 4294967295 in gdb)"

const nEntryValue = "n is DW_OP_entry_value(rsi) at -O2: gdb reads the caller's call site, stardbg says optimized out"

// gdbSizeofType is the type gdb gives sizeof, where C (and stardbg) give
// size_t, unsigned long on LP64: the values agree.
const gdbSizeofType = "int"

var gdbDataSymRE = regexp.MustCompile(`^(\(.*(?:\*|\[\d*\])\) 0x[0-9a-f]+) <[^>]+>$`)

// TestEvalMatchesGDB stops c/typed at the return of process() under gdb,
// and compares for each of gdbExprs the value gdb's print shows and the
// type its whatis names with what Eval computes from gdb's own dump of
// the process.
func TestEvalMatchesGDB(t *testing.T) {
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP, testtarget.CO2DWARF4} {
		t.Run(v.String(), func(t *testing.T) {
			d, bin, loc, pc, f := processReturn(t, v)
			var cmds []string
			for _, e := range gdbExprs {
				cmds = append(cmds, "print "+e, "whatis "+e)
			}
			cmds = append(cmds, "print 0") // so that gdb's status is not that of a failed last command
			stop, out := gdbStopAt(t, d, bin, loc, cmds)
			env := &stopEnv{d: d, f: f, pc: pc, env: Env{Ctx: stop, Bias: stop.bias}, stop: stop}
			p := &Printer{ReadMem: stop.ReadMem, Symbol: stop.symbol}
			for i, e := range gdbExprs {
				_, wantVal, ok1 := strings.Cut(out[2*i], " = ")
				_, wantType, ok2 := strings.Cut(out[2*i+1], "type = ")
				if !ok1 || !ok2 {
					// gdb fails (an optimized-out variable): so must Eval,
					// unless the difference is known.
					if _, err := EvalExpr(e, env); err == nil && knownEvalDiffs[e] == "" {
						t.Errorf("%s: gdb fails (%s), Eval does not", e, out[2*i])
					}
					continue
				}
				if strings.HasPrefix(e, "sizeof") && wantType == gdbSizeofType {
					wantType = "unsigned long"
				}
				// Printer does not name the data symbol a pointer points
				// into, as gdb does (<global_grid+4>); only that is cut.
				wantVal = gdbDataSymRE.ReplaceAllString(wantVal, "$1")
				var got, gotType string
				o, err := EvalExpr(e, env)
				if err != nil {
					got = "error: " + err.Error()
				} else {
					addr, _ := o.Addr()
					got, gotType = p.Format(o.Type, o.Bytes, addr), o.Type.String()
				}
				why, ok := knownEvalDiffs[e]
				if !ok {
					why, ok = knownEvalDiffs[v.String()+" "+e]
				}
				if ok {
					if got == wantVal && gotType == wantType {
						t.Errorf("%s: now agrees with gdb (%s): the known difference (%s) is gone: update knownEvalDiffs", e, got, why)
					}
					continue
				}
				if got != wantVal || gotType != wantType {
					t.Errorf("%s:\n got %s (%s)\n gdb %s (%s)", e, got, gotType, wantVal, wantType)
				}
			}
		})
	}
}
