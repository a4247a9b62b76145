package builtins

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

const frameEvalDoc = `eval(expr) -> value

The value of a C expression in the frame's scope: its names are looked up as
var() looks them up (locals, arguments, the file's statics, globals), then
functions (add is the function, &add and add its address). C syntax:
integer, char and floating literals, . and -> (either one reads through a
pointer), [], unary * & - ! ~, casts to any type the program knows
("(struct order *)addr"), sizeof, arithmetic, comparison and logical
operators with C's precedence and conversions, and parentheses. The value is
named expr; one that designates an object (o->where, *p, a[2]) has its addr
and can be written: f.eval("o->where").x = 3. A syntax error names the
column; an unknown name fails with the closest names in scope.

In a Go function the expression is Go: names as var() finds them, then
package globals by qualified name (main.config, "net/http".DefaultClient),
fields through pointers and embedded fields (o.Items[2].Name), indexing of
arrays, slices, strings (a byte) and maps (m["key"], m[3]), *p, &x, len(x)
and cap(x), literals, unary - and !, and arithmetic, comparison and logical
operators on numbers, bools and strings. Conversions, type assertions,
slicing and calls of the program's functions are not supported.`

const processEvalDoc = `eval(expr) -> value

The value of a C expression over the program's globals and file statics (a
name of several files fails and lists them), with the syntax of frame.eval;
in a Go program, a Go expression over its package globals (main.config).`

// evalEnv is a dwarfvars.ExprEnv over a stopped frame (fr set) or the
// globals of a process (mods set).
type evalEnv struct {
	fr    *Frame
	sc    *dwarfvars.Frame
	mods  []core.VarModule
	ctx   *core.DataContext
	data  *dwarfvars.Data
	proc  *Process
	where string
}

func (e *evalEnv) ReadMem(addr uint64, b []byte) error { return e.ctx.ReadMem(addr, b) }

func (e *evalEnv) LookupType(name string) (dwarfvars.Type, error) {
	if e.fr != nil {
		return e.data.LookupType(name)
	}
	var firstErr error
	for _, m := range e.mods {
		t, err := m.Vars.LookupType(name)
		if err == nil {
			return t, nil
		}
		if firstErr == nil || (errors.Is(firstErr, dwarfvars.ErrNoType) && !errors.Is(err, dwarfvars.ErrNoType)) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no type %q: %w", name, dwarfvars.ErrNoType)
	}
	return nil, firstErr
}

func (e *evalEnv) Ident(name string) (*dwarfvars.Object, error) {
	var o *dwarfvars.Object
	var err error
	if e.fr != nil {
		o, err = e.frameIdent(name)
	} else {
		o, err = e.globalIdent(name)
	}
	if errors.Is(err, errNoVariable) {
		if fo, ok := e.funcIdent(name); ok {
			return fo, nil
		}
	}
	return o, err
}

// errNoVariable marks the error of a name that is no variable, which may
// still be a function.
var errNoVariable = errors.New("no variable")

type noVariableError struct{ msg string }

func (e *noVariableError) Error() string        { return e.msg }
func (e *noVariableError) Is(target error) bool { return target == errNoVariable }

// funcIdent returns the function called name, with its DWARF type, as an
// object at its entry address.
func (e *evalEnv) funcIdent(name string) (*dwarfvars.Object, bool) {
	tab, err := e.proc.p.Symbols()
	if err != nil {
		return nil, false
	}
	locs, err := tab.LookupFunc(name)
	if err != nil || len(locs) == 0 {
		return nil, false
	}
	addr := locs[0].Addr
	mods := e.mods
	if mods == nil {
		if mods, err = e.proc.p.VarModules(e.proc.mainThread()); err != nil {
			return nil, false
		}
	}
	for _, m := range mods {
		if m.Module != tab.ModuleAt(addr) {
			continue
		}
		frs, err := m.Vars.FramesAt(addr - m.Module.Bias)
		if err != nil || len(frs) == 0 {
			return nil, false
		}
		fn := frs[len(frs)-1]
		ft := &dwarfvars.FuncType{Return: fn.Return, Prototyped: true}
		for _, p := range fn.Params {
			ft.Params = append(ft.Params, p.Type)
		}
		return &dwarfvars.Object{Type: ft, Loc: dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.InMemory, Addr: addr}}}}, true
	}
	return nil, false
}

