package builtins

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"

	"stardbg/core"
	"stardbg/internal/testtarget"
	"stardbg/script"
)

// knownGDBDiffs are the variables whose str() differs from gdb's print in
// TestFrameVarMatchesGDB, by variant, stop, frame and name, with the
// reason.
var knownGDBDiffs = map[string]string{}

// gdbPrints runs gdb in batch mode on bin and returns the output of each
// command, in order.
func gdbPrints(t *testing.T, bin string, cmds []string) []string {
	t.Helper()
	args := []string{"-batch", "-nx", "-ex", "set startup-with-shell off",
		"-ex", "unset environment LINES", "-ex", "unset environment COLUMNS"}
	for i, c := range cmds {
		args = append(args, "-ex", fmt.Sprintf("echo @@%d\\n", i), "-ex", c)
	}
	cmd := exec.Command("gdb", append(args, bin)...)
	cmd.Env = testEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	res := make([]string, len(cmds))
	cur := -1
	for _, line := range strings.Split(string(out), "\n") {
		var n int
		if _, err := fmt.Sscanf(line, "@@%d", &n); err == nil && strings.HasPrefix(line, "@@") {
			cur = n
			continue
		}
		if cur >= 0 {
			res[cur] += line + "\n"
		}
	}
	for i := range res {
		res[i] = strings.TrimRight(res[i], "\n")
	}
	return res
}

// testEnv is the environment both debuggers give the program, so that its
// stack is laid out the same under each.
func testEnv() []string { return []string{"PATH=/usr/bin:/bin", "HOME=/"} }

type printed struct {
	frame      int
	name, text string
}

// stardbgPrints stops bin at loc under stardbg, with address space
// randomization off as gdb has it, and returns str(v) of every argument
// and local of each frame of the executable, and of some globals.
func stardbgPrints(t *testing.T, bin, loc string, globals []string) []printed {
	t.Helper()
	eng := core.NewEngine()
	defer eng.Close()
	// Personality is inherited: the programs the tracer thread launches
	// get the same address space layout as under gdb.
	var perr error
	eng.Do(func() {
		_, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, addrNoRandomize, 0, 0)
		if errno != 0 {
			perr = errno
		}
	})
	if perr != nil {
		t.Skipf("personality(ADDR_NO_RANDOMIZE): %v", perr)
	}
	env := NewEnv(eng)
	defer eng.Do(func() { env.Close() })
	var got []printed
	predeclared := Predeclared()
	predeclared["record"] = starlark.NewBuiltin("record", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var p printed
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "frame", &p.frame, "name", &p.name, "text", &p.text); err != nil {
			return nil, err
		}
		got = append(got, p)
		return starlark.None, nil
	})
	// try_str(fn) is str(fn()), or gdb's <optimized out> when fn fails
	// because the variable is optimized out.
	predeclared["try_str"] = starlark.NewBuiltin("try_str", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var fn starlark.Callable
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn); err != nil {
			return nil, err
		}
		v, err := starlark.Call(th, fn, nil, nil)
		if err != nil {
			if strings.Contains(err.Error(), "is optimized out") {
				return starlark.String("<optimized out>"), nil
			}
			return nil, err
		}
		return starlark.String(v.String()), nil
	})
	envDict := starlark.NewDict(2)
	for _, kv := range testEnv() {
		k, v, _ := strings.Cut(kv, "=")
		envDict.SetKey(starlark.String(k), starlark.String(v))
	}
	predeclared["env"] = envDict
	sess := script.NewSession(script.Options{
		Predeclared: predeclared,
		Run:         eng.Do,
		InitThread:  func(th *starlark.Thread) { SetEnv(th, env) },
		Print:       func(msg string) { t.Log(msg) },
	})
	q := make([]string, len(globals))
	for i, g := range globals {
		q[i] = fmt.Sprintf("%q", g)
	}
	src := fmt.Sprintf(`
p = launch([%q], stdout="null", env=env)
p.break_at(%q)
ev = p.run()
exe = ev.thread.frame().module
for i, f in enumerate(ev.thread.backtrace()):
    if f.module != exe or f.function in ("_start",):
        break
    for v in f.args() + f.locals():
        record(i, v.name, str(v))
    for g in [%s]:
        record(i, g, try_str(lambda: f.var(g)))
p.kill()
`, bin, loc, strings.Join(q, ", "))
	if _, err := sess.ExecFile("gdbprint.star", src); err != nil {
		t.Fatal(script.FormatError(err))
	}
	return got
}

