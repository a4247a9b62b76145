package emu

import (
	"errors"
	"fmt"
)

// fakeMem is a Memory made of a few regions; any access not wholly inside one fails,
// as does a write to a read-only region.
type fakeMem struct {
	regions []*region
	writes  int // successful writes
}

type region struct {
	addr     uint64
	data     []byte
	readOnly bool
}

var errFault = errors.New("no such memory")

func (m *fakeMem) find(addr uint64, n int) (*region, uint64, error) {
	for _, r := range m.regions {
		if addr >= r.addr && addr-r.addr <= uint64(len(r.data)) && uint64(n) <= uint64(len(r.data))-(addr-r.addr) {
			return r, addr - r.addr, nil
		}
	}
	return nil, 0, fmt.Errorf("%w at %#x (%d bytes)", errFault, addr, n)
}

func (m *fakeMem) ReadMem(addr uint64, b []byte) error {
	r, off, err := m.find(addr, len(b))
	if err != nil {
		return err
	}
	copy(b, r.data[off:])
	return nil
}

func (m *fakeMem) WriteMem(addr uint64, b []byte) error {
	r, off, err := m.find(addr, len(b))
	if err != nil {
		return err
	}
	if r.readOnly {
		return fmt.Errorf("%w: %#x is read-only", errFault, addr)
	}
	copy(r.data[off:], b)
	m.writes++
	return nil
}