func (e *evalEnv) frameIdent(name string) (*dwarfvars.Object, error) {
	fr := e.fr
	v, err := fr.vf.Vars.LookupVar(e.sc, name)
	var nf *dwarfvars.NotFoundError
	if errors.As(err, &nf) {
		return nil, &noVariableError{notFoundMsg(name, fr.where(), nf)}
	}
	if err != nil {
		return nil, err
	}
	val, err := fr.varValue(v)
	if err != nil {
		return nil, err
	}
	return e.object(name, val)
}

func (e *evalEnv) globalIdent(name string) (*dwarfvars.Object, error) {
	var found []*Value
	var units []string
	for _, m := range e.mods {
		vs, err := m.Vars.Globals(name)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			loc, err := m.Vars.Location(v, nil, 0, m.Ctx.Env())
			if err != nil {
				return nil, err
			}
			found = append(found, newValue(name, v.Type, loc, m.Ctx, m.Vars, e.proc, ""))
			units = append(units, v.Unit)
		}
	}
	switch {
	case len(found) == 0:
		return nil, &noVariableError{fmt.Sprintf("no global or static variable %q", name)}
	case len(found) > 1:
		sort.Strings(units)
		return nil, fmt.Errorf("%q is defined in several files (%s)", name, strings.Join(units, ", "))
	}
	return e.object(name, found[0])
}

// object makes the expression object of variable val: its location, and
// its bytes when it is not in memory.
func (e *evalEnv) object(name string, val *Value) (*dwarfvars.Object, error) {
	if val.loc.OptimizedOut() {
		return nil, fmt.Errorf("%q is optimized out%s", name, val.at())
	}
	o := &dwarfvars.Object{Type: val.typ, Loc: val.loc}
	if _, ok := val.loc.Addr(); !ok {
		if n := val.typ.Size(); n >= 0 {
			b, err := dwarfvars.ReadBytes(val.loc, n, val.ctx)
			if errors.Is(err, dwarfvars.ErrOptimizedOut) {
				return nil, fmt.Errorf("%q is optimized out%s", name, val.at())
			}
			if err != nil {
				return nil, fmt.Errorf("reading %q: %w", name, err)
			}
			o.Bytes = b
		}
	}
	return o, nil
}

// value makes the Starlark value of an expression's result, named expr:
// where it lies (memory or registers, so that it can be written), or its
// computed bytes.
func (e *evalEnv) value(expr string, o *dwarfvars.Object) starlark.Value {
	v := newValue(expr, o.Type, o.Loc, e.ctx, e.data, e.proc, e.where)
	v.bitSize, v.bitOffset = o.BitSize, o.BitOffset
	if len(o.Loc.Pieces) == 0 && o.Bytes != nil {
		v.loc = dwarfvars.Location{Pieces: []dwarfvars.Piece{{Kind: dwarfvars.Implicit, Bytes: o.Bytes}}}
	}
	return v.starlark()
}

// notFoundMsg is the message of an unknown name in a frame's scope, with
// the closest names in scope.
func notFoundMsg(name, where string, nf *dwarfvars.NotFoundError) string {
	msg := fmt.Sprintf("no variable %q in scope at %s", name, where)
	if len(nf.Suggestions) > 0 {
		q := make([]string, len(nf.Suggestions))
		for i, s := range nf.Suggestions {
			q[i] = fmt.Sprintf("%q", s)
		}
		msg += " (did you mean " + strings.Join(q, " or ") + "?)"
	}
	return msg
}

func frameEval(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var expr string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "expr", &expr); err != nil {
		return nil, err
	}
	fr := recv[*Frame](b)
	sc, err := fr.scope(b)
	if err != nil {
		return nil, err
	}
	env := &evalEnv{fr: fr, sc: sc, ctx: fr.vf.Ctx, data: fr.vf.Vars, proc: fr.proc, where: fr.where()}
	eval := dwarfvars.EvalExpr
	if sc.IsGo() {
		eval = dwarfvars.EvalGoExpr // the frame's language (DW_AT_language) picks the syntax
	}
	o, err := eval(expr, env)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return env.value(expr, o), nil
}

func processEval(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var expr string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "expr", &expr); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	mods, err := p.varModules(b)
	if err != nil {
		return nil, err
	}
	if len(mods) == 0 {
		return nil, errorf(b, "the program has no debug information")
	}
	env := &evalEnv{mods: mods, ctx: mods[0].Ctx, data: mods[0].Vars, proc: p}
	eval := dwarfvars.EvalExpr
	if mods[0].Vars.IsGoProgram() {
		eval = dwarfvars.EvalGoExpr
	}
	o, err := eval(expr, env)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return env.value(expr, o), nil
}
