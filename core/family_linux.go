package core

import (
	"maps"
	"slices"

	"golang.org/x/sys/unix"
)

// Process families: the children a followed process creates with fork,
// vfork or clone without CLONE_THREAD are traced as processes of their own
// (SetFollowForks), by the same tracer thread, and so are their children.
//
// A fork child is stopped before its first instruction with a copy of the
// parent's memory, our int3s included. It becomes a Process with copies of
// the parent's software breakpoints (same IDs, locations, Cond and OnHit, its
// own hit counts) on those very int3s, nothing written; the int3s of the
// engine's IFUNC resolver catches are taken out of it and its copies of
// those breakpoints are resolved again. Hardware breakpoints and watchpoints
// are not copied (the kernel gives a child no debug registers). System call
// catchpoints are, on the seccomp filter the child inherits, or with
// PTRACE_SYSCALL in an attached family. The child also gets the parent's
// signal policy, hooks and scratch pages (their copies are in its memory),
// and is launched (killed at the end) if the parent was.
//
// A child that shares the memory (vfork, until it execs or exits; posix_spawn
// and system() make one) is traced with its parent's threads as without
// following (fork_linux.go); it becomes a Process when it execs, with copies of
// the parent's breakpoints set by location, resolved again in the new program
// as for a traced exec, or when it exits (reported as its exit). Either way
// the fork event comes first.
//
// The fork event (EventFork, Child) goes to the parent's Hooks.OnEvent with
// both processes stopped: a true result reports it to the parent's Wait and
// stops every process of the family; otherwise the child and the parent run
// on. Without a hook, it does not stop.

// family is what a process knows about the processes it belongs with.
type family struct {
	follow bool     // trace the children it creates
	parent *Process // the followed process that created it, or nil
	// Of a root (launched or attached): its descendants, but those that
	// have ended and have no event left to report (see members).
	members []*Process
}

// SetFollowForks says whether the children p creates from now on are traced
// too (see family_linux.go). Children inherit it.
func (p *Process) SetFollowForks(on bool) { p.e.Do(func() { p.fam.follow = on }) }

// FollowForks reports whether p's children are traced.
func (p *Process) FollowForks() bool {
	var on bool
	p.e.Do(func() { on = p.fam.follow })
	return on
}

// Parent is the followed process that created p, or nil for a process that
// was launched or attached.
func (p *Process) Parent() *Process { return p.fam.parent }

// root is the launched or attached process of p's family.
func (p *Process) root() *Process {
	for p.fam.parent != nil {
		p = p.fam.parent
	}
	return p
}

// newChild makes the Process of child pid, created by followed process p.
func (p *Process) newChild(pid int) *Process {
	c := newProcess(p.e, pid, exePath(pid), readCmdline(pid), p.launched)
	if c.exe == "" {
		c.exe = p.exe
	}
	c.fam = family{follow: true, parent: p}
	root := p.root()
	root.fam.members = append(root.fam.members, c)
	c.signals = maps.Clone(p.signals)
	c.hooks = p.hooks
	c.noEmulate, c.noDisplace = p.noEmulate, p.noDisplace
	c.bps.nextID = p.bps.nextID
	// A seccomp filter is inherited (seccomp_linux.go): a vfork child that
	// execs keeps it, and a fork child its catchpoints' copies too.
	c.sys.filter, c.sys.filtered, c.sys.filterAll = p.sys.filter, p.sys.filtered, p.sys.filterAll
	c.sys.noFilter = p.sys.noFilter
	return c
}

// descends reports whether p is a or a descendant of a.
func (p *Process) descends(a *Process) bool {
	for ; p != nil; p = p.fam.parent {
		if p == a {
			return true
		}
	}
	return false
}

