//go:build !(linux && amd64)

package core

// stardbg's engine is written for Linux on amd64 only: ptrace requests, register
// layouts and the int3 breakpoint instruction are all specific to it.
var _ = stardbgRequiresLinuxAmd64
