package core

import (
	"debug/elf"
	"errors"
	"fmt"

	"stardbg/core/goruntime"
	"stardbg/core/sym"
)

// goRuntime is what the engine knows of one Go executable's runtime.
type goRuntime struct {
	rt  *goruntime.Runtime
	err error
	// waitReasons are runtime.waitReasonStrings, read from the first
	// process that asked (they are the same in every process of the file).
	waitReasons []string
}

// goRuntimeOf returns the Go runtime of the process's executable, loaded
// once per ELF file, and the executable's load bias. It runs on the tracer
// thread. A process that is not a Go program is goruntime.ErrNotGo.
func (p *Process) goRuntimeOf() (*goRuntime, uint64, error) {
	tab, err := p.symbols()
	if err != nil {
		return nil, 0, err
	}
	exe := tab.Exec()
	var f *elf.File
	if exe != nil {
		f = exe.ELF()
	}
	if f == nil || !exe.Go {
		return nil, 0, fmt.Errorf("process %d: %w", p.pid, goruntime.ErrNotGo)
	}
	if p.e.goRuntimes == nil {
		p.e.goRuntimes = map[*elf.File]*goRuntime{}
	}
	gr := p.e.goRuntimes[f]
	if gr == nil {
		gr = &goRuntime{}
		gr.rt, gr.err = goruntime.Load(f)
		p.e.goRuntimes[f] = gr
	}
	if gr.err != nil {
		return nil, 0, fmt.Errorf("process %d: %w", p.pid, gr.err)
	}
	return gr, exe.Bias, nil
}

// GoRuntime returns the Go runtime of the process's executable and its
// load bias, for reads with package goruntime (through Process.ReadMemory:
// call them on the tracer thread, with the process stopped).
func (p *Process) GoRuntime() (*goruntime.Runtime, uint64, error) {
	var rt *goruntime.Runtime
	var bias uint64
	var err error
	p.e.Do(func() {
		var gr *goRuntime
		if gr, bias, err = p.goRuntimeOf(); err == nil {
			rt = gr.rt
		}
	})
	return rt, bias, err
}

// Memory returns the process's memory as packages goruntime and sym read it.
func (p *Process) Memory() sym.Memory { return symMemory{p} }

// CurrentG returns the g whose stack the stopped thread runs on, as
// goruntime.Runtime.Current does: a goroutine, or a system g (g0, gsignal:
// G.System) whose CurG is the goroutine its M works for; nil when the
// thread has no g. It reads the g from R14 or thread-local storage, never
// the list of all goroutines: it is cheap enough for every breakpoint hit.
// Its ID and StackHi - sp name a frame of a goroutine even across a stack
// move.
func (t *Thread) CurrentG() (*goruntime.G, error) {
	return t.goroutine(false)
}

// Goroutine returns the goroutine the stopped thread runs: CurrentG's, or
// on a system stack the goroutine its M works for (m.curg); nil when it
// runs none (in the scheduler, or a thread the Go runtime did not make).
func (t *Thread) Goroutine() (*goruntime.G, error) {
	return t.goroutine(true)
}

func (t *Thread) goroutine(user bool) (*goruntime.G, error) {
	var g *goruntime.G
	var err error
	t.p.e.Do(func() {
		if err = t.stoppedErr(); err != nil {
			return
		}
		var gr *goRuntime
		if gr, _, err = t.p.goRuntimeOf(); err != nil {
			return
		}
		if err = t.loadRegs(); err != nil {
			return
		}
		r := goruntime.Regs{SP: t.regs.Rsp, R14: t.regs.R14, FSBase: t.regs.Fs_base}
		if user {
			g, err = gr.rt.Goroutine(symMemory{t.p}, r)
		} else {
			g, err = gr.rt.Current(symMemory{t.p}, r)
		}
	})
	return g, err
}

