//go:build ignore

// rawtrace: the classic ptrace breakpoint cycle, as a reference for stardbg's
// hit rate. It launches a program under ptrace, plants an int3 at one address
// and counts the hits, stepping over each one the classic way:
//
//   waitpid, GETREGS, rip--, SETREGS, restore the byte, SINGLESTEP, waitpid,
//   re-insert the byte, CONT
//
// Threads are followed (PTRACE_O_TRACECLONE, waitpid(-1, __WALL)) but never
// stopped: while one thread single-steps with the byte out, the others run on
// and pass the breakpoint unseen. In a multi-threaded target it therefore
// misses hits, which is the point of measuring it: the count it prints is the
// hits it saw. The target itself still runs correctly.
//
// usage:  rawtrace VADDR LOWEST PROG [ARGS...]
//   VADDR   the breakpoint's link-time address (ELF symbol value), hex or decimal
//   LOWEST  the lowest link-time address of the executable's first PT_LOAD
//           segment, page aligned; the load bias is the start of the
//           executable's mapping at file offset 0 minus LOWEST (0 for
//           position-dependent executables)
// output (after the target's own, on stdout):
//   rawtrace hits=H argsum=S
// where S is the sum of rdi (the first SysV integer argument) over the hits.
// Exit status: the target's, or 3 when tracing failed.
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXTIDS 4096

static pid_t stepping[MAXTIDS]; // threads single-stepping over the breakpoint
static int nstepping;

static void die(const char *what)
{
	fprintf(stderr, "rawtrace: %s: %s\n", what, strerror(errno));
	exit(3);
}

// loadbias returns the start of pid's executable mapping at offset 0.
static uintptr_t exebase(pid_t pid)
{
	char path[64], exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof exe - 1);
	if (n < 0)
		die("readlink /proc/PID/exe");
	exe[n] = 0;
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		die("open /proc/PID/maps");
	while (fgets(line, sizeof line, f)) {
		uintptr_t start, end, off;
		char file[PATH_MAX];

		file[0] = 0;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %*s %" SCNxPTR " %*s %*s %4095s",
			   &start, &end, &off, file) >= 3 &&
		    off == 0 && strcmp(file, exe) == 0) {
			fclose(f);
			return start;
		}
	}
	fclose(f);
	fprintf(stderr, "rawtrace: no mapping of %s in process %d\n", exe, pid);
	exit(3);
}

static long peek(pid_t tid, uintptr_t addr)
{
	long w;

	errno = 0;
	w = ptrace(PTRACE_PEEKTEXT, tid, (void *)addr, 0);
	if (errno)
		die("PTRACE_PEEKTEXT");
	return w;
}

static void poke(pid_t tid, uintptr_t addr, long w)
{
	if (ptrace(PTRACE_POKETEXT, tid, (void *)addr, (void *)w) != 0)
		die("PTRACE_POKETEXT");
}

static int take_stepping(pid_t tid)
{
	for (int i = 0; i < nstepping; i++) {
		if (stepping[i] == tid) {
			stepping[i] = stepping[--nstepping];
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uintptr_t vaddr, lowest, addr;
	long orig, trap;
	long hits = 0, argsum = 0;
	int status, code = 3, threads = 1;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: rawtrace VADDR LOWEST PROG [ARGS...]\n");
		return 2;
	}
	vaddr = strtoull(argv[1], NULL, 0);
	lowest = strtoull(argv[2], NULL, 0);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[3], argv + 3);
		fprintf(stderr, "rawtrace: exec %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "rawtrace: %s did not stop after exec\n", argv[3]);
		return 3;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL)) != 0)
		die("PTRACE_SETOPTIONS");
	addr = vaddr + exebase(pid) - lowest;
	orig = peek(pid, addr);
	trap = (orig & ~0xffL) | 0xcc;
	poke(pid, addr, trap);
	if (ptrace(PTRACE_CONT, pid, 0, 0) != 0)
		die("PTRACE_CONT");

	while (threads > 0) {
		pid_t tid = waitpid(-1, &status, __WALL);
		int sig = 0;

		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			die("waitpid");
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			threads--;
			// A thread that dies mid-step leaves the byte out for good:
			// the hits it then misses show in the count.
			take_stepping(tid);
			if (tid == pid)
				code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		if (sig == SIGTRAP && status >> 16 == PTRACE_EVENT_CLONE) {
			threads++; // the new thread's first stop is a SIGSTOP, below
			sig = 0;
		} else if (sig == SIGTRAP && status >> 16 == 0) {
			struct user_regs_struct regs;

			sig = 0;
			if (take_stepping(tid)) {
				// Stepped over the breakpoint: put it back unless another
				// thread is still stepping with the byte out.
				if (nstepping == 0)
					poke(tid, addr, trap);
			} else {
				if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
					die("PTRACE_GETREGS");
				if (regs.rip - 1 != addr) {
					sig = SIGTRAP; // not ours
				} else {
					hits++;
					argsum += (long)regs.rdi;
					regs.rip--;
					if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0)
						die("PTRACE_SETREGS");
					if (nstepping == 0)
						poke(tid, addr, orig);
					if (nstepping == MAXTIDS) {
						fprintf(stderr, "rawtrace: too many threads stepping\n");
						return 3;
					}
					stepping[nstepping++] = tid;
					if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) != 0)
						die("PTRACE_SINGLESTEP");
					continue;
				}
			}
		} else if (sig == SIGSTOP) {
			sig = 0; // a new thread's first stop (or ours to ignore)
		} else if (status >> 16 != 0) {
			sig = 0; // other ptrace events
		}
		if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig) != 0 && errno != ESRCH)
			die("PTRACE_CONT");
	}
	printf("rawtrace hits=%ld argsum=%ld\n", hits, argsum);
	return code;
}
