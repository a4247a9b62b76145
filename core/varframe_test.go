package core

import (
	"encoding/binary"
	"errors"
	"strconv"
	"testing"

	"stardbg/core/dwarfvars"
	"stardbg/internal/testtarget"
)

// readVar reads an integer variable by name in frame f, from the
// function's entry registers when entry is set.
func readVar(t *testing.T, f *VarFrame, name string, entry bool) (uint64, error) {
	t.Helper()
	if f.Vars == nil {
		t.Fatalf("frame %d (%s) has no DWARF: %v", f.Index, f.Function, f.VarsErr)
	}
	pc := f.LinkPC()
	scopes, err := f.Vars.FramesAt(pc)
	if err != nil {
		t.Fatalf("frame %d: FramesAt(%#x): %v", f.Index, pc, err)
	}
	sc := scopes[0]
	v, err := f.Vars.LookupVar(sc, name)
	if err != nil {
		t.Fatalf("frame %d: %v", f.Index, err)
	}
	var loc dwarfvars.Location
	if entry {
		locs, err := dwarfvars.EntryLocations(sc, f.Ctx.Env())
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range sc.Params {
			if p == v {
				loc = locs[i]
			}
		}
	} else if loc, err = f.Vars.Location(v, sc, pc, f.Ctx.Env()); err != nil {
		t.Fatal(err)
	}
	b, err := dwarfvars.ReadBytes(loc, v.Type.Size(), f.Ctx)
	if err != nil {
		return 0, err
	}
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:]), nil
}

// TestVarFramesOuterFrame stops in notify, called by process, and reads
// process's variables in frame 1 with the registers the unwinder
// recovered: at -O2 they live in callee-saved registers, at -O0 on the
// stack. The values must agree with notify's arguments (read where the
// ABI passed them) and with what the program prints.
func TestVarFramesOuterFrame(t *testing.T) {
	for _, variant := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP} {
		t.Run(variant.String(), func(t *testing.T) {
			bin := testtarget.Build(t, "c/typed", variant)
			e := newEngine(t)
			p := launch(t, e, bin)
			if _, err := p.BreakAt("notify", nil); err != nil {
				t.Fatal(err)
			}
			if err := p.Continue(); err != nil {
				t.Fatal(err)
			}
			th := waitKind(t, p.Process, EventBreakpoint).Thread
			frames, err := th.VarFrames(16)
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) < 3 || frames[0].Function != "notify" || frames[1].Function != "process" {
				t.Fatalf("frames: %+v", frames)
			}
			if frames[0].Module == nil || !frames[0].Module.Exec || frames[0].LinkPC() != frames[0].PC-frames[0].Module.Bias {
				t.Fatalf("frame 0 module %+v, link pc %#x", frames[0].Module, frames[0].LinkPC())
			}
			if frames[0].Vars != frames[1].Vars {
				t.Errorf("two data models for one executable")
			}
			why, err := readVar(t, frames[0], "why", true)
			if err != nil {
				t.Fatal(err)
			}
			o, err := readVar(t, frames[0], "o", true)
			if err != nil {
				t.Fatal(err)
			}
			total, err := readVar(t, frames[1], "total", false)
			if err != nil {
				t.Fatalf("frame 1 total: %v", err)
			}
			outerO, err := readVar(t, frames[1], "o", false)
			if err != nil {
				t.Fatalf("frame 1 o: %v", err)
			}
			if int32(total) != int32(why) || outerO != o {
				t.Errorf("frame 1: total=%d o=%#x; notify got why=%d o=%#x", int64(total), outerO, int32(why), o)
			}

			mods, err := p.VarModules(th)
			if err != nil {
				t.Fatal(err)
			}
			if len(mods) == 0 || !mods[0].Module.Exec {
				t.Fatalf("modules with DWARF: %+v", mods)
			}
			vs, err := mods[0].Vars.Globals("global_order")
			if err != nil || len(vs) != 1 {
				t.Fatalf("global_order: %v %v", vs, err)
			}
			loc, err := mods[0].Vars.Location(vs[0], nil, 0, mods[0].Ctx.Env())
			if err != nil {
				t.Fatal(err)
			}
			b, err := dwarfvars.ReadBytes(loc, 8, mods[0].Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if g := binary.LittleEndian.Uint64(b); g != o {
				t.Errorf("global_order = %#x, notify's o = %#x", g, o)
			}

			// rax is clobbered by calls: known in frame 0, unknown in frame 1.
			if _, err := frames[0].Ctx.Reg(0); err != nil {
				t.Errorf("frame 0 rax: %v", err)
			}
			if v, err := frames[1].Ctx.Reg(0); !errors.Is(err, dwarfvars.ErrUnavailable) {
				t.Errorf("frame 1 rax = %#x, %v; want unavailable", v, err)
			}
			if err := frames[1].Ctx.SetReg(3, 1); !errors.Is(err, ErrOuterRegister) {
				t.Errorf("writing rbx of frame 1: %v, want ErrOuterRegister", err)
			}
			runToSuccess(t, p.Process)
			if got := kv(t, p.output(t), "total"); got != strconv.Itoa(int(int32(why))) {
				t.Errorf("program printed total=%s, frame 1 read %d", got, int32(why))
			}
		})
	}
}

// TestVarFramesWriteRegister writes an argument held in a register of
// frame 0 and sees the program use the new value.
func TestVarFramesWriteRegister(t *testing.T) {
	bin := testtarget.Build(t, "c/typed", testtarget.CO2NoFP)
	e := newEngine(t)
	p := launch(t, e, bin)
	if _, err := p.BreakAt("process", nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Continue(); err != nil {
		t.Fatal(err)
	}
	th := waitKind(t, p.Process, EventBreakpoint).Thread
	frames, err := th.VarFrames(4)
	if err != nil {
		t.Fatal(err)
	}
	n, err := readVar(t, frames[0], "n", true)
	if err != nil || n != 3 {
		t.Fatalf("n = %d, %v; want 3", n, err)
	}
	if err := frames[0].Ctx.SetReg(4, 1); err != nil { // rsi: the second argument
		t.Fatal(err)
	}
	if n, err := readVar(t, frames[0], "n", true); err != nil || n != 1 {
		t.Fatalf("n after the write = %d, %v; want 1", n, err)
	}
	if got, err := th.Reg(RSI); err != nil || got != 1 {
		t.Fatalf("rsi = %d, %v", got, err)
	}
	runToSuccess(t, p.Process)
	// With n = 1, process adds grid[0][0] + 0 = 0, scaled(10, 1) = 17,
	// add(mode 5, delta -3) = 2: total 19.
	if got := kv(t, p.output(t), "total"); got != "19" {
		t.Errorf("total=%s, want 19 after n was set to 1", got)
	}
}
