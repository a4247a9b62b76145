package core

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoAddr and siginfoPid read the union of siginfo_t where the kernel
// writes it: si_addr and si_pid at byte 16 of the 128.
func TestSiginfoUnion(t *testing.T) {
	if unsafe.Sizeof(unix.Siginfo{}) != 128 {
		t.Fatalf("unix.Siginfo is %d bytes, want siginfo_t's 128", unsafe.Sizeof(unix.Siginfo{}))
	}
	var raw [128]byte
	binary.LittleEndian.PutUint32(raw[0:], uint32(unix.SIGSEGV))
	binary.LittleEndian.PutUint32(raw[8:], 1) // SEGV_MAPERR
	binary.LittleEndian.PutUint64(raw[16:], 0xdeadbeef0010)
	si := (*unix.Siginfo)(unsafe.Pointer(&raw))
	if si.Signo != int32(unix.SIGSEGV) || si.Code != 1 || siginfoAddr(si) != 0xdeadbeef0010 || uint32(siginfoPid(si)) != 0xbeef0010 {
		t.Fatalf("signo %d code %d addr %#x pid %#x", si.Signo, si.Code, siginfoAddr(si), siginfoPid(si))
	}
}
