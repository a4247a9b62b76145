package core

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FPRegs is the x87, SSE and AVX state of a thread.
type FPRegs struct {
	MXCSR  uint32
	ST     [8][10]byte // x87 registers st0-st7, 80-bit, in physical order of the FXSAVE area
	XMM    [16][16]byte
	YMM    [16][32]byte // xmm in the low half, the AVX upper half in the high half
	HasAVX bool         // the upper halves came from the CPU (else they are zero)
}

const (
	ntPRFPREG   = 2
	ntX86XSTATE = 0x202
	xstateAVX   = 1 << 2
	fxsaveSize  = 512
	ymmHiOffset = 576 // standard XSAVE offset of the YMM_Hi128 component
)

// FPRegs reads the thread's floating-point and vector registers with
// PTRACE_GETREGSET (NT_X86_XSTATE), falling back to the FXSAVE area on CPUs or
// kernels without XSAVE.
func (t *Thread) FPRegs() (*FPRegs, error) {
	var fp *FPRegs
	var err error
	t.p.e.Do(func() {
		if err = t.stoppedErr(); err != nil {
			return
		}
		fp, err = readFPRegs(t.tid)
	})
	return fp, err
}

func readFPRegs(tid int) (*FPRegs, error) {
	buf := make([]byte, 16384)
	n, err := getRegSet(tid, ntX86XSTATE, buf)
	if err != nil || n < fxsaveSize {
		if n, err = getRegSet(tid, ntPRFPREG, buf[:fxsaveSize]); err != nil {
			return nil, os.NewSyscallError("ptrace(PTRACE_GETREGSET)", err)
		}
	}
	buf = buf[:n]
	fp := &FPRegs{MXCSR: binary.LittleEndian.Uint32(buf[24:])}
	for i := range fp.ST {
		copy(fp.ST[i][:], buf[32+16*i:])
	}
	for i := range fp.XMM {
		copy(fp.XMM[i][:], buf[160+16*i:])
		copy(fp.YMM[i][:16], fp.XMM[i][:])
	}
	if n >= ymmHiOffset+256 && n >= fxsaveSize+8 {
		xstateBV := binary.LittleEndian.Uint64(buf[fxsaveSize:])
		if xstateBV&xstateAVX != 0 {
			fp.HasAVX = true
			for i := range fp.YMM {
				copy(fp.YMM[i][16:], buf[ymmHiOffset+16*i:])
			}
		} else if binary.LittleEndian.Uint64(buf[464:])&xstateAVX != 0 {
			fp.HasAVX = true // AVX enabled, state in its init configuration: zero
		}
	}
	return fp, nil
}

func getRegSet(tid int, kind uintptr, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	if err := ptrace(unix.PTRACE_GETREGSET, tid, kind, uintptr(unsafe.Pointer(&iov))); err != nil {
		return 0, err
	}
	return int(iov.Len), nil
}
