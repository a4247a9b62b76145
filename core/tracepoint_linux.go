package core

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"stardbg/core/sym"
	"stardbg/core/uprobe"
)

// TracepointConfig says what a tracepoint does at each hit (Process.TraceAt).
type TracepointConfig struct {
	// OnHit runs on the tracer thread for every record, in the order the
	// hits happened, while the process runs (see Process.Wait): the program
	// is not stopped. It returns whether to stop the process now (an error
	// the caller wants Wait to see); the stop is reported as EventStopped.
	// A nil OnHit only counts: no record is made, and none is lost.
	OnHit func(h *Hit) bool

	Cond     uprobe.Cond      // the filter, evaluated in the kernel
	Captures []uprobe.Capture // memory each record carries (needs OnHit)
	Pending  bool             // as BreakAtPending
}

// Hit is one record of a tracepoint: what the kernel saw when a thread
// entered the traced address. It is valid only during OnHit; Mem's slices
// are the caller's.
type Hit struct {
	Breakpoint *Breakpoint
	Tid        int
	Time       uint64          // nanoseconds of CLOCK_MONOTONIC
	Regs       unix.PtraceRegs // the kernel's pt_regs: fs_base and the segment selectors past ss are zero
	Mem        [][]byte        // each capture's bytes, in the order of Captures; nil where it could not be read
}

// Reg returns a register at the hit (0 for those the kernel does not record).
func (h *Hit) Reg(i Reg) uint64 { return RegOf(&h.Regs, i) }

// RegOf returns register i of r, or 0 for a number that names none.
func RegOf(r *unix.PtraceRegs, i Reg) uint64 {
	if i < 0 || int(i) >= numRegs {
		return 0
	}
	return *regPtr(r, i)
}

// HitFrame makes the frame of a tracepoint's hit from the registers it
// recorded (regs), at the traced function's entry, for reading its
// arguments by name as Thread.VarFrames's frame 0 does; return probes make
// a call's frames at its entry and return from Call.EntryRegs and
// ReturnRegs the same way. The thread has run
// on: memory is read as it is when the value is used, there is no vector
// register, and nothing can be written into its registers.
func (p *Process) HitFrame(regs *unix.PtraceRegs) (*VarFrame, error) {
	var vf *VarFrame
	var err error
	p.e.Do(func() {
		var tab *sym.Table
		if tab, err = p.symbols(); err != nil {
			return
		}
		vf = &VarFrame{Frame: tab.InnerFrame(regs, symMemory{p})}
		if vf.Module = tab.ModuleAt(vf.LinkPC()); vf.Module != nil {
			vf.Vars, vf.VarsErr = p.e.varsOf(vf.Module)
		}
		vf.Ctx = &DataContext{p: p, frame: &vf.Frame, mod: vf.Module}
	})
	return vf, err
}

// tracepoint is what makes a Breakpoint a tracepoint: its probe and the
// places it is set at.
type tracepoint struct {
	cfg    TracepointConfig
	probe  *uprobe.Probe // nil once the process is gone
	places map[uint64]uprobe.Place
	lost   uint64 // final counts, kept when the probe is closed
}

// ErrTraceCollision is returned when a tracepoint and an int3 breakpoint
// would share an address: the uprobe's int3 and the debugger's cannot both
// be in one instruction.
var ErrTraceCollision = errors.New("a tracepoint and a breakpoint cannot share an address")

// DefaultRingSize is the size of a process's ring buffer of records,
// allocated in the kernel when its first tracepoint with a callback is set.
// A record of a tracepoint without captures takes 192 bytes: the ring holds
// about 1,400,000 of them before the script's callbacks, falling behind,
// lose any.
const DefaultRingSize = 256 << 20

// SetTraceRingSize sets the size of the process's ring buffer of records,
// a power of two of at least a page: before its first tracepoint with a
// callback, which allocates it.
func (p *Process) SetTraceRingSize(n int) error {
	var err error
	p.e.Do(func() {
		switch {
		case p.ring != nil:
			err = errors.New("the ring buffer of records is made already")
		case n < os.Getpagesize() || n&(n-1) != 0:
			err = fmt.Errorf("a ring buffer of %d bytes: the size must be a power of two of at least a page", n)
		default:
			p.traceRing = n
		}
	})
	return err
}

