package uprobe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
)

// Ring is a BPF ring buffer that any number of probes write their records
// to, in the order the hits happened (the kernel reserves room for a record
// under one lock per ring), and that one reader drains. It is not safe for
// concurrent use.
type Ring struct {
	m    *ebpf.Map
	r    *ringbuf.Reader
	rec  ringbuf.Record
	size int
}

// NewRing makes a ring buffer of size bytes, a power of two and a multiple
// of the page size.
func NewRing(size int) (*Ring, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "stardbg_ring", Type: ebpf.RingBuf, MaxEntries: uint32(size)})
	if err != nil {
		return nil, fmt.Errorf("uprobe: a ring buffer of %d bytes cannot be made: %w", size, err)
	}
	r, err := ringbuf.NewReader(m)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("uprobe: the ring buffer cannot be read: %w", err)
	}
	// Never block in Read: the caller polls FD with the rest of what it waits for.
	r.SetDeadline(time.Unix(1, 0))
	return &Ring{m: m, r: r, size: size}, nil
}

// FD is a file descriptor that polls readable while records wait.
func (r *Ring) FD() int { return r.m.FD() }

// Pending says whether records wait to be read.
func (r *Ring) Pending() bool { return r.r.AvailableBytes() > 0 }

// Next returns the next record, or ok false when none waits. The record is
// valid until the next call.
func (r *Ring) Next() (rec Record, ok bool, err error) {
	err = r.r.ReadInto(&r.rec)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("uprobe: reading the ring buffer: %w", err)
	}
	if len(r.rec.RawSample) < hdrSize {
		return Record{}, false, fmt.Errorf("uprobe: a record of %d bytes is too short", len(r.rec.RawSample))
	}
	return Record{raw: r.rec.RawSample}, true, nil
}

// Close frees the ring buffer.
func (r *Ring) Close() error {
	err := r.r.Close()
	if e := r.m.Close(); err == nil {
		err = e
	}
	return err
}

// Record is what a probe recorded at one hit.
type Record struct{ raw []byte }

// ID is the id of the probe that made the record (Spec.ID).
func (r Record) ID() uint32 { return binary.LittleEndian.Uint32(r.raw[offID:]) }

// Tid is the thread that hit.
func (r Record) Tid() int { return int(binary.LittleEndian.Uint32(r.raw[offTid:])) }

// Time is when it hit, in nanoseconds of CLOCK_MONOTONIC.
func (r Record) Time() uint64 { return binary.LittleEndian.Uint64(r.raw[offTime:]) }

// Reg returns a register at the hit.
func (r Record) Reg(g Reg) uint64 { return binary.LittleEndian.Uint64(r.raw[offRegs+8*int(g):]) }

// Capture returns a copy of the memory the probe's capture i copied at the
// hit, and false when it could not be read (the address was not mapped).
// A string is given without its NUL.
func (p *Probe) Capture(r Record, i int) ([]byte, bool) {
	offs, _ := layout(p.spec.Captures)
	if i < 0 || i >= len(offs) || offs[i]+8 > len(r.raw) {
		return nil, false
	}
	c := p.spec.Captures[i]
	status := int32(binary.LittleEndian.Uint32(r.raw[offs[i]:]))
	data := r.raw[offs[i]+8:]
	n := c.Size
	if c.Kind == CaptureString {
		// bpf_probe_read_user_str returns the length with the NUL.
		if status <= 0 {
			return nil, false
		}
		n = int(status) - 1
	} else if status != 0 {
		return nil, false
	}
	if n > len(data) {
		n = len(data)
	}
	b := make([]byte, n) // not nil when empty: nil says it could not be read
	copy(b, data)
	return b, true
}

// Available returns the number of bytes of records waiting.
func (r *Ring) Available() int { return r.r.AvailableBytes() }

// Size is the room the record took in the ring, with its header.
func (r Record) Size() int { return (len(r.raw) + 8 + 7) &^ 7 }
