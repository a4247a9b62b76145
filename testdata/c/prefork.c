// prefork: process families for the tests of following forks.
//
// usage:  prefork server [WORKERS [REQUESTS]]   (defaults 4 and 1000)
//         prefork grand
//         prefork orphan
//         prefork waitfork
//
// server: a pre-forking server. The parent forks WORKERS workers, then
// writes REQUESTS requests (the numbers 1..REQUESTS, 8 bytes each, atomic)
// into one pipe that every worker reads; each worker calls handle(req) for
// each request it gets and writes the result into a second pipe, until the
// request pipe is closed, then exits 0. The parent sums the results:
//   served=REQUESTS sum=S workers_ok=WORKERS
// where S = sum of handle(i), i in [1,REQUESTS], and handle(i) = 2*i + 1.
//
// grand: the parent forks a child, which forks a grandchild; each calls
// hot() 10 times, the grandchild exits 3 and the child exits with what its
// child exited with, plus 4:
//   child_status=7
//
// orphan: the parent forks a child, says "parent_exits" and exits 0; the
// child waits until the parent has gone (its pipe's write end closes), calls
// hot() 5 times, and exits 5.
//
// waitfork: for attach tests. Says "ready pid=P", then waits until a
// debugger sets the global go_fork to non-zero; then forks a child, which
// calls hot() 3 times, reads its stdin until end of file and exits 0. The
// parent waits for it and says:
//   child_status=0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

NOINLINE long handle(long req)
{
	return 2 * req + 1; // @handle-body
}

NOINLINE long hot(long i)
{
	return i + 1;
}

static void xpipe(int fds[2])
{
	if (pipe(fds) != 0) {
		perror("prefork: pipe");
		exit(1);
	}
}

static pid_t xfork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("prefork: fork");
		exit(1);
	}
	return pid;
}

static void worker(int in, int out)
{
	long req, res;

	while (read(in, &req, sizeof req) == sizeof req) {
		res = handle(req);
		if (write(out, &res, sizeof res) != sizeof res)
			exit(2);
	}
	exit(0);
}

static int server(int workers, long requests)
{
	int reqs[2], results[2], ok = 0, ws;
	long sum = 0, res, served = 0;

	xpipe(reqs);
	xpipe(results);
	for (int i = 0; i < workers; i++) {
		if (xfork() == 0) {
			close(reqs[1]);
			close(results[0]);
			worker(reqs[0], results[1]);
		}
	}
	close(reqs[0]);
	close(results[1]);
	for (long i = 1; i <= requests; i++) {
		if (write(reqs[1], &i, sizeof i) != sizeof i) {
			perror("prefork: write");
			return 1;
		}
		// Keep the result pipe from filling while requests are written.
		if (i % 64 == 0) {
			for (int j = 0; j < 64; j++, served++) {
				if (read(results[0], &res, sizeof res) != sizeof res)
					return 1;
				sum += res;
			}
		}
	}
	close(reqs[1]);
	while (read(results[0], &res, sizeof res) == sizeof res) {
		sum += res;
		served++;
	}
	while (wait(&ws) > 0)
		ok += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	printf("served=%ld sum=%ld workers_ok=%d\n", served, sum, ok);
	return 0;
}

static int grand(void)
{
	pid_t pid;
	int ws;
	long sum = 0;

	pid = xfork();
	if (pid == 0) {
		pid = xfork();
		for (int i = 0; i < 10; i++)
			sum += hot(i);
		if (pid == 0)
			exit(3);
		waitpid(pid, &ws, 0);
		exit(WIFEXITED(ws) ? WEXITSTATUS(ws) + 4 : 1);
	}
	for (int i = 0; i < 10; i++)
		sum += hot(i);
	waitpid(pid, &ws, 0);
	printf("child_status=%d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	return 0;
}

static int orphan(void)
{
	int fds[2];
	char c;

	xpipe(fds);
	if (xfork() == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) > 0) // until the parent has gone
			;
		for (int i = 0; i < 5; i++)
			hot(i);
		exit(5);
	}
	printf("parent_exits\n");
	return 0;
}

volatile int go_fork;

static int waitfork(void)
{
	struct timespec ms = {0, 1000000};
	char buf[64];
	pid_t pid;
	int ws;

	printf("ready pid=%d\n", getpid());
	while (!go_fork)
		nanosleep(&ms, NULL);
	pid = xfork();
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			hot(i);
		while (read(0, buf, sizeof buf) > 0)
			;
		exit(0);
	}
	waitpid(pid, &ws, 0);
	printf("child_status=%d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "server";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "server") == 0)
		return server(argc > 2 ? atoi(argv[2]) : 4, argc > 3 ? atol(argv[3]) : 1000);
	if (strcmp(mode, "grand") == 0)
		return grand();
	if (strcmp(mode, "orphan") == 0)
		return orphan();
	if (strcmp(mode, "waitfork") == 0)
		return waitfork();
	fprintf(stderr, "prefork: unknown mode %s (want server, grand, orphan or waitfork)\n", mode);
	return 2;
}