// TraceAt sets a tracepoint at every place a location spec names, resolved as
// BreakAt resolves it (pending locations included): a kernel uprobe whose
// eBPF program counts each hit and, with cfg.OnHit, records it. It fails with
// an error wrapping uprobe.ErrUnsupported where the system cannot run them.
func (p *Process) TraceAt(spec string, cfg TracepointConfig) (*Breakpoint, error) {
	if err := uprobe.Supported(); err != nil {
		return nil, err
	}
	if len(cfg.Captures) > 0 && cfg.OnHit == nil {
		return nil, errors.New("captures need a callback to deliver them to")
	}
	return p.locate(spec, BreakOptions{Pending: cfg.Pending}, func(bp *Breakpoint) error {
		return p.newTrace(bp, cfg)
	})
}

// newTrace makes bp a tracepoint: it loads its program (attached nowhere yet).
func (p *Process) newTrace(bp *Breakpoint, cfg TracepointConfig) error {
	if cfg.OnHit != nil && p.ring == nil {
		size := p.traceRing
		if size == 0 {
			size = DefaultRingSize
		}
		r, err := uprobe.NewRing(size)
		if err != nil {
			return err
		}
		p.ring = r
	}
	s := uprobe.Spec{Tgid: p.pid, Cond: cfg.Cond, ID: uint32(bp.ID), Captures: cfg.Captures}
	if cfg.OnHit != nil {
		s.Ring = p.ring
	}
	probe, err := uprobe.Load(s)
	if err != nil {
		return err
	}
	if p.threads[p.pid] == nil {
		// Attached after the main thread's exit: the kernel cannot set a
		// uprobe for the process (no such process), see widenTraces.
		p.traceWide = true
	}
	if p.traceWide {
		if err := probe.Widen(); err != nil {
			probe.Close()
			return err
		}
	}
	bp.trace = &tracepoint{cfg: cfg, probe: probe, places: map[uint64]uprobe.Place{}}
	if cfg.OnHit != nil {
		if p.traces == nil {
			p.traces = map[uint32]*Breakpoint{}
		}
		p.traces[uint32(bp.ID)] = bp
		if len(p.traces) == 1 {
			wakeOnChild(true)
		}
	}
	return nil
}

// IsTracepoint reports whether bp is a tracepoint.
func (bp *Breakpoint) IsTracepoint() bool { return bp.trace != nil }

// Lost counts the records of a tracepoint that the kernel dropped because
// the ring buffer was full: the callbacks fell behind. It is 0 for other
// breakpoints.
func (bp *Breakpoint) Lost() uint64 {
	var n uint64
	bp.p.e.Do(func() {
		if tr := bp.trace; tr != nil {
			n = tr.lost
			if tr.probe != nil {
				n, _ = tr.probe.Lost()
			}
		}
	})
	return n
}

// traceHits is Hits for a tracepoint: the kernel's count.
func (bp *Breakpoint) traceHits() uint64 {
	if tr := bp.trace; tr.probe != nil {
		if n, err := tr.probe.Hits(); err == nil {
			return n
		}
	}
	return bp.hits
}

// plantTrace sets bp's uprobe at addr.
func (p *Process) plantTrace(addr uint64, bp *Breakpoint) error {
	if p.bps.sites[addr] != nil {
		return fmt.Errorf("cannot set tracepoint at %#x: %w", addr, ErrTraceCollision)
	}
	pl, err := p.filePlace(addr)
	if err != nil {
		return fmt.Errorf("cannot set tracepoint at %#x: %w", addr, err)
	}
	if err := bp.trace.probe.Attach(pl); err != nil {
		return fmt.Errorf("cannot set tracepoint at %#x: %w", addr, err)
	}
	bp.trace.places[addr] = pl
	if p.traceAddrs == nil {
		p.traceAddrs = map[uint64]int{}
	}
	p.traceAddrs[addr]++
	return nil
}