// members is p and its descendants that are traced or have events to
// report. The root forgets those that have neither.
func (p *Process) members() []*Process {
	root := p.root()
	live := root.fam.members[:0]
	for _, m := range root.fam.members {
		if m.live() == nil || len(m.events) > 0 {
			live = append(live, m)
		}
	}
	clear(root.fam.members[len(live):])
	root.fam.members = live
	ms := []*Process{p}
	for _, m := range live {
		if m != p && m.descends(p) {
			ms = append(ms, m)
		}
	}
	return ms
}

// adoptFork makes a Process of fork child pid of p, stopped in its first
// stop ws, with copies of p's breakpoints on the int3s it has from p.
func (p *Process) adoptFork(pid int, ws unix.WaitStatus) (*Process, error) {
	c := p.newChild(pid)
	c.scratch, c.gadget, c.is32 = slices.Clone(p.scratch), p.gadget, p.is32
	c.addFirstThread(pid, ws)
	c.state = Stopped
	copies := map[*Breakpoint]*Breakpoint{}
	var again []*Breakpoint // caught at an IFUNC resolver in p: resolved again
	for _, bp := range p.bps.list {
		switch {
		case bp.hw != nil || bp.cleared || bp.retProbe:
			// Return probes' own breakpoints stay the parent's: the child
			// has no pending calls (retprobe.go).
		case bp.sys != nil:
			c.copyCatchpoint(bp)
		case bp == p.libs.watch:
			w := &Breakpoint{Internal: true, p: c, enabled: true, addrs: slices.Clone(bp.addrs)}
			w.OnHit = func(t *Thread, _ *Breakpoint) bool { c.librariesChanged(t); return false }
			c.libs.watch = w
			copies[bp] = w
			c.bps.list = append(c.bps.list, w)
		case slices.Contains(p.libs.resolver, bp):
			if o, ok := bp.Data.(*Breakpoint); ok && copies[o] != nil {
				again = append(again, copies[o])
			}
		default:
			nb := &Breakpoint{ID: bp.ID, Internal: bp.Internal, OnHit: bp.OnHit, Cond: bp.Cond, OnReturn: bp.OnReturn, Data: bp.Data,
				p: c, addrs: slices.Clone(bp.addrs), locs: slices.Clone(bp.locs), spec: bp.spec, enabled: bp.enabled}
			copies[bp] = nb
			c.bps.list = append(c.bps.list, nb)
		}
	}
	c.libs.static = p.libs.static
	// The int3s: each site of p is one of c's if a copy owns it, else its
	// original byte goes back.
	var err error
	for _, addr := range p.bps.sorted {
		s := p.bps.sites[addr]
		var owners []*Breakpoint
		for _, o := range s.owners {
			if nb := copies[o]; nb != nil {
				owners = append(owners, nb)
			}
		}
		if len(owners) == 0 {
			if perr := p.pokeChild(pid, addr, s.orig); perr != nil && err == nil {
				err = perr
			}
			continue
		}
		ns := *s
		ns.owners = owners
		ns.guard, ns.goChecked = nil, false // its own, at its first hit
		c.bps.sites[addr] = &ns
		c.bps.sorted = append(c.bps.sorted, addr)
	}
	if len(again) > 0 {
		if tab, terr := c.symbols(); terr == nil {
			for _, bp := range again {
				if rerr := c.resolveAgain(tab, bp); rerr != nil && err == nil {
					err = rerr
				}
			}
		} else if err == nil {
			err = terr
		}
	}
	return c, err
}

// addFirstThread adds the main thread of a new child, seen in its first
// stop ws: a signal that came before the stop that attaches it is kept, and
// that stop is still to come.
func (c *Process) addFirstThread(tid int, ws unix.WaitStatus) *Thread {
	first := ws.StopSignal() == unix.SIGSTOP || ws.TrapCause() == unix.PTRACE_EVENT_STOP
	t := c.addThread(tid, !first)
	t.state = tsStopped
	if !first && ws.TrapCause() == 0 {
		t.pendingSig, t.sigFresh = ws.StopSignal(), true
	}
	return t
}

