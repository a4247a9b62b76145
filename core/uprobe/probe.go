package uprobe

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Probe is a loaded program with its counters, attached at any number of
// places (Attach). Its methods are not safe for concurrent use.
type Probe struct {
	spec   Spec
	prog   *ebpf.Program
	counts *ebpf.Map // per-CPU: hits, lost
	links  map[Place]link.Link
	wide   bool // set for every process (Widen)
}

// Place is where a uprobe is set: an offset in a file.
type Place struct {
	Path   string
	Offset uint64
}

// ProgName is the name of the programs of the probes of process tgid, as
// the kernel lists them (bpftool prog show).
func ProgName(tgid int) string { return fmt.Sprintf("stardbg_%x", tgid) }

// Loaded counts the programs the kernel has loaded for the probes of process
// tgid, made by any process: what shows that none is left.
func Loaded(tgid int) (int, error) {
	n := 0
	for id := ebpf.ProgramID(0); ; {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		id = next
		prog, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue // unloaded meanwhile
		}
		info, err := prog.Info()
		prog.Close()
		if err == nil && info.Name == ProgName(tgid) {
			n++
		}
	}
}

// Load makes spec's program. It is attached nowhere yet.
func Load(spec Spec) (*Probe, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if err := spec.check(); err != nil {
		return nil, err
	}
	counts, err := ebpf.NewMap(&ebpf.MapSpec{
		Name: "stardbg_counts", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 2,
	})
	if err != nil {
		return nil, fmt.Errorf("uprobe: the counts map cannot be made: %w", err)
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         ProgName(spec.Tgid),
		Type:         ebpf.Kprobe,
		License:      "GPL", // bpf_probe_read_user is a GPL-only helper
		Instructions: program(&spec, counts),
	})
	if err != nil {
		counts.Close()
		return nil, fmt.Errorf("uprobe: the program cannot be loaded: %w", err)
	}
	spec.Captures = append([]Capture(nil), spec.Captures...)
	return &Probe{spec: spec, prog: prog, counts: counts, links: map[Place]link.Link{}}, nil
}

// Attach sets a uprobe at pl that runs the probe's program. Setting it
// twice at one place does nothing.
func (p *Probe) Attach(pl Place) error {
	if p.prog == nil {
		return errors.New("uprobe: the probe is closed")
	}
	if p.links[pl] != nil {
		return nil
	}
	ex, err := link.OpenExecutable(pl.Path)
	if err != nil {
		return fmt.Errorf("uprobe: %w", err)
	}
	// PID makes the kernel write its int3 into the traced process alone
	// (its filter is the process's address space, so every thread of it,
	// new ones too): other processes running the file neither trap nor find
	// a foreign int3 under their own debugger's breakpoints.
	// After Widen, every process traps and the program filters.
	opts := &link.UprobeOptions{Address: pl.Offset, PID: p.spec.Tgid}
	if p.wide {
		opts.PID = 0
	}
	l, err := ex.Uprobe("", p.prog, opts)
	if err != nil {
		return fmt.Errorf("uprobe at %s+%#x: %w", pl.Path, pl.Offset, err)
	}
	p.links[pl] = l
	return nil
}

// Widen sets the probe's uprobes for every process running their files,
// from now on: the kernel's filter of a uprobe set for one process is its
// main thread's address space, which goes when that thread exits
// (pthread_exit in main) while the others run on; then the kernel takes
// the uprobes out and hits are no longer counted. Each place is attached
// anew before its old uprobe is removed; the program still counts only the
// traced process's hits (Spec.Tgid), but a hit in between runs it twice:
// the caller stops the traced process's threads meanwhile. On an error,
// the places not switched yet keep their old uprobe.
func (p *Probe) Widen() error {
	if p.prog == nil {
		return errors.New("uprobe: the probe is closed")
	}
	if p.wide {
		return nil
	}
	old := p.links
	p.links, p.wide = map[Place]link.Link{}, true
	var first error
	for pl, l := range old {
		if err := p.Attach(pl); err != nil {
			p.links[pl] = l
			if first == nil {
				first = err
			}
			continue
		}
		if err := l.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Detach removes the uprobe at pl, if there is one.
func (p *Probe) Detach(pl Place) error {
	l := p.links[pl]
	if l == nil {
		return nil
	}
	delete(p.links, pl)
	return l.Close()
}

// DetachAll removes every uprobe of the probe; its counts stay.
func (p *Probe) DetachAll() error {
	var first error
	for pl := range p.links {
		if err := p.Detach(pl); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Attached returns the number of places the probe is set at.
func (p *Probe) Attached() int { return len(p.links) }

// Hits returns the number of hits that passed the filter, exactly.
func (p *Probe) Hits() (uint64, error) { return p.sum(slotHits) }

// Lost returns the number of records that did not fit in the ring buffer.
func (p *Probe) Lost() (uint64, error) { return p.sum(slotLost) }

func (p *Probe) sum(slot uint32) (uint64, error) {
	if p.counts == nil {
		return 0, errors.New("uprobe: the probe is closed")
	}
	var per []uint64
	if err := p.counts.Lookup(slot, &per); err != nil {
		return 0, fmt.Errorf("uprobe: the counts cannot be read: %w", err)
	}
	var n uint64
	for _, v := range per {
		n += v
	}
	return n, nil
}

// Spec returns what the probe was loaded with.
func (p *Probe) Spec() Spec { return p.spec }

// Close removes every uprobe and unloads the program; its counts are gone.
func (p *Probe) Close() error {
	if p.prog == nil {
		return nil
	}
	err := p.DetachAll()
	p.prog.Close()
	p.counts.Close()
	p.prog, p.counts = nil, nil
	return err
}
