package goruntime

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
)

// A knownLayout is what Load reads from DWARF, for a Go release whose
// binaries may come without it (-ldflags=-w).
type knownLayout struct {
	g      gLayout
	m      mLayout
	status statusConsts
}

// knownLayouts are the layouts of the Go releases (major.minor) that a
// binary without DWARF is read with. Every entry must be checked against
// the DWARF of a binary built by that release (TestKnownLayoutMatchesDWARF
// checks the one of the toolchain that runs the tests); a release that is
// not here fails with ErrNoDWARF. The layout of runtime.g does not change
// within a release.
var knownLayouts = map[string]knownLayout{
	"go1.26": {
		g: gLayout{stackLo: 0, stackHi: 8, m: 48, schedSP: 56, schedPC: 64, schedBP: 96, status: 144, goid: 152,
			waitReason: 176, parentGoid: 280, gopc: 288, startpc: 304, syscallSP: 104, syscallPC: 112, syscallBP: 120,
			size: 312},
		m: mLayout{g0: 0, procid: 64, curg: 184, size: 192},
		status: statusConsts{idle: 0, runnable: 1, running: 2, syscall: 3, waiting: 4, dead: 6, copystack: 8,
			preempted: 9, scan: 0x1000, leaked: 10, deadextra: 11},
	},
}

// goVersion returns the Go release that built f ("go1.26.8"), from its
// build information (.go.buildinfo, which -ldflags=-w and -s keep), or "".
func goVersion(f *elf.File) string {
	sec := f.Section(".go.buildinfo")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 32 || !bytes.HasPrefix(data, []byte("\xff Go buildinf:")) {
		return ""
	}
	const inlineStrings = 2 // flags: the version follows the header (Go 1.18 and later)
	if data[15]&inlineStrings == 0 {
		return ""
	}
	n, k := binary.Uvarint(data[32:])
	if k <= 0 || 32+k+int(n) > len(data) {
		return ""
	}
	return string(data[32+k : 32+k+int(n)])
}

// release returns the major.minor of a Go version: "go1.26" of
// "go1.26.8" or "go1.26rc1".
func release(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	minor := parts[1]
	if i := strings.IndexAny(minor, "rcbeta-+ "); i > 0 {
		minor = minor[:i]
	}
	return parts[0] + "." + minor
}

// useKnownLayout sets the layouts of a binary without DWARF from
// knownLayouts, or returns why it cannot.
func (rt *Runtime) useKnownLayout(f *elf.File, why error) error {
	v := goVersion(f)
	kl, ok := knownLayouts[release(v)]
	if !ok {
		if v == "" {
			v = "an unknown Go version"
		}
		return fmt.Errorf("%w (%v), and stardbg knows no layout of %s", ErrNoDWARF, why, v)
	}
	rt.g, rt.m, rt.status = kl.g, kl.m, kl.status
	rt.version, rt.fallback = v, true
	return nil
}
