package main

import (
	"fmt"
	"io"
	"time"

	"stardbg/builtins"
	"stardbg/core"
)

// maxFrames bounds each backtrace of dumpThreads.
const maxFrames = 32

// dumpThreads prints a backtrace of every thread of every process of the
// interpreter, stopping those still running: what stardbg shows when
// --timeout expires, to say where the target hung.
func dumpThreads(w io.Writer, d *debugger) {
	d.eng.Do(func() {
		for _, p := range d.env.Processes() {
			cp := p.Core()
			if cp.State() == core.Running {
				cp.Stop()
				cp.Wait(5 * time.Second)
			}
			if st := cp.State(); st != core.Stopped {
				fmt.Fprintf(w, "process %d (%s): %s\n", cp.Pid(), cp.Exe(), st)
				continue
			}
			fmt.Fprintf(w, "process %d (%s):\n", cp.Pid(), cp.Exe())
			for _, t := range cp.Threads() {
				fmt.Fprintf(w, "  thread %d (%s):\n", t.Tid(), t.Name())
				frames, err := t.Backtrace(maxFrames)
				if err != nil {
					fmt.Fprintf(w, "    %v\n", err)
					continue
				}
				for i, f := range frames {
					fmt.Fprintf(w, "    %s\n", builtins.FrameLine(i, f))
				}
			}
		}
	})
}
