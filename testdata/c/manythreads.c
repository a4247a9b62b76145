// manythreads: N threads blocked in read() on a pipe, for tests of attach,
// stop-all and detach with many threads. Each thread calls hot(its index)
// once before blocking. Main waits until stdin reaches end of file or SECS
// seconds pass, then closes the pipe, which wakes and ends every thread.
// Note that a stdin of /dev/null ends the program at once: give it a pipe.
//
// usage:  manythreads [N [SECS]] N defaults to 1000, SECS to 30 (fractions
//                                allowed)
// output:
//   ready pid=P threads=N        once every thread has started
//   joined=N reason=R            R is eof or timeout
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

static int wake[2]; // the threads block reading wake[0]
static long started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static long want;
static volatile long sink;

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

NOINLINE void *blocker(void *arg)
{
	char c;

	sink = hot((long)arg);
	pthread_mutex_lock(&mu);
	if (++started == want)
		pthread_cond_signal(&all_started);
	pthread_mutex_unlock(&mu);
	while (read(wake[0], &c, 1) > 0) // @read
		;
	return NULL;
}

// wait_stdin returns "eof" when stdin ends and "timeout" after secs.
static const char *wait_stdin(double secs)
{
	double deadline = now() + secs;
	char buf[256];

	for (;;) {
		double left = deadline - now();
		struct pollfd p = {0, POLLIN, 0};

		if (left <= 0)
			return "timeout";
		if (left > 1)
			left = 1;
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0 && read(0, buf, sizeof buf) <= 0)
			return "eof";
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 30;
	pthread_attr_t attr;
	pthread_t *threads;
	const char *reason;
	long joined = 0;

	want = argc > 1 ? atol(argv[1]) : 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (want < 1 || pipe(wake) != 0) {
		fprintf(stderr, "manythreads: need N >= 1 and a pipe\n");
		return 2;
	}
	threads = calloc(want, sizeof *threads);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long t = 0; t < want; t++) {
		if (pthread_create(&threads[t], &attr, blocker, (void *)t) != 0) {
			fprintf(stderr, "manythreads: pthread_create %ld failed\n", t);
			return 1;
		}
	}
	pthread_mutex_lock(&mu);
	while (started < want)
		pthread_cond_wait(&all_started, &mu);
	pthread_mutex_unlock(&mu);
	printf("ready pid=%ld threads=%ld\n", (long)getpid(), want);

	reason = wait_stdin(secs);
	close(wake[1]);
	for (long t = 0; t < want; t++)
		if (pthread_join(threads[t], NULL) == 0)
			joined++;
	printf("joined=%ld reason=%s\n", joined, reason);
	free(threads);
	return 0;
}
