// sigstorm: T threads call hot() in a loop while a SIGUSR1 handler counts
// signals (and calls hot() too), until the handler has counted N signals;
// for tests that send signals from outside while breakpoints fire. armed
// becomes 1 once the handler is installed. Standard signals that arrive
// while one is pending are merged, so a sender paces itself: it reads
// handled (from /proc or with process_vm_readv) and sends the next signal
// only after the last one was counted.
//
// usage:  sigstorm N [T [self]]  T defaults to 2; with "self" a thread of
//                                the program sends the N signals itself
// output:
//   handled=N calls=C            C counts every call of hot(): the loops'
//                                and the N of the handler
// Exit status 1 (and handled < N) if the signals do not come within 120s.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define MAX_THREADS 64

volatile long armed;   // 1 once the handler is installed
volatile long handled; // signals counted by the handler
static long want;
static long handler_calls;
static volatile long sink;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE void on_sigusr1(int sig)
{
	(void)sig;
	sink = hot(-1); // @handler-call
	__atomic_add_fetch(&handler_calls, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

static long counted(void)
{
	return __atomic_load_n(&handled, __ATOMIC_SEQ_CST);
}

NOINLINE void *looper(void *arg)
{
	long *calls = arg;

	while (counted() < want) {
		sink = hot(*calls); // @loop-call
		(*calls)++;
	}
	return NULL;
}

static void *sender(void *arg)
{
	(void)arg;
	for (long i = 1; i <= want; i++) {
		kill(getpid(), SIGUSR1);
		while (counted() < i)
			sched_yield();
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long t = argc > 2 ? atol(argv[2]) : 2;
	int self = argc > 3 && strcmp(argv[3], "self") == 0;
	static long calls[MAX_THREADS];
	pthread_t threads[MAX_THREADS], send;
	struct timespec step = {0, 1000 * 1000};
	struct sigaction sa;
	double deadline;
	long total = 0;

	want = argc > 1 ? atol(argv[1]) : 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (want < 0 || t < 1 || t > MAX_THREADS) {
		fprintf(stderr, "sigstorm: need N >= 0 and 1 <= T <= %d\n", MAX_THREADS);
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sigstorm: sigaction");
		return 1;
	}
	armed = 1;
	for (long i = 0; i < t; i++) {
		if (pthread_create(&threads[i], NULL, looper, &calls[i]) != 0) {
			fprintf(stderr, "sigstorm: pthread_create failed\n");
			return 1;
		}
	}
	if (self && pthread_create(&send, NULL, sender, NULL) != 0) {
		fprintf(stderr, "sigstorm: pthread_create failed\n");
		return 1;
	}
	deadline = now() + 120;
	while (counted() < want && now() < deadline)
		nanosleep(&step, NULL);
	if (counted() < want) {
		printf("handled=%ld calls=-1\n", counted());
		fprintf(stderr, "sigstorm: timed out waiting for %ld signals\n", want);
		exit(1);
	}
	for (long i = 0; i < t; i++) {
		pthread_join(threads[i], NULL);
		total += calls[i];
	}
	if (self)
		pthread_join(send, NULL);
	printf("handled=%ld calls=%ld\n", counted(), total + __atomic_load_n(&handler_calls, __ATOMIC_SEQ_CST));
	return 0;
}
