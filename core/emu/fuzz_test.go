package emu

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// patternMem is a Memory that holds a byte derived from every address, except in the
// pages it refuses; it counts the writes it accepts.
type patternMem struct{ writes int }

func (m *patternMem) ok(addr uint64, n int) error {
	for a := addr; a != addr+uint64(n); a++ {
		if a>>12&3 == 3 || a >= userLimit && a>>56 != 0xff {
			return errFault
		}
	}
	return nil
}

func (m *patternMem) ReadMem(addr uint64, b []byte) error {
	if err := m.ok(addr, len(b)); err != nil {
		return err
	}
	for i := range b {
		a := addr + uint64(i)
		b[i] = byte(a ^ a>>8 ^ a>>16)
	}
	return nil
}

func (m *patternMem) WriteMem(addr uint64, b []byte) error {
	if err := m.ok(addr, len(b)); err != nil {
		return err
	}
	m.writes++
	return nil
}

// splitmix returns the next value of a splitmix64 sequence.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// FuzzDecode decodes arbitrary bytes and emulates whatever decodes, from registers
// derived from seed. It must never panic, and Emulate must keep its promises: on
// error nothing changes; on success only the registers it models change.
func FuzzDecode(f *testing.F) {
	for i, tt := range emulateTests {
		f.Add(mustHex(tt.code), uint64(i))
	}
	for _, h := range []string{"0f 05", "f0 01 00", "f3 41 90", "67 8d 05 00 00 00 00", "ff 25 00 00 00 00", "c5 f8 77", "48"} {
		f.Add(mustHex(h), uint64(0))
	}
	f.Fuzz(func(t *testing.T, code []byte, seed uint64) {
		pc := splitmix(&seed) & (userLimit - 1)
		in, err := Decode(code, pc)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("Decode error %v is not a *DecodeError", err)
			}
			return
		}
		if in.Len() < 1 || in.Len() > maxLen || in.Len() > len(code) || !bytes.Equal(in.Bytes(), code[:in.Len()]) {
			t.Fatalf("Decode(% x): Len %d, Bytes % x", code, in.Len(), in.Bytes())
		}
		_ = in.String()
		_ = in.RIPRelative()

		regs := unix.PtraceRegs{Rip: pc, Orig_rax: ^uint64(0), Cs: 0x33, Ss: 0x2b}
		for _, p := range []*uint64{&regs.Rax, &regs.Rbx, &regs.Rcx, &regs.Rdx, &regs.Rsi, &regs.Rdi,
			&regs.Rbp, &regs.Rsp, &regs.R8, &regs.R9, &regs.R10, &regs.R11, &regs.R12, &regs.R13,
			&regs.R14, &regs.R15, &regs.Eflags, &regs.Fs_base, &regs.Gs_base} {
			*p = splitmix(&seed)
			if *p&1 == 0 {
				*p &= 0xffff // small values reach mapped pages more often
			}
		}
		before := regs
		mem := &patternMem{}
		err = in.Emulate(&regs, mem)
		if !in.Emulable() {
			if !errors.Is(err, ErrNotEmulable) {
				t.Fatalf("%s: not emulable, but Emulate returned %v", &in, err)
			}
		}
		if err != nil {
			var ee *EmulateError
			if !errors.As(err, &ee) {
				t.Fatalf("%s: error %v is not an *EmulateError", &in, err)
			}
			if regs != before || mem.writes != 0 {
				t.Fatalf("%s: failed Emulate (%v) changed something", &in, err)
			}
			return
		}
		if mem.writes > 1 {
			t.Fatalf("%s: %d memory writes", &in, mem.writes)
		}
		if (regs.Eflags^before.Eflags)&^flagsArith != 0 {
			t.Fatalf("%s: changed flags %#x", &in, regs.Eflags^before.Eflags)
		}
		if regs.Fs_base != before.Fs_base || regs.Gs_base != before.Gs_base || regs.Cs != before.Cs ||
			regs.Orig_rax != before.Orig_rax {
			t.Fatalf("%s: changed registers it does not model", &in)
		}
		if !isBranch(in.inst.Op) && regs.Rip != pc+uint64(in.Len()) {
			t.Fatalf("%s: rip %#x, want %#x", &in, regs.Rip, pc+uint64(in.Len()))
		}
		if regs.Rip >= userLimit {
			t.Fatalf("%s: rip %#x outside user space", &in, regs.Rip)
		}
	})
}