// unplantTrace removes bp's uprobe from addr.
func (p *Process) unplantTrace(addr uint64, bp *Breakpoint) error {
	pl, ok := bp.trace.places[addr]
	if !ok {
		return nil
	}
	delete(bp.trace.places, addr)
	if p.traceAddrs[addr]--; p.traceAddrs[addr] <= 0 {
		delete(p.traceAddrs, addr)
	}
	if bp.trace.probe == nil {
		return nil
	}
	if err := bp.trace.probe.Detach(pl); err != nil {
		return fmt.Errorf("cannot remove tracepoint at %#x: %w", addr, err)
	}
	return nil
}

// filePlace finds the file and offset mapped at addr: a uprobe is set at
// an offset in a file (for this process alone, see uprobe.Probe.Attach).
func (p *Process) filePlace(addr uint64) (uprobe.Place, error) {
	tab, err := p.symbols()
	if err != nil {
		return uprobe.Place{}, err
	}
	if m := tab.ModuleAt(addr); m != nil {
		for _, mp := range m.Maps {
			if !mp.Contains(addr) || mp.Path == "" || mp.Path[0] != '/' {
				continue
			}
			path := mp.Path
			if mp.Deleted() {
				path = fmt.Sprintf("/proc/%d/map_files/%x-%x", p.pid, mp.Start, mp.End)
			}
			return uprobe.Place{Path: path, Offset: addr - mp.Start + mp.Offset}, nil
		}
	}
	return uprobe.Place{}, errors.New("no file is mapped there (a uprobe needs a function in an executable or library)")
}

// widenTraces sets every tracepoint's uprobes for every process running
// their files (uprobe.Probe.Widen), the programs still counting this
// process's hits alone: main thread t is at its PTRACE_EVENT_EXIT stop,
// leaving by pthread_exit while the others run on, and the kernel's filter
// of the uprobes set for this process is t's address space, which goes with
// it. Every other thread is stopped during the switch, so that no hit is
// counted twice (under both uprobes) or missed (under neither); it reports
// whether it stopped them, for the caller to resume them once t is let go.
// The tracepoints set later are wide from the start, as are those set in a
// process attached after its main thread exited (newTrace).
func (p *Process) widenTraces(t *Thread) (stopped bool) {
	if p.traceWide {
		return false
	}
	p.traceWide = true
	var probes []*uprobe.Probe
	for _, bp := range p.bps.list {
		if tr := bp.trace; tr != nil && tr.probe != nil {
			probes = append(probes, tr.probe)
			stopped = stopped || tr.probe.Attached() > 0
		}
	}
	if stopped {
		// Even within a stopAll (this stop came while it waited for the
		// threads): the switch cannot wait for its end, t is to go on.
		was := p.stopping
		p.stopping = false
		p.stopAll()
		p.stopping = was
		stopped = !was
	}
	for _, pr := range probes {
		if err := pr.Widen(); err != nil {
			p.fail(t, fmt.Errorf("the tracepoints cannot follow the process past its main thread's exit: %w", err))
		}
	}
	return stopped
}

// closeTraces removes every uprobe of the process and frees the programs
// and the ring buffer, keeping the final counts: the process is gone or let
// go. Records not delivered yet are dropped.
func (p *Process) closeTraces() error {
	var first error
	for _, bp := range p.bps.list {
		tr := bp.trace
		if tr == nil || tr.probe == nil {
			continue
		}
		bp.hits = bp.traceHits()
		tr.lost, _ = tr.probe.Lost()
		if err := tr.probe.Close(); err != nil && first == nil {
			first = err
		}
		tr.probe = nil
		tr.places = map[uint64]uprobe.Place{}
	}
	p.traceAddrs = map[uint64]int{}
	if len(p.traces) > 0 {
		wakeOnChild(false)
	}
	p.traces = nil
	if p.ring != nil {
		p.ring.Close()
		p.ring = nil
	}
	if p.tracePoll != 0 {
		unix.Close(p.tracePoll)
		p.tracePoll = 0
	}
	return first
}

// dropTrace frees a cleared tracepoint's probe.
func (p *Process) dropTrace(bp *Breakpoint) {
	tr := bp.trace
	if tr.probe == nil {
		return
	}
	bp.hits = bp.traceHits()
	tr.lost, _ = tr.probe.Lost()
	tr.probe.Close()
	tr.probe = nil
	if p.traces[uint32(bp.ID)] != nil {
		delete(p.traces, uint32(bp.ID))
		if len(p.traces) == 0 {
			wakeOnChild(false)
		}
	}
}
