package core

import "golang.org/x/sys/unix"

// reapDetached waits, on a goroutine of its own, for the end of a launched
// process that the engine has let go, so that it does not stay a zombie for
// as long as stardbg runs: the tracer thread forked it, so it is stardbg's
// child, and once detached no one else waits for it. The pidfd names that
// process alone, so a later child that is given the same pid is never
// reaped by mistake; if the engine's own wait4 reaps it first, waitid fails
// with ECHILD and the goroutine ends.
func reapDetached(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	go func() {
		defer unix.Close(fd)
		var info unix.Siginfo
		for unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED, nil) == unix.EINTR {
		}
	}()
}
