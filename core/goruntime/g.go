package goruntime

import (
	"encoding/binary"
	"fmt"
)

// Memory reads the memory of the stopped program (core's process memory,
// which shows original bytes under breakpoints).
type Memory interface {
	ReadMem(addr uint64, b []byte) (int, error)
}

// BatchMemory is a Memory that also reads many blocks of one size at
// scattered addresses in one call (process_vm_readv with many iovecs):
// AllGs reads the gs with it when the Memory has it.
type BatchMemory interface {
	Memory
	// ReadMemBatch reads block i of size bytes at addrs[i] into
	// out[i*size:].
	ReadMemBatch(addrs []uint64, size int, out []byte) error
}

// Regs are the registers of a thread that Current reads.
type Regs struct {
	SP, R14, FSBase uint64
}

// Status is a goroutine's scheduling state, as the debugger shows it.
type Status int

const (
	// StatusDead: not a goroutine (idle, dead or reserved for cgo
	// callbacks); never listed by a debugger.
	StatusDead Status = iota
	StatusRunnable
	StatusRunning
	StatusSyscall
	StatusWaiting
)

var statusNames = [...]string{"dead", "runnable", "running", "syscall", "waiting"}

func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// A G is one runtime.g as read from memory.
type G struct {
	Addr uint64 // of the runtime.g
	ID   int64  // goid; 0 for a system g (g0 of an M, gsignal)
	// RawStatus is atomicstatus with the _Gscan bit cleared; Status is
	// what it means.
	RawStatus uint32
	Status    Status
	// WaitReason is runtime.waitReason, an index into
	// Runtime.WaitReasons; meaningful when Status is StatusWaiting.
	WaitReason uint8
	// StackLo and StackHi bound the goroutine's stack: sp is in
	// [StackLo, StackHi).
	StackLo, StackHi uint64
	// PC, SP and BP are the context saved when the goroutine last stopped
	// running (g.sched); in a system call, the caller's (syscallpc, ...),
	// which the runtime keeps while sched may be reused.
	PC, SP, BP uint64
	M          uint64 // the runtime.m running it, or 0
	StartPC    uint64 // the function of the go statement
	GoPC       uint64 // the pc of the go statement
	ParentID   int64  // the goid of the goroutine that started it; 0 if unknown

	// Set by Current only: the thread's own registers.
	// CurG is, on a system g, the goroutine its M works for (m.curg), or
	// 0.
	CurG uint64
}

// System reports whether g is a system g (g0 or gsignal): no goroutine of
// the program.
func (g *G) System() bool { return g.ID == 0 }

// ReadG reads the g at addr.
func (rt *Runtime) ReadG(mem Memory, addr uint64) (*G, error) {
	if rt.layErr != nil {
		return nil, rt.layErr
	}
	var buf [512]byte
	b := buf[:]
	if int(rt.g.size) > len(b) {
		b = make([]byte, rt.g.size)
	}
	b = b[:rt.g.size]
	if err := read(mem, addr, b); err != nil {
		return nil, fmt.Errorf("goruntime: reading the g at %#x: %w", addr, err)
	}
	return rt.decodeG(addr, b), nil
}

func (rt *Runtime) decodeG(addr uint64, b []byte) *G {
	l := &rt.g
	u64 := func(off int64) uint64 {
		if off < 0 {
			return 0
		}
		return binary.LittleEndian.Uint64(b[off:])
	}
	g := &G{
		Addr:       addr,
		ID:         int64(u64(l.goid)),
		RawStatus:  binary.LittleEndian.Uint32(b[l.status:]) &^ rt.status.scan,
		WaitReason: b[l.waitReason],
		StackLo:    u64(l.stackLo),
		StackHi:    u64(l.stackHi),
		PC:         u64(l.schedPC),
		SP:         u64(l.schedSP),
		BP:         u64(l.schedBP),
		M:          u64(l.m),
		StartPC:    u64(l.startpc),
		GoPC:       u64(l.gopc),
		ParentID:   int64(u64(l.parentGoid)),
	}
	g.Status = rt.classify(g.RawStatus)
	if g.Status == StatusSyscall {
		if sp := u64(l.syscallSP); sp != 0 {
			g.PC, g.SP, g.BP = u64(l.syscallPC), sp, u64(l.syscallBP)
		}
	}
	return g
}

func (rt *Runtime) classify(st uint32) Status {
	s := &rt.status
	switch {
	case st == s.runnable:
		return StatusRunnable
	case st == s.running:
		return StatusRunning
	case st == s.syscall:
		return StatusSyscall
	case st == s.waiting, st == s.preempted, st == s.copystack, int64(st) == s.leaked:
		return StatusWaiting
	}
	return StatusDead
}

