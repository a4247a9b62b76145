// Package uprobe counts and records the hits of a function in another process
// without stopping it: a kernel uprobe at the function's entry runs a small
// eBPF program that filters the hit (the traced process, a thread, an
// argument), counts it exactly in a per-CPU map, and, when asked, copies the
// hitting thread's id, a timestamp, its general registers and some of the
// memory its arguments point to into a ring buffer that the debugger reads.
//
// It is what stardbg's tracepoints are made of: core attaches a Probe where a
// breakpoint would plant an int3, and delivers the Ring's records to the
// script from the tracer thread (see core/doc.go). The programs are written
// with github.com/cilium/ebpf's asm package, so no compiler is needed at run
// time; cilium/ebpf loads them and attaches the uprobes (the uprobe PMU, or
// tracefs where the kernel has no PMU).
//
// It is not a general eBPF toolkit: one program shape (filter, count,
// record), entries of functions only (no uretprobes, which crash Go
// programs, whose stacks move), and no reading of memory beyond the captures
// the caller lists, which are made at the moment of the hit.
//
// Limits: Linux/amd64; root, or CAP_BPF with CAP_PERFMON (Supported says what
// is missing). A filter is one thread id and one comparison of one register
// with a constant. A capture copies at most MaxCapture bytes. Records that do
// not fit in the ring buffer (the reader fell behind) are dropped and counted
// (Probe.Lost); hits are counted whether or not their record fits. A uprobe is
// set on a file, but for one process: the kernel writes its int3 only into
// the memory of the traced process (Spec.Tgid, the perf event's target, whose
// address space is the kernel's filter), so other processes running the file
// pay nothing; the program also checks the tgid. The kernel's filter follows
// the traced process's main thread: after that thread exits (pthread_exit in
// main), the kernel takes the uprobes out of the process and hits are no
// longer counted. Probe.Widen, called before, sets them for every process
// running the file instead: those trap too, and the program's tgid check
// leaves their hits out (core does it at the main thread's exit stop, the
// other threads stopped, so that no hit is counted twice or missed).
package uprobe
