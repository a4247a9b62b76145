package testtarget

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// I386Exit7 (exit(7)) and I386PauseLoop (pause() for ever) are i386 machine
// code for the 32-bit programs that tests of their refusal write with
// WriteI386 (Linux system calls through int 0x80).
var (
	I386Exit7 = []byte{
		0xb8, 1, 0, 0, 0, // mov eax, 1 (exit)
		0xbb, 7, 0, 0, 0, // mov ebx, 7
		0xcd, 0x80, // int 0x80
	}
	I386PauseLoop = []byte{
		0xb8, 29, 0, 0, 0, // mov eax, 29 (pause)
		0xcd, 0x80, // int 0x80
		0xeb, 0xf7, // jmp back to the mov
	}
)

// WriteI386 writes dir/name, a static i386 executable that runs code, and
// returns its path: the smallest file the kernel loads, an ELF header, one
// PT_LOAD program header and the code, without a compiler for -m32. Running
// it needs a kernel with IA32 emulation.
func WriteI386(t *testing.T, dir, name string, code []byte) string {
	t.Helper()
	const base, ehsize, phsize = 0x08048000, 52, 32
	le := binary.LittleEndian
	b := make([]byte, ehsize+phsize, ehsize+phsize+len(code))
	copy(b, "\x7fELF\x01\x01\x01") // ELFCLASS32, little endian, version 1
	le.PutUint16(b[16:], 2)        // ET_EXEC
	le.PutUint16(b[18:], 3)        // EM_386
	le.PutUint32(b[20:], 1)        // EV_CURRENT
	le.PutUint32(b[24:], base+ehsize+phsize)
	le.PutUint32(b[28:], ehsize) // e_phoff
	le.PutUint16(b[40:], ehsize)
	le.PutUint16(b[42:], phsize)
	le.PutUint16(b[44:], 1) // e_phnum
	ph := b[ehsize:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[8:], base)
	le.PutUint32(ph[12:], base)
	le.PutUint32(ph[16:], uint32(ehsize+phsize+len(code)))
	le.PutUint32(ph[20:], uint32(ehsize+phsize+len(code)))
	le.PutUint32(ph[24:], 5) // PF_R|PF_X
	le.PutUint32(ph[28:], 0x1000)
	b = append(b, code...)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
