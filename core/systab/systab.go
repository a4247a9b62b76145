// Package systab is the table of Linux x86-64 system calls and error numbers
// that stardbg's system call catchpoints use: a call's name from its number
// (Name), the number from the name (Number), and errno names both ways
// (ErrnoName, Errno).
//
// The names are the kernel's own (the __NR_ names of asm/unistd_64.h:
// "newfstatat", "clone3", "rt_sigreturn"), which is how strace and gdb name
// the calls too, not the libc wrappers' ("fstatat", "stat64"). The table is
// generated (go run mktable.go) from golang.org/x/sys/unix, so a call the
// kernel added after that module's release has a number and no name. It is
// for x86-64 only: not for 32-bit programs (int 0x80), nor for the x32 ABI,
// whose numbers have bit 30 set.
//
// The errno names are those of x/sys/unix (glibc's), plus the ones the
// kernel uses internally for a call that a signal interrupted
// (ERESTARTSYS and its kin), which a tracer sees at the call's exit and the
// program never does.
package systab

import (
	"maps"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Max is the highest system call number the table knows.
const Max = len(names) - 1

// Name is the name of system call nr, or "" for a number the table does not know.
func Name(nr int) string {
	if nr < 0 || nr > Max {
		return ""
	}
	return names[nr]
}

var byName = func() map[string]int {
	m := make(map[string]int, len(names))
	for nr, n := range names {
		if n != "" {
			m[n] = nr
		}
	}
	return m
}()

// Number is the number of the system call named name ("openat").
func Number(name string) (int, bool) {
	nr, ok := byName[name]
	return nr, ok
}

// Names lists every system call name, sorted.
func Names() []string { return slices.Sorted(maps.Keys(byName)) }

// The kernel's internal codes of a system call that a signal interrupted
// (include/linux/errno.h). The call's exit reports one of them; then the
// call is restarted, or the program sees EINTR, as the signal's handler
// and its SA_RESTART flag say.
const (
	ERESTARTSYS           = 512
	ERESTARTNOINTR        = 513
	ERESTARTNOHAND        = 514
	ERESTART_RESTARTBLOCK = 516
)

var restartNames = map[int]string{
	ERESTARTSYS: "ERESTARTSYS", ERESTARTNOINTR: "ERESTARTNOINTR",
	ERESTARTNOHAND: "ERESTARTNOHAND", ERESTART_RESTARTBLOCK: "ERESTART_RESTARTBLOCK",
}

// Restart says whether e is one of the kernel's restart codes.
func Restart(e int) bool { return restartNames[e] != "" }

// MaxErrno is the largest error number a system call returns (as -e): a
// return value in [-MaxErrno, -1] is an error, as the kernel and libc
// read it (IS_ERR_VALUE).
const MaxErrno = 4095

// ErrnoName is the name of error number e ("ENOENT"), or "" if it has none.
func ErrnoName(e int) string {
	if s := restartNames[e]; s != "" {
		return s
	}
	if e <= 0 || e > MaxErrno {
		return ""
	}
	return unix.ErrnoName(syscall.Errno(e))
}

// aliases are the second names of error numbers that have two.
var aliases = map[string]int{"EWOULDBLOCK": int(unix.EWOULDBLOCK), "EDEADLOCK": int(unix.EDEADLOCK),
	"ENOTSUP": int(unix.ENOTSUP)}

var errnoByName = func() map[string]int {
	m := map[string]int{}
	for e := 1; e <= 200; e++ {
		if n := ErrnoName(e); n != "" {
			m[n] = e
		}
	}
	for n, e := range restartNames {
		m[e] = n
	}
	for a, e := range aliases {
		m[a] = e
	}
	return m
}()

// Errno is the error number named name ("ENOSPC"); aliases such as
// EWOULDBLOCK are accepted.
func Errno(name string) (int, bool) {
	e, ok := errnoByName[name]
	return e, ok
}

// ErrnoNames lists every errno name Errno accepts, sorted.
func ErrnoNames() []string { return slices.Sorted(maps.Keys(errnoByName)) }
