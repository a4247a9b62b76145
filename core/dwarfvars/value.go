package dwarfvars

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrOptimizedOut is the error of reading an object that does not exist,
// whole or in part, at the current address.
var ErrOptimizedOut = errors.New("optimized out")

// ReadBytes returns the n bytes of an object at loc: read from memory,
// taken from registers (the low bytes of a register's 8), or from the
// implicit value. A piece that is unavailable makes ErrOptimizedOut.
func ReadBytes(loc Location, n int64, ctx Context) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("reading an object of unknown size")
	}
	if len(loc.Pieces) == 0 {
		return nil, ErrOptimizedOut
	}
	out := make([]byte, 0, n)
	for _, p := range loc.Pieces {
		size := p.Size
		if size == 0 {
			size = n - int64(len(out))
		}
		if p.BitSize != 0 && (p.BitSize%8 != 0 || p.BitOffset%8 != 0) {
			return nil, fmt.Errorf("a piece of %d bits at bit %d is not supported", p.BitSize, p.BitOffset)
		}
		skip := p.BitOffset / 8
		b := make([]byte, size)
		switch p.Kind {
		case Unavailable:
			return nil, ErrOptimizedOut
		case InMemory:
			if err := ctx.ReadMem(p.Addr+uint64(skip), b); err != nil {
				return nil, err
			}
		case InRegister:
			v, err := ctx.Reg(p.Reg)
			if errors.Is(err, ErrUnavailable) {
				return nil, ErrOptimizedOut
			}
			if err != nil {
				return nil, err
			}
			r := binary.LittleEndian.AppendUint64(nil, v)
			if skip+size > 8 {
				return nil, fmt.Errorf("%d bytes do not fit in register %d", size, p.Reg)
			}
			copy(b, r[skip:])
		case Implicit:
			if skip < int64(len(p.Bytes)) {
				copy(b, p.Bytes[skip:])
			}
		}
		out = append(out, b...)
	}
	if int64(len(out)) < n {
		return nil, fmt.Errorf("the location's pieces hold %d bytes of a %d-byte object", len(out), n)
	}
	return out[:n], nil
}
