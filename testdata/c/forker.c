// forker: creates child processes while calling hot(), for tests of how the
// debugger treats fork, vfork-style spawns and breakpoints left in children.
//
// usage:  forker [fork|spawn [N]]   mode defaults to fork, N to 1000
// The parent calls hot(i) for i in [0,N), makes children, then calls
// hot(i) for i in [N,2N).
// fork mode: fork(); the child calls hot(i), i in [0,N), and exits 0.
//   child ok sum=S               S = 3*N*(N-1)/2 + N
//   parent calls=2N sum=P child_status=0
// spawn mode: posix_spawn("/bin/true"), then system("true").
//   spawn_status=0 system_status=0
//   parent calls=2N sum=P
// where P = sum of hot(i), i in [0,2N) = 3*N*(2*N-1) + 2*N.
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

extern char **environ;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

static long hot_range(long from, long to)
{
	long sum = 0;

	for (long i = from; i < to; i++)
		sum += hot(i);
	return sum;
}

// status turns a wait status into 0..255 for an exit, 128+sig for a signal.
static int status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return -1;
}

static int do_fork(long n, long *sum)
{
	int ws;
	pid_t pid;

	fflush(stdout);
	pid = fork(); // @fork
	if (pid < 0) {
		perror("forker: fork");
		exit(1);
	}
	if (pid == 0) {
		printf("child ok sum=%ld\n", hot_range(0, n));
		exit(0);
	}
	if (waitpid(pid, &ws, 0) != pid) {
		perror("forker: waitpid");
		exit(1);
	}
	*sum += hot_range(n, 2 * n);
	printf("parent calls=%ld sum=%ld child_status=%d\n", 2 * n, *sum, status(ws));
	return 0;
}

static int do_spawn(long n, long *sum)
{
	char *args[] = {"true", NULL};
	int ws, sys;
	pid_t pid;

	if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) { // @spawn
		perror("forker: posix_spawn");
		exit(1);
	}
	if (waitpid(pid, &ws, 0) != pid) {
		perror("forker: waitpid");
		exit(1);
	}
	sys = system("true");
	printf("spawn_status=%d system_status=%d\n", status(ws), status(sys));
	*sum += hot_range(n, 2 * n);
	printf("parent calls=%ld sum=%ld\n", 2 * n, *sum);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fork";
	long n = argc > 2 ? atol(argv[2]) : 1000;
	long sum;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sum = hot_range(0, n);
	if (strcmp(mode, "fork") == 0)
		return do_fork(n, &sum);
	if (strcmp(mode, "spawn") == 0)
		return do_spawn(n, &sum);
	fprintf(stderr, "forker: unknown mode %s (want fork or spawn)\n", mode);
	return 2;
}
