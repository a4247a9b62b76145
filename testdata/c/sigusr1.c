// sigusr1: counts SIGUSR1 signals in a handler, for signal-passing tests.
//
// usage:  sigusr1 [N [wait]]     N defaults to 1
// Without "wait" the program raise()s SIGUSR1 N times and prints
//   handled=N
// With "wait" it waits up to 10s for N signals sent from outside:
//   ready pid=P                  (then send one signal at a time)
//   got=K                        after each signal handled, K = 1..N
//   handled=N                    at the end; exit status 1 on timeout
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

volatile sig_atomic_t handled;

NOINLINE void on_sigusr1(int sig)
{
	(void)sig;
	handled++; // @handler-body
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	int wait = argc > 2 && strcmp(argv[2], "wait") == 0;
	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sigusr1: sigaction");
		return 1;
	}
	if (!wait) {
		for (long i = 0; i < n; i++)
			raise(SIGUSR1); // @raise
		printf("handled=%ld\n", (long)handled);
		return 0;
	}

	struct timespec step = {0, 5 * 1000 * 1000};
	double deadline = now() + 10;
	long seen = 0;

	printf("ready pid=%ld\n", (long)getpid());
	while (seen < n && now() < deadline) {
		nanosleep(&step, NULL);
		if (handled != seen) {
			seen = handled;
			printf("got=%ld\n", seen);
		}
	}
	printf("handled=%ld\n", (long)handled);
	if (handled < n) {
		fprintf(stderr, "sigusr1: timed out waiting for %ld signals\n", n);
		return 1;
	}
	return 0;
}
