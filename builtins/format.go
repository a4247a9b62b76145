package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

const hexDoc = `hex(x) -> string

An int in hexadecimal with a 0x prefix, as Python writes it: hex(255) is
"0xff", hex(-1) is "-0x1". Addresses read best this way.

Bytes give a hex dump: each byte as two lowercase digits, separated by
spaces, as objdump and gdb's x/b show code: hex(b"\x48\x89\xe5") is
"48 89 e5", and hex(b"") is "".`

func hexBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "x", &x); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case starlark.Int:
		v := x.BigInt()
		if v.Sign() < 0 {
			return starlark.String("-0x" + v.Neg(v).Text(16)), nil
		}
		return starlark.String("0x" + v.Text(16)), nil
	case starlark.Bytes:
		return starlark.String(hexDump([]byte(x))), nil
	}
	return nil, errorf(b, "want an int or bytes, got %s", x.Type())
}

// hexDump writes data as "48 89 e5".
func hexDump(data []byte) string {
	var b strings.Builder
	for i, c := range data {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

// hexAddr writes an address as gdb prints a frame's pc: 0x and 16 digits.
func hexAddr(a uint64) string { return fmt.Sprintf("0x%016x", a) }