// compareWithGDB stops bin at loc under stardbg and under gdb, and compares
// str() of every variable stardbgPrints records with gdb's print of it in the
// same frame. A difference is an error unless known lists it, by key
// ("<prefix> #<frame> <name>"), in which case it is one if the two now agree.
// It returns the variables compared, and fails when there are none.
func compareWithGDB(t *testing.T, bin, loc, prefix string, globals []string, known map[string]string) []printed {
	t.Helper()
	got := stardbgPrints(t, bin, loc, globals)
	if len(got) == 0 {
		t.Fatalf("no variables at %s", loc)
	}
	cmds := []string{"break " + loc, "run"}
	frame := -1
	var idx []int
	for _, g := range got {
		if g.frame != frame {
			cmds = append(cmds, fmt.Sprintf("frame %d", g.frame))
			frame = g.frame
		}
		idx = append(idx, len(cmds))
		cmds = append(cmds, "print "+g.name)
	}
	out := gdbPrints(t, bin, cmds)
	for i, g := range got {
		_, want, ok := strings.Cut(out[idx[i]], " = ")
		if !ok {
			t.Errorf("frame %d: gdb print %s: %s", g.frame, g.name, out[idx[i]])
			continue
		}
		key := fmt.Sprintf("%s #%d %s", prefix, g.frame, g.name)
		if why, ok := known[key]; ok {
			if g.text == want {
				t.Errorf("%s: stardbg now prints as gdb does (%s): remove the known difference (%s)", key, want, why)
			}
			continue
		}
		if g.text != want {
			t.Errorf("%s:\n stardbg %s\n     gdb %s", key, g.text, want)
		}
	}
	return got
}

// TestFrameVarMatchesGDB stops c/typed at several places, at -O0 and -O2,
// and compares str() of every variable in scope in every frame of the
// program (arguments, locals, and globals seen from the frame) with what
// gdb's print says at the same stop, frame by frame.
func TestFrameVarMatchesGDB(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found: the comparison with gdb is skipped")
	}
	globals := []string{"global_counter", "global_name", "file_static", "tls_counter", "global_grid",
		"global_origin", "global_color", "global_mask", "step", "global_z"}
	for _, v := range []testtarget.Variant{testtarget.CO0, testtarget.CO2NoFP, testtarget.CO2DWARF4} {
		for _, tag := range []string{"process-inner", "recurse-base", "scaled-body", "opaque-new"} {
			if v != testtarget.CO0 && tag == "recurse-base" {
				continue // gcc -O2 turns recurse into a loop: no recursion, no line to stop at
			}
			t.Run(v.String()+"/"+tag, func(t *testing.T) {
				bin := testtarget.Build(t, "c/typed", v)
				file := "typed.c"
				if tag == "opaque-new" {
					file = "opaque.c"
				}
				loc := fmt.Sprintf("%s:%d", file, testtarget.Line(t, "c/typed/"+file, tag))
				got := compareWithGDB(t, bin, loc, fmt.Sprintf("%s %s", v, tag), globals, knownGDBDiffs)
				frames := map[int]bool{}
				for _, g := range got {
					frames[g.frame] = true
				}
				t.Logf("%d variables compared in %d frames at %s", len(got), len(frames), loc)
				if len(frames) < 2 {
					t.Errorf("only %d frames compared at %s", len(frames), loc)
				}
			})
		}
	}
}

// addrNoRandomize is ADDR_NO_RANDOMIZE of <linux/personality.h>.
const addrNoRandomize = 0x0040000