// Current returns the g whose stack the thread with registers r runs on: a
// goroutine, or a system g (G.System) whose CurG is the goroutine its M
// works for. It is nil when the thread has no g (a thread the Go runtime
// did not make, or one not started yet).
func (rt *Runtime) Current(mem Memory, r Regs) (*G, error) {
	if rt.layErr != nil {
		return nil, rt.layErr
	}
	var g *G
	if r.R14 != 0 {
		// In Go code compiled with ABIInternal, R14 is the g.
		if cand, err := rt.ReadG(mem, r.R14); err == nil && cand.StackLo <= r.SP && r.SP < cand.StackHi && cand.StackLo != 0 {
			g = cand
		}
	}
	if g == nil {
		if r.FSBase == 0 {
			return nil, nil
		}
		var b [8]byte
		slot := uint64(int64(r.FSBase) + rt.tlsOff)
		if err := read(mem, slot, b[:]); err != nil {
			return nil, fmt.Errorf("goruntime: reading the g from thread-local storage at %#x: %w", slot, err)
		}
		addr := binary.LittleEndian.Uint64(b[:])
		if addr == 0 {
			return nil, nil
		}
		var err error
		if g, err = rt.ReadG(mem, addr); err != nil {
			return nil, err
		}
	}
	if g.System() && g.M != 0 {
		curg, err := rt.readPtr(mem, g.M+uint64(rt.m.curg))
		if err != nil {
			return nil, fmt.Errorf("goruntime: reading m.curg: %w", err)
		}
		g.CurG = curg
	}
	return g, nil
}

// Goroutine returns the goroutine a thread runs: Current's g, or on a
// system stack the goroutine its M works for; nil when it runs none (in the
// scheduler, or not a Go thread).
func (rt *Runtime) Goroutine(mem Memory, r Regs) (*G, error) {
	g, err := rt.Current(mem, r)
	if err != nil || g == nil || !g.System() {
		return g, err
	}
	if g.CurG == 0 {
		return nil, nil
	}
	return rt.ReadG(mem, g.CurG)
}

// ProcID returns the thread id of the runtime.m at m (m.procid).
func (rt *Runtime) ProcID(mem Memory, m uint64) (int, error) {
	if rt.layErr != nil {
		return 0, rt.layErr
	}
	v, err := rt.readPtr(mem, m+uint64(rt.m.procid))
	return int(v), err
}

// AllGs returns every g of runtime.allgs, dead ones included (their Status
// is StatusDead), in allgs order (creation order, gs reused when freed).
// bias is the executable's load bias (0 unless it is a PIE). It makes three
// reads, and then one per g, or one per 1024 gs with a BatchMemory.
func (rt *Runtime) AllGs(mem Memory, bias uint64) ([]*G, error) {
	if rt.layErr != nil {
		return nil, rt.layErr
	}
	var hdr [8]byte
	if err := read(mem, rt.allglen+bias, hdr[:]); err != nil {
		return nil, fmt.Errorf("goruntime: reading runtime.allglen: %w", err)
	}
	n := binary.LittleEndian.Uint64(hdr[:])
	base, err := rt.readPtr(mem, rt.allgs+bias)
	if err != nil {
		return nil, fmt.Errorf("goruntime: reading runtime.allgs: %w", err)
	}
	if n > 1<<24 {
		return nil, fmt.Errorf("goruntime: runtime.allglen is %d: not a stopped Go program's", n)
	}
	ptrs := make([]byte, 8*n)
	if err := read(mem, base, ptrs); err != nil {
		return nil, fmt.Errorf("goruntime: reading runtime.allgs: %w", err)
	}
	addrs := make([]uint64, n)
	for i := range addrs {
		addrs[i] = binary.LittleEndian.Uint64(ptrs[8*i:])
	}
	size := int(rt.g.size)
	buf := make([]byte, len(addrs)*size)
	if bm, ok := mem.(BatchMemory); ok {
		if err := bm.ReadMemBatch(addrs, size, buf); err != nil {
			return nil, fmt.Errorf("goruntime: reading the gs of runtime.allgs: %w", err)
		}
	} else {
		for i, addr := range addrs {
			if err := read(mem, addr, buf[i*size:(i+1)*size]); err != nil {
				return nil, fmt.Errorf("goruntime: reading the g at %#x: %w", addr, err)
			}
		}
	}
	out := make([]*G, len(addrs))
	for i, addr := range addrs {
		out[i] = rt.decodeG(addr, buf[i*size:(i+1)*size])
	}
	return out, nil
}

func (rt *Runtime) readPtr(mem Memory, addr uint64) (uint64, error) {
	var b [8]byte
	if err := read(mem, addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func read(mem Memory, addr uint64, b []byte) error {
	n, err := mem.ReadMem(addr, b)
	if err != nil {
		return err
	}
	if n < len(b) {
		return fmt.Errorf("short read at %#x: %d of %d bytes", addr, n, len(b))
	}
	return nil
}