// Goroutines returns the live goroutines of the stopped process (every g
// of runtime.allgs but the dead and the system ones), in allgs order.
func (p *Process) Goroutines() ([]*goruntime.G, error) {
	var out []*goruntime.G
	var err error
	p.e.Do(func() {
		if err = p.stoppedLive(); err != nil && !(p.inCallback && errors.Is(err, ErrRunning)) {
			return
		}
		if p.inCallback {
			// A callback's other threads run: stop them while allgs is read.
			for _, t := range p.threadList() {
				if err = t.stoppedErr(); err != nil {
					return
				}
			}
		}
		var gr *goRuntime
		var bias uint64
		if gr, bias, err = p.goRuntimeOf(); err != nil {
			return
		}
		var all []*goruntime.G
		if all, err = gr.rt.AllGs(symMemory{p}, bias); err != nil {
			return
		}
		for _, g := range all {
			if g.Status != goruntime.StatusDead && !g.System() {
				out = append(out, g)
			}
		}
	})
	return out, err
}

// GoWaitReason returns the runtime's name of a goroutine's wait reason
// ("chan receive", "sleep", ...), "" when it has none.
func (p *Process) GoWaitReason(g *goruntime.G) (string, error) {
	var s string
	var err error
	p.e.Do(func() {
		var gr *goRuntime
		var bias uint64
		if gr, bias, err = p.goRuntimeOf(); err != nil {
			return
		}
		if gr.waitReasons == nil {
			var wr []string
			if wr, err = gr.rt.WaitReasons(symMemory{p}, bias); err != nil {
				return
			}
			gr.waitReasons = wr
		}
		if int(g.WaitReason) < len(gr.waitReasons) {
			s = gr.waitReasons[g.WaitReason]
		}
	})
	return s, err
}

// GoThread returns the thread whose runtime.m is m (by m.procid), or nil.
func (p *Process) GoThread(m uint64) (*Thread, error) {
	if m == 0 {
		return nil, nil
	}
	var t *Thread
	var err error
	p.e.Do(func() {
		var gr *goRuntime
		if gr, _, err = p.goRuntimeOf(); err != nil {
			return
		}
		var tid int
		if tid, err = gr.rt.ProcID(symMemory{p}, m); err != nil {
			return
		}
		t = p.Thread(tid)
	})
	return t, err
}

// GoroutineFrames unwinds goroutine g's stack, for at most max frames:
// from the registers of the thread that runs it when that thread is on
// g's own stack, or in a C function g called (cgo: the C frames come
// first), else from the context g saved when it last stopped (a
// parked goroutine's g.sched, a goroutine in a system call's syscallpc and
// syscallsp), where only pc, sp and bp are known.
func (p *Process) GoroutineFrames(g *goruntime.G, max int) ([]*VarFrame, error) {
	if g.M != 0 && (g.Status == goruntime.StatusRunning || g.Status == goruntime.StatusSyscall) {
		th, err := p.GoThread(g.M)
		if err != nil {
			return nil, err
		}
		if th != nil {
			cur, err := th.CurrentG()
			if err != nil {
				return nil, err
			}
			if cur != nil && cur.Addr == g.Addr {
				return th.VarFrames(max)
			}
			if cur != nil && cur.System() && cur.CurG == g.Addr {
				// On the system stack for g: in a C call, the thread's
				// frames go on into g's stack (C and Go frames in one
				// backtrace); else (systemstack) g's saved context is
				// where its own frames are.
				vfs, err := th.VarFrames(max + 64) // far enough to see the switch
				if err != nil {
					return nil, err
				}
				for _, f := range vfs {
					if f.Unwind == "cgo" {
						return vfs[:min(max, len(vfs))], nil
					}
				}
			}
		}
	}
	var out []*VarFrame
	var err error
	p.e.Do(func() {
		if err = p.live(); err != nil {
			return
		}
		var tab *sym.Table
		if tab, err = p.symbols(); err != nil {
			return
		}
		if g.PC == 0 || g.SP == 0 {
			err = fmt.Errorf("goroutine %d has no saved context (status %v)", g.ID, g.Status)
			return
		}
		frames := tab.BacktraceSaved(g.PC, g.SP, g.BP, symMemory{p}, max)
		out = p.varFrames(tab, frames, nil)
	})
	return out, err
}

// goStackHi returns stack.hi of the g at g, for backtraces through cgo
// calls (sym.Table.SetGoStackHi).
func (p *Process) goStackHi(g uint64) (uint64, error) {
	gr, _, err := p.goRuntimeOf()
	if err != nil {
		return 0, err
	}
	gg, err := gr.rt.ReadG(symMemory{p}, g)
	if err != nil {
		return 0, err
	}
	return gg.StackHi, nil
}
