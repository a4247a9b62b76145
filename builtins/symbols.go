package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"stardbg/core/sym"
)

const symbolDoc = `symbol(addr) -> struct(name, offset, file, line, module) or None

Names an address: the function (or data symbol) that covers it, the offset into
it, its source file and line when known, and the module's base name.`

const lookupDoc = `lookup(name, all=False) -> int (or list of int)

The address of a function or data symbol ("hot", "main.worker",
"libc:malloc", "counter_global"), or of a "file:line". With several matches
the first is returned (the executable's before the libraries'); all=True
returns every match. An unknown name is an error that suggests close names.`

const mapsDoc = `maps() -> list of mapping

The memory mappings of the process, as in /proc/PID/maps, in address order.
A mapping prints as a line of that file with hex addresses:
"0x7f3b2a400000-0x7f3b2a428000 r--p 0x0 /usr/lib/x86_64-linux-gnu/libc.so.6".`

const backtraceDoc = `backtrace(max=64) -> list of frame

The call stack of a stopped thread, innermost frame first, unwound with
.eh_frame/.debug_frame CFI where the code has it and with the frame-pointer
chain otherwise. Frame 0 is where the thread is; at a function's first
instruction its caller is frame 1 already. module is the base name of the
object the pc is in, and module_addr the pc as an address of that file (what
objdump shows and addr2line -e takes), for code without symbols; both None
outside any object (JIT code, a corrupt stack). A frame prints as a line of
gdb's backtrace: "#0  0x000055d1c0c011c9 in hot at hotthreads.c:26". As in
gdb, a call the compiler inlined is a frame of its own (inlined is True), before
the frame of the function that holds its code; its line is where it is, and
the next frame's line is the line of the inlined call. Frames read their
variables by name (frame.var, args, locals).`

func (p *Process) table(b *starlark.Builtin) (*sym.Table, error) {
	t, err := p.p.Symbols()
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return t, nil
}

// lookup resolves a symbol name or location to its first address.
func (p *Process) lookup(name string) (uint64, error) {
	addrs, err := p.lookupAll(name)
	if err != nil {
		return 0, err
	}
	return addrs[0], nil
}

// lookupAll resolves a function, a location or a data symbol (a global
// variable) to every address it names.
func (p *Process) lookupAll(name string) ([]uint64, error) {
	t, err := p.p.Symbols()
	if err != nil {
		return nil, err
	}
	var addrs []uint64
	if syms := t.LookupSym(name); len(syms) > 0 && syms[0].Kind == sym.SymObject {
		for _, s := range syms {
			addrs = append(addrs, s.Entry)
		}
		return addrs, nil
	}
	locs, err := t.Resolve(name)
	if err != nil {
		return nil, notLoadedYet(t, name, err)
	}
	for _, l := range locs {
		addrs = append(addrs, l.Addr)
	}
	return addrs, nil
}

// notLoadedYet turns a name that the loaded modules do not have (err) into
// "not loaded yet" when a library that the program needs and that is not
// mapped yet has it, and otherwise into the error with the names of those
// libraries among its suggestions.
func notLoadedYet(t *sym.Table, name string, err error) error {
	var nf *sym.NotFoundError
	s, perr := sym.ParseLocation(name)
	if perr != nil || !errors.As(err, &nf) {
		return err
	}
	locs, nerr := t.ResolveNeeded(s)
	if nerr != nil {
		return nerr
	}
	return fmt.Errorf("%q is in %s, which is not loaded yet: the dynamic linker maps it when the program starts (run to main first)", name, locs[0].Module)
}

func processSymbol(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var addrV starlark.Int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &addrV); err != nil {
		return nil, err
	}
	addr, err := uint64Arg(b, "address", addrV)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	t, err := p.table(b)
	if err != nil {
		return nil, err
	}
	s := t.PCToFunc(addr)
	if s == nil {
		return starlark.None, nil
	}
	file, line, _, err := t.PCToLine(addr)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	return starlarkstruct.FromStringDict(starlark.String("symbol"), starlark.StringDict{
		"name":   starlark.String(s.Name),
		"offset": starlark.MakeUint64(s.Offset),
		"file":   noneIfEmpty(file),
		"line":   orNone(starlark.MakeInt(line), line > 0),
		"module": starlark.String(s.Module),
	}), nil
}

func noneIfEmpty(s string) starlark.Value {
	if s == "" {
		return starlark.None
	}
	return starlark.String(s)
}

func processLookup(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	all := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "all?", &all); err != nil {
		return nil, err
	}
	addrs, err := recv[*Process](b).lookupAll(name)
	if err != nil {
		return nil, wrapErr(b, err)
	}
	if !all {
		return starlark.MakeUint64(addrs[0]), nil
	}
	return intList(addrs), nil
}

func processMaps(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	maps, err := sym.ReadMaps(p.p.Pid())
	if err != nil {
		return nil, wrapErr(b, err)
	}
	vs := make([]starlark.Value, len(maps))
	for i, m := range maps {
		vs[i] = &Mapping{m}
	}
	return starlark.NewList(vs), nil
}
