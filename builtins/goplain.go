package builtins

import (
	"errors"
	"strconv"

	"go.starlark.net/starlark"

	"stardbg/core"
	"stardbg/core/dwarfvars"
)

// plainMaxString bounds the bytes of a Go string that .value reads, and
// plainMaxRead the bytes of a slice's elements it reads (a slice of large
// elements converts to fewer than plainMaxElems).
const (
	plainMaxString = 1 << 20
	plainMaxRead   = 64 << 20
)

// conv carries what converting Go values to plain Starlark needs beside
// their bytes: the memory they refer to, and the names of functions. gone
// is set by a read that failed because of the process's state (exited,
// running, detached) rather than a bad address: the value as a whole then
// fails, as a C value read in that state does, instead of reading None.
type conv struct {
	g    *dwarfvars.GoReader
	sym  func(addr uint64) string
	gone error
}

// goneCtx notes in its conv the reads that fail because of the process's
// state.
type goneCtx struct {
	dwarfvars.Context
	c *conv
}

func (g goneCtx) ReadMem(addr uint64, b []byte) error {
	err := g.Context.ReadMem(addr, b)
	if err != nil && g.c.gone == nil && processStateError(err) {
		g.c.gone = err
	}
	return err
}

// processStateError reports whether err says the process cannot be read
// at all now, whatever the address.
func processStateError(err error) bool {
	var ee *core.ExitedError
	return errors.As(err, &ee) || errors.Is(err, core.ErrRunning) || errors.Is(err, core.ErrDetached)
}

// goReader returns a reader of what v's Go value refers to.
func (v *Value) goReader() *dwarfvars.GoReader {
	return &dwarfvars.GoReader{Data: v.data, Ctx: v.ctx, Bias: v.ctx.Env().Bias}
}

// conv returns the converter of v's plain value.
func (v *Value) conv() *conv {
	if !dwarfvars.IsGo(v.typ) {
		return nil
	}
	c := &conv{g: v.goReader(), sym: v.proc.funcName}
	c.g.Ctx = goneCtx{c.g.Ctx, c}
	return c
}

// funcName names the function at entry address addr, or "".
func (p *Process) funcName(addr uint64) string {
	tab, err := p.p.Symbols()
	if err != nil {
		return ""
	}
	if s := tab.PCToFunc(addr); s != nil {
		return s.Name
	}
	return ""
}

// readAt reads n bytes at addr, or nil.
func (c *conv) readAt(addr uint64, n int64) []byte {
	if n < 0 || n > 1<<30 {
		return nil
	}
	b := make([]byte, n)
	if err := c.g.Ctx.ReadMem(addr, b); err != nil {
		return nil
	}
	return b
}

// plainGo converts a value of a Go kind (string, slice, map, interface,
// chan, func), and reports false for any other type. A part that cannot
// be read converts to None.
func (c *conv) plainGo(t dwarfvars.Type, b []byte, depth int) (starlark.Value, bool) {
	if c == nil {
		return nil, false
	}
	switch u := dwarfvars.Underlying(t).(type) {
	case *dwarfvars.StringType:
		s, _, err := c.g.String(u, b, plainMaxString)
		if err != nil {
			return starlark.None, true
		}
		return starlark.String(s), true
	case *dwarfvars.SliceType:
		if depth >= plainMaxDepth {
			return starlark.None, true
		}
		ptr, n, _ := dwarfvars.SliceHeader(u, b)
		es := u.Elem.Size()
		n = min(n, plainMaxElems)
		if es > 0 {
			n = min(n, max(1, plainMaxRead/es)) // one read, of at most plainMaxRead bytes
		}
		out := []starlark.Value{}
		if n > 0 && es > 0 {
			data := c.readAt(ptr, n*es)
			if data == nil {
				return starlark.None, true
			}
			for off := int64(0); off+es <= int64(len(data)); off += es {
				out = append(out, plainOf(c, u.Elem, data[off:off+es], depth+1))
			}
		}
		return starlark.NewList(out), true
	case *dwarfvars.MapType:
		if depth >= plainMaxDepth {
			return starlark.None, true
		}
		d := starlark.NewDict(0)
		err := c.g.MapEntries(u, b, func(e dwarfvars.MapEntry) (bool, error) {
			kb, vb := c.readAt(e.Key, u.Key.Size()), c.readAt(e.Elem, u.Elem.Size())
			if kb == nil || vb == nil {
				return false, errors.New("unreadable entry")
			}
			k := mapKeyString(c, u.Key, kb)
			if err := d.SetKey(k, plainOf(c, u.Elem, vb, depth+1)); err != nil {
				return false, err
			}
			return d.Len() < plainMaxElems, nil
		})
		if err != nil {
			return starlark.None, true
		}
		return d, true
	case *dwarfvars.InterfaceType:
		dyn, addr, direct, err := c.g.Dynamic(u, b)
		if err != nil || dyn == nil {
			return starlark.None, true
		}
		if direct == nil {
			if direct = c.readAt(addr, dyn.Size()); direct == nil {
				return starlark.None, true
			}
		}
		return plainOf(c, dyn, direct, depth), true
	case *dwarfvars.ChanType:
		return starlark.MakeUint64(readU(b)), true
	case *dwarfvars.GoFuncType:
		pc, err := c.g.FuncEntry(b)
		if err != nil || pc == 0 {
			return starlark.None, true
		}
		return starlark.String(c.sym(pc)), true
	}
	return nil, false
}

// mapKeyString is a map key as .value's dict holds it: a string as it is,
// any other key as text (integers in decimal, as encoding/json writes
// them; other kinds as str() prints them).
func mapKeyString(c *conv, t dwarfvars.Type, b []byte) starlark.String {
	switch k := plainOf(c, t, b, plainMaxDepth-1).(type) {
	case starlark.String:
		return k
	case starlark.Int:
		return starlark.String(k.String())
	case starlark.Bool:
		return starlark.String(strconv.FormatBool(bool(k)))
	}
	return starlark.String(c.format(t, b))
}
