//go:build !(linux && amd64)

package emu

// Emulate works on the registers of a linux/amd64 thread (unix.PtraceRegs).
var _ = package_emu_needs_linux_amd64
