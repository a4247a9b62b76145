// sleeper: a quiet, long-running process for attach tests. The main thread
// and K more threads sleep in nanosleep (10ms) and call hot() after every
// sleep, until SECS seconds have passed; then main prints patch_me, which a
// debugger may have changed. With SECS "stdin", the main thread reads its
// stdin instead, and the K threads stop once it reaches end of file: a test
// ends the program when it is done with it, however slow the machine.
//
// Once every napping thread (the K threads, and main unless SECS is "stdin")
// has entered nap_loop, the last one to arrive calls all_napping(): a
// debugger with a breakpoint there knows that each of them is in nap_loop.
//
// usage:  sleeper [SECS [K]]     SECS defaults to 2 (fractions allowed,
//                                <= 0 means forever, "stdin" until EOF),
//                                K to 4
// output:
//   ready pid=P threads=K        once all threads have started
//   patch_me=V                   at exit; V is 1 unless a debugger changed it
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

long patch_me = 1;
static double deadline; // 0 means forever
static volatile long sink;
static volatile int eof; // stdin reached its end in "stdin" mode
static long nappers;      // how many threads will run nap_loop
static long arrived;      // how many have entered it

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

// all_napping is called once, when the last napping thread enters nap_loop.
NOINLINE void all_napping(void)
{
	sink = 0; // @all-napping
}

NOINLINE void *nap_loop(void *arg)
{
	struct timespec step = {0, 10 * 1000 * 1000};

	(void)arg;
	if (__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST) == nappers)
		all_napping();
	for (long i = 0; !eof && (deadline == 0 || now() < deadline); i++) {
		nanosleep(&step, NULL); // @nanosleep
		sink = hot(i);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int until_eof = argc > 1 && strcmp(argv[1], "stdin") == 0;
	double secs = argc > 1 && !until_eof ? atof(argv[1]) : 2;
	long k = argc > 2 ? atol(argv[2]) : 4;
	pthread_t *threads;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (k < 0) {
		fprintf(stderr, "sleeper: need K >= 0\n");
		return 2;
	}
	if (secs > 0 && !until_eof)
		deadline = now() + secs;
	nappers = until_eof ? k : k + 1;
	threads = calloc(k + 1, sizeof *threads);
	for (long t = 0; t < k; t++) {
		if (pthread_create(&threads[t], NULL, nap_loop, NULL) != 0) {
			fprintf(stderr, "sleeper: pthread_create failed\n");
			return 1;
		}
	}
	printf("ready pid=%ld threads=%ld\n", (long)getpid(), k);
	if (until_eof) {
		char buf[64];

		for (;;) {
			ssize_t n = read(0, buf, sizeof buf);

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
		eof = 1;
	} else {
		nap_loop(NULL);
	}
	for (long t = 0; t < k; t++)
		pthread_join(threads[t], NULL);
	printf("patch_me=%ld\n", patch_me); // @print-patch
	free(threads);
	return 0;
}
