// hotthreads: K threads each calling hot() M times, for multi-threaded
// breakpoint tests. Thread t calls hot(t*M + j) for j in [0,M), so the
// arguments over all threads are exactly 0 .. K*M-1, each once. The threads
// wait on a barrier before the loop so that they really run concurrently.
//
// usage:  hotthreads [K [M]]     K defaults to 8, M to 25000
// output:
//   threads=K calls=N checksum=C argsum=S
// where N = K*M, S = N*(N-1)/2 (the sum of hot's arguments) and
// C = 3*S + N (the sum of hot's results).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noipa))

struct job {
	pthread_t thread;
	long first, n;
	long checksum, argsum;
};

static pthread_barrier_t start;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE void *worker(void *arg)
{
	struct job *j = arg;

	pthread_barrier_wait(&start);
	for (long i = j->first; i < j->first + j->n; i++) {
		j->checksum += hot(i); // @worker-call
		j->argsum += i;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 8;
	long m = argc > 2 ? atol(argv[2]) : 25000;
	long checksum = 0, argsum = 0;
	struct job *jobs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (k < 1 || m < 0) {
		fprintf(stderr, "hotthreads: need K >= 1 and M >= 0\n");
		return 2;
	}
	jobs = calloc(k, sizeof *jobs);
	pthread_barrier_init(&start, NULL, k);
	for (long t = 0; t < k; t++) {
		jobs[t].first = t * m;
		jobs[t].n = m;
		if (pthread_create(&jobs[t].thread, NULL, worker, &jobs[t]) != 0) {
			fprintf(stderr, "hotthreads: pthread_create failed\n");
			return 1;
		}
	}
	for (long t = 0; t < k; t++) {
		pthread_join(jobs[t].thread, NULL);
		checksum += jobs[t].checksum;
		argsum += jobs[t].argsum;
	}
	printf("threads=%ld calls=%ld checksum=%ld argsum=%ld\n", k, k * m, checksum, argsum);
	free(jobs);
	return 0;
}