// followFork reports the fork event of followed child c of p (made by thread
// t) to p's hook, and runs the child on unless the hook stops the family.
func (p *Process) followFork(t *Thread, c *Process) {
	ev := &Event{Kind: EventFork, Process: p, Thread: t, Child: c}
	p.observe(ev)
	if p.hooks.OnEvent != nil && p.callHook(ev) {
		p.report(ev)
		p.stopFamily(c)
		return
	}
	if c.state == Stopped && c.live() == nil {
		c.state = Running
		c.running.Store(true)
		if len(c.events) == 0 {
			c.resumeAll()
		}
	}
}

// stopFamily stops every running process of p's family but p, which reports
// the event, and except: each is stopped as if it had never been continued.
func (p *Process) stopFamily(except *Process) {
	root := p.root()
	for _, q := range p.e.processes() {
		if q == p || q == except || q.state != Running || q.root() != root {
			continue
		}
		q.stopAll()
		if len(q.events) == 0 && q.state == Running {
			q.state = Stopped
			q.running.Store(false)
		}
	}
}

// copyCatchpoint gives fork child c a copy of system call catchpoint bp of
// its parent's. The child stops where the parent does: at the calls its
// inherited filter traces, or at every call (PTRACE_SYSCALL), and its
// thread, fresh, is in no call.
func (c *Process) copyCatchpoint(bp *Breakpoint) {
	nb := &Breakpoint{ID: bp.ID, OnHit: bp.OnHit, Cond: bp.Cond, Data: bp.Data, p: c, sys: bp.sys, enabled: bp.enabled}
	c.bps.list = append(c.bps.list, nb)
	if !nb.enabled {
		return
	}
	s := &c.sys
	s.enabled++
	if nb.sys.all {
		s.all++
	}
	for _, nr := range nb.sys.nrs {
		s.caught[nr]++
	}
	s.syscalls = s.enabled > 0 && (!c.launched || s.noFilter)
}

// sharerExecedFollowed makes a Process of child c, which shared p's memory
// and has exec'd: its breakpoints are copies of p's set by location,
// resolved in the new program as for a traced exec (execed). The fork event
// comes first, then the child's exec event.
func (p *Process) sharerExecedFollowed(c *Thread) {
	p.removeThread(c)
	p.sharerDone(c)
	pid := c.tgid
	for _, o := range p.threadList() {
		if o.tgid == pid { // its other threads went with the exec
			p.removeThread(o)
		}
	}
	cp := p.newChild(pid)
	for _, bp := range p.bps.list {
		if bp.spec != nil && !bp.Internal && bp.hw == nil && bp.sys == nil && !bp.cleared {
			cp.bps.list = append(cp.bps.list, &Breakpoint{ID: bp.ID, OnHit: bp.OnHit, Cond: bp.Cond, OnReturn: bp.OnReturn, Data: bp.Data,
				p: cp, spec: bp.spec, enabled: bp.enabled})
		}
	}
	nt := cp.addThread(pid, false)
	nt.state = tsStopped
	cp.mu.Lock()
	nt.sigstopSent, nt.interrupted = c.sigstopSent, c.interrupted
	cp.mu.Unlock()
	cp.state = Running
	cp.running.Store(true)
	p.followFork(c.vforkParentOr(p), cp)
	cp.execed(nt)
}

// vforkParentOr is the thread that made c, or any thread of p.
func (c *Thread) vforkParentOr(p *Process) *Thread {
	if c.vforkParent != nil {
		return c.vforkParent
	}
	return p.anyThread()
}

// sharerExitedFollowed reports a child that shared p's memory and exited
// without an exec: a Process that has ended, after the fork event.
func (p *Process) sharerExitedFollowed(c *Thread, ws unix.WaitStatus) {
	par := c.vforkParentOr(p)
	p.sharerGone(c)
	if c.tid != c.tgid {
		return // a thread of the child's
	}
	cp := p.newChild(c.tgid)
	cp.state = Running
	cp.running.Store(true)
	p.followFork(par, cp)
	cp.queue(cp.finish(ws))
}
