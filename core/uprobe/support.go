package uprobe

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
)

// ErrUnsupported is what Supported's error wraps: this system cannot run
// uprobes with eBPF programs for this process.
var ErrUnsupported = errors.New("eBPF uprobes are not available")

// Capabilities (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

var (
	supportOnce sync.Once
	supportErr  error
)

// Supported reports whether probes can be attached here. Its error wraps
// ErrUnsupported and names what is missing: the capabilities (CAP_BPF and
// CAP_PERFMON, or root), the uprobe PMU or tracefs, eBPF programs of the
// kprobe type, or BPF ring buffers (Linux 5.8).
func Supported() error {
	supportOnce.Do(func() { supportErr = supported() })
	return supportErr
}

func supported() error {
	if os.Geteuid() != 0 {
		eff, err := effectiveCaps()
		if err != nil {
			return fmt.Errorf("%w: the capabilities of stardbg cannot be read: %v", ErrUnsupported, err)
		}
		has := func(c uint) bool { return eff&(1<<c) != 0 }
		if !has(capSysAdmin) && !(has(capBPF) && has(capPerfmon)) {
			return fmt.Errorf("%w: stardbg runs without CAP_BPF and CAP_PERFMON (or root)", ErrUnsupported)
		}
	}
	if _, err := os.Stat("/sys/bus/event_source/devices/uprobe"); err != nil {
		if _, err := os.Stat("/sys/kernel/tracing/uprobe_events"); err != nil {
			return fmt.Errorf("%w: the kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe) and tracefs is not mounted at /sys/kernel/tracing (CONFIG_UPROBE_EVENTS)", ErrUnsupported)
		}
	}
	if err := features.HaveProgramType(ebpf.Kprobe); err != nil {
		return fmt.Errorf("%w: the kernel cannot load eBPF kprobe programs (CONFIG_BPF_EVENTS): %v", ErrUnsupported, err)
	}
	if err := features.HaveMapType(ebpf.RingBuf); err != nil {
		return fmt.Errorf("%w: the kernel has no BPF ring buffer (Linux 5.8): %v", ErrUnsupported, err)
	}
	return nil
}

// effectiveCaps reads CapEff from /proc/self/status.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}
