package core

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
)

// Err32Bit is the cause of a StartError for a program the engine cannot trace:
// an i386 or x32 executable (ELFCLASS32). Its registers, system calls and
// symbols are not those of amd64, so a breakpoint in it would kill it and its
// registers would read as 0; it is refused before it is forked or touched.
var Err32Bit = errors.New("32-bit programs are not supported")

// elfClass32 reports whether the file at path is an ELFCLASS32 executable,
// or a script whose #! interpreter is one. A file it cannot read or that is
// not ELF is not, and goes on to execve, which says what is wrong with it.
func elfClass32(path string) bool { return elfClass32Depth(path, 4) }

// elfClass32Depth is elfClass32 following at most depth #! interpreters, as
// the kernel does (it gives up after 4 with ELOOP).
func elfClass32Depth(path string, depth int) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [256]byte
	n, _ := io.ReadFull(f, head[:])
	b := head[:n]
	const elfClass = 4 // e_ident[EI_CLASS]: 1 is ELFCLASS32, 2 ELFCLASS64
	if len(b) > elfClass && bytes.HasPrefix(b, []byte("\x7fELF")) {
		return b[elfClass] == 1
	}
	if interp, ok := bytes.CutPrefix(b, []byte("#!")); ok {
		line, _, _ := bytes.Cut(interp, []byte("\n"))
		if fields := strings.Fields(string(line)); len(fields) > 0 && depth > 0 {
			return elfClass32Depth(fields[0], depth-1)
		}
	}
	return false
}
