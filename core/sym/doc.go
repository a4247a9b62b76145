// Package sym turns names into addresses and addresses into names for a
// Linux/amd64 process: ELF symbols (.symtab and .dynsym) of the executable
// and of every shared object mapped into it, DWARF line tables, Go's
// .gopclntab (which survives -ldflags=-w: functions, lines and the calls
// the compiler inlined, GoInlined), GNU indirect functions, the
// dynamic linker's rendezvous, and call-stack unwinding by DWARF CFI
// (.eh_frame, .debug_frame) or frame pointers.
//
// A Table is the symbol view of one process (or of one file not yet
// running). It places each module at its load address from
// /proc/PID/maps. Parsed files are cached once per file (device, inode,
// modification time and size) in a Files cache, shared by every Table made
// with it, which owns their open files (core's Engine has one, and closes it
// with the engine); their symbol tables, line tables and CFI are loaded on
// first use. Lookups
// are map or binary-search operations.
//
// Before the dynamic linker has run, the libraries a program needs are known
// on disk: Table.Needed finds them as the dynamic linker would (DT_NEEDED,
// RPATH and RUNPATH with $ORIGIN, LD_LIBRARY_PATH and LD_PRELOAD of the
// process, /etc/ld.so.cache, the default directories), and
// Table.ResolveNeeded checks names against them.
//
// Location specs follow gdb: "0x401000", "hot", "main.(*T).Method",
// "hotloop.c:42", "libc.so.6:malloc", "libc:malloc". A line with no code
// moves to the next line that has code, and a function's opening line
// moves past its prologue, choosing the same address as gdb.
//
// A separate debug file found by build ID under /usr/lib/debug/.build-id
// (Debian's libc6-dbg, *-dbgsym packages) adds its .symtab to a stripped
// file's symbols; its DWARF is not read, and .gnu_debuglink is not followed.
//
// The package reads memory only through the Memory interface the caller
// provides, and never stops, starts or traces a process. It does not
// evaluate variables or types, or run IFUNC resolvers: an indirect function
// whose GOT slot is not relocated yet is reported as Pending. A Table is not safe for
// concurrent use; the parsed files it shares are.
package sym
