package goruntime

import (
	"encoding/binary"
	"fmt"
)

// maxWaitReason bounds the strings of runtime.waitReasonStrings read.
const maxWaitReason = 256

// WaitReasons returns runtime.waitReasonStrings, the runtime's own names of
// its wait reasons ("chan receive", "select", "sleep", ...), indexed by
// G.WaitReason; the empty string is "no reason" (waitReasonZero). It needs
// only the symbol table, so it works without DWARF. The strings are read
// from the process (its data is relocated there in a PIE): call it once per
// process and keep the result.
func (rt *Runtime) WaitReasons(mem Memory, bias uint64) ([]string, error) {
	if rt.waitReasons.addr == 0 {
		return nil, fmt.Errorf("goruntime: no runtime.waitReasonStrings in the symbol table")
	}
	n := rt.waitReasons.size / 16
	if n == 0 || n > maxWaitReason {
		return nil, fmt.Errorf("goruntime: runtime.waitReasonStrings has %d bytes: not an array of strings", rt.waitReasons.size)
	}
	hdrs := make([]byte, 16*n)
	if err := read(mem, rt.waitReasons.addr+bias, hdrs); err != nil {
		return nil, fmt.Errorf("goruntime: reading runtime.waitReasonStrings: %w", err)
	}
	out := make([]string, n)
	for i := range out {
		p := binary.LittleEndian.Uint64(hdrs[16*i:])
		l := binary.LittleEndian.Uint64(hdrs[16*i+8:])
		if l == 0 {
			continue
		}
		if l > 256 {
			return nil, fmt.Errorf("goruntime: runtime.waitReasonStrings[%d] is %d bytes long: not a wait reason", i, l)
		}
		b := make([]byte, l)
		if err := read(mem, p, b); err != nil {
			return nil, fmt.Errorf("goruntime: reading runtime.waitReasonStrings[%d]: %w", i, err)
		}
		out[i] = string(b)
	}
	return out, nil
}
