package builtins

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unsafe"

	"go.starlark.net/starlark"

	"stardbg/core"
)

// addrArg is an address argument: an int, or a string naming a symbol.
type addrArg struct{ v starlark.Value }

func (a *addrArg) Unpack(v starlark.Value) error {
	switch v.(type) {
	case starlark.Int, starlark.String:
		a.v = v
		return nil
	}
	return fmt.Errorf("want an address (int) or a symbol name (string), got %s", v.Type())
}

// addr resolves the argument in process p.
func (a addrArg) addr(b *starlark.Builtin, p *Process) (uint64, error) {
	switch v := a.v.(type) {
	case starlark.Int:
		return uint64Arg(b, "address", v)
	case starlark.String:
		addr, err := p.lookup(string(v))
		if err != nil {
			return 0, wrapErr(b, err)
		}
		return addr, nil
	}
	return 0, errorf(b, "missing address")
}

// uint64Arg converts a Starlark int that must be in [0, 2^64).
func uint64Arg(b *starlark.Builtin, what string, v starlark.Int) (uint64, error) {
	u, ok := v.Uint64()
	if !ok {
		return 0, errorf(b, "%s %v is out of range [0, 2**64)", what, v)
	}
	return u, nil
}

// memErr makes a core memory error read like "peek: address 0x10 is not mapped in
// process 4242".
func memErr(b *starlark.Builtin, p *Process, err error) error {
	var me *core.MemoryError
	if errors.As(err, &me) {
		return errorf(b, "address %#x is not mapped in process %d (%d bytes were %s before it)", me.Addr, me.Pid, me.N, map[string]string{"read": "read", "write": "written"}[me.Op])
	}
	return wrapErr(b, err)
}

const maxPeek = 1 << 30

// maxUncheckedPeek is the largest peek whose buffer is allocated before the
// address is known to be mapped: beyond it, /proc/PID/maps is read first.
const maxUncheckedPeek = 1 << 20

func processPeek(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	var n int
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "n", &n); err != nil {
		return nil, err
	}
	if n < 0 || n > maxPeek {
		return nil, errorf(b, "length %d is out of range [0, %d]", n, maxPeek)
	}
	p := recv[*Process](b)
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	if n > maxUncheckedPeek {
		if err := p.p.Mapped(addr, uint64(n)); err != nil {
			return nil, memErr(b, p, err)
		}
	}
	buf := make([]byte, n)
	if _, err := p.p.ReadMemory(addr, buf); err != nil {
		return nil, memErr(b, p, err)
	}
	return bytesValue(buf), nil
}

// bytesValue makes a Starlark bytes value of a buffer nobody else holds, without
// copying it (a 64 MiB peek would otherwise copy 64 MiB again).
func bytesValue(buf []byte) starlark.Bytes {
	if len(buf) == 0 {
		return ""
	}
	return starlark.Bytes(unsafe.String(&buf[0], len(buf)))
}

func processPoke(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	var data starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "data", &data); err != nil {
		return nil, err
	}
	var buf []byte
	switch d := data.(type) {
	case starlark.Bytes:
		buf = []byte(d)
	case starlark.String:
		buf = []byte(d)
	default:
		return nil, errorf(b, "data must be bytes or a string, got %s", data.Type())
	}
	p := recv[*Process](b)
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	if _, err := p.p.WriteMemory(addr, buf); err != nil {
		return nil, memErr(b, p, err)
	}
	return starlark.None, nil
}

func intSize(b *starlark.Builtin, size int) error {
	switch size {
	case 1, 2, 4, 8:
		return nil
	}
	return errorf(b, "size must be 1, 2, 4 or 8, got %d", size)
}

func processPeekInt(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	size := 8
	signed := false
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "size?", &size, "signed?", &signed); err != nil {
		return nil, err
	}
	if err := intSize(b, size); err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	var buf [8]byte
	if _, err := p.p.ReadMemory(addr, buf[:size]); err != nil {
		return nil, memErr(b, p, err)
	}
	return decodeInt(buf[:size], signed), nil
}

func decodeInt(b []byte, signed bool) starlark.Int {
	var buf [8]byte
	copy(buf[:], b)
	u := binary.LittleEndian.Uint64(buf[:])
	if signed {
		shift := 64 - 8*uint(len(b))
		return starlark.MakeInt64(int64(u<<shift) >> shift)
	}
	return starlark.MakeUint64(u)
}

// intBytes encodes v in size little-endian bytes; v may be signed or unsigned
// but must fit.
func intBytes(b *starlark.Builtin, v starlark.Int, size int) ([]byte, error) {
	bits := uint(8 * size)
	lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
	hi := new(big.Int).Lsh(big.NewInt(1), bits)
	x := v.BigInt()
	if x.Cmp(lo) < 0 || x.Cmp(hi) >= 0 {
		return nil, errorf(b, "value %v does not fit in %d bytes", v, size)
	}
	if x.Sign() < 0 {
		x.Add(x, hi)
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], x.Uint64())
	return buf[:size], nil
}

func processPokeInt(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	var v starlark.Int
	size := 8
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "value", &v, "size?", &size); err != nil {
		return nil, err
	}
	if err := intSize(b, size); err != nil {
		return nil, err
	}
	buf, err := intBytes(b, v, size)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	if _, err := p.p.WriteMemory(addr, buf); err != nil {
		return nil, memErr(b, p, err)
	}
	return starlark.None, nil
}

func processPeekStr(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a addrArg
	max := 4096
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "addr", &a, "max?", &max); err != nil {
		return nil, err
	}
	if max < 0 || max > maxPeek {
		return nil, errorf(b, "max %d is out of range [0, %d]", max, maxPeek)
	}
	p := recv[*Process](b)
	addr, err := a.addr(b, p)
	if err != nil {
		return nil, err
	}
	s, err := p.readCString(addr, max)
	if err != nil {
		return nil, memErr(b, p, err)
	}
	return starlark.String(strings.ToValidUTF8(string(s), "\uFFFD")), nil
}

// readCString reads up to max bytes, a page at a time so that a string that
// ends just before an unmapped page reads fine.
func (p *Process) readCString(addr uint64, max int) ([]byte, error) {
	var out []byte
	for len(out) < max {
		chunk := int(4096 - (addr+uint64(len(out)))%4096)
		if chunk > max-len(out) {
			chunk = max - len(out)
		}
		buf := make([]byte, chunk)
		if _, err := p.p.ReadMemory(addr+uint64(len(out)), buf); err != nil {
			return nil, err
		}
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			return append(out, buf[:i]...), nil
		}
		out = append(out, buf...)
	}
	return out, nil
}
