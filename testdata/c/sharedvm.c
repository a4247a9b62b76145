// sharedvm: children that share the parent's memory, for tests of how the
// debugger traces them. hot() is the function to count; the program counts
// its own calls, so a test can check a breakpoint's hits against them.
//
// usage:  sharedvm spawn [K [M]]   K worker threads call hot() while the main
//                                  thread makes M posix_spawn("/bin/true") and
//                                  M system("true") children (vfork-style:
//                                  each shares the memory until it execs)
//         sharedvm clone [N]       a clone(CLONE_VM|SIGCHLD) child calls hot()
//                                  N times while the parent does too, then the
//                                  parent calls it N times more
//         sharedvm clone0 [N]      the same with clone(CLONE_VM): no exit
//                                  signal, which the kernel reports to a
//                                  tracer as a new thread, not a fork
//         sharedvm vfork [N]       N children made with vfork(), each execs
//                                  /bin/true (or exits 127)
//         sharedvm orphan [N]      a clone(CLONE_VM|SIGCHLD) child calls hot()
//                                  N times, waits for its parent to exit, then
//                                  calls it N times more and prints; the
//                                  parent calls hot() N times and exits
// defaults: K=3, M=100, N=10000. Output, one line:
//   spawn: calls=C children=2M failed=F    (F children did not exit 0; each
//                                           one also prints "child ... status S")
//   clone, clone0: calls=C child_calls=N child_status=S
//   vfork: vforks=N failed=F       (F children did not exit 0)
//   orphan: parent_calls=N      (the parent, at its exit)
//           orphan_calls=2N     (the child, once its parent has exited)
// where C counts every call of hot(), the child's included.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

extern char **environ;

static volatile int done;
static long child_calls;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
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

static void *worker(void *arg)
{
	long *calls = arg, sum = 0;

	while (!done) {
		sum += hot(*calls);
		(*calls)++;
	}
	return (void *)sum;
}

static int spawn(int k, int m)
{
	char *args[] = {"true", NULL};
	pthread_t th[64];
	long calls[64] = {0}, total = 0;
	int failed = 0;

	if (k > 64)
		k = 64;
	for (int i = 0; i < k; i++)
		pthread_create(&th[i], NULL, worker, &calls[i]);
	for (int i = 0; i < m; i++) {
		pid_t pid;
		int ws, s;

		if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) != 0) {
			perror("sharedvm: posix_spawn");
			exit(1);
		}
		if (waitpid(pid, &ws, 0) != pid) {
			perror("sharedvm: waitpid");
			exit(1);
		}
		if ((s = status(ws)) != 0) {
			printf("child posix_spawn %d status %d\n", i, s);
			failed++;
		}
		if ((s = status(system("true"))) != 0) {
			printf("child system %d status %d\n", i, s);
			failed++;
		}
	}
	done = 1;
	for (int i = 0; i < k; i++) {
		pthread_join(th[i], NULL);
		total += calls[i];
	}
	printf("calls=%ld children=%d failed=%d\n", total, 2 * m, failed);
	return failed != 0;
}

// child runs in the memory of its parent, on its own stack: it touches
// nothing but hot() and a global (no libc, whose thread state it would share).
static int child(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++) {
		hot(i);
		child_calls++;
	}
	return 0;
}

static int clonevm(long n, int flags)
{
	static char stack[1 << 16] __attribute__((aligned(16)));
	long calls = 0;
	int ws;
	pid_t pid;

	pid = clone(child, stack + sizeof stack, flags, &n);
	if (pid < 0) {
		perror("sharedvm: clone");
		exit(1);
	}
	for (long i = 0; i < n; i++, calls++)
		hot(i);
	if (waitpid(pid, &ws, __WALL) != pid) {
		perror("sharedvm: waitpid");
		exit(1);
	}
	for (long i = 0; i < n; i++, calls++)
		hot(i);
	printf("calls=%ld child_calls=%ld child_status=%d\n", calls + child_calls, child_calls, status(ws));
	return status(ws) != 0;
}

static int vforks(long n)
{
	int failed = 0;

	for (long i = 0; i < n; i++) {
		int ws;
		pid_t pid = vfork();

		if (pid < 0) {
			perror("sharedvm: vfork");
			exit(1);
		}
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &ws, 0) != pid) {
			perror("sharedvm: waitpid");
			exit(1);
		}
		if (status(ws) != 0) {
			printf("child vfork %ld status %d\n", i, status(ws));
			failed++;
		}
	}
	printf("vforks=%ld failed=%d\n", n, failed);
	return failed != 0;
}

// orphan_child outlives its parent, in the memory the parent left it, and
// says so with write(2): stdio belongs to the parent.
static int orphan_child(void *arg)
{
	long n = ((long *)arg)[0], calls = 0;
	pid_t parent = ((long *)arg)[1];
	char line[64];
	int len;

	for (long i = 0; i < n; i++, calls++)
		hot(i);
	while (getppid() == parent)
		sched_yield();
	for (long i = 0; i < n; i++, calls++)
		hot(i);
	len = snprintf(line, sizeof line, "orphan_calls=%ld\n", calls);
	write(1, line, len);
	return 0;
}

static int orphan(long n)
{
	static char stack[1 << 16] __attribute__((aligned(16)));
	static long arg[2];
	long calls = 0;

	arg[0] = n;
	arg[1] = getpid();
	if (clone(orphan_child, stack + sizeof stack, CLONE_VM | SIGCHLD, arg) < 0) {
		perror("sharedvm: clone");
		exit(1);
	}
	for (long i = 0; i < n; i++, calls++)
		hot(i);
	printf("parent_calls=%ld\n", calls);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "spawn";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "spawn") == 0)
		return spawn(argc > 2 ? atoi(argv[2]) : 3, argc > 3 ? atoi(argv[3]) : 100);
	if (strcmp(mode, "clone") == 0)
		return clonevm(argc > 2 ? atol(argv[2]) : 10000, CLONE_VM | SIGCHLD);
	if (strcmp(mode, "clone0") == 0)
		return clonevm(argc > 2 ? atol(argv[2]) : 10000, CLONE_VM);
	if (strcmp(mode, "vfork") == 0)
		return vforks(argc > 2 ? atol(argv[2]) : 100);
	if (strcmp(mode, "orphan") == 0)
		return orphan(argc > 2 ? atol(argv[2]) : 10000);
	fprintf(stderr, "sharedvm: unknown mode %s (want spawn, clone or orphan)\n", mode);
	return 2;
}
