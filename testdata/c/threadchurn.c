// threadchurn: creates and joins threads continuously, for tests of thread
// creation and exit under a debugger. Each of R rounds creates T threads;
// thread number n (counting over all rounds from 0) calls hot(n) once and
// exits; the round joins all its threads before the next one starts.
//
// usage:  threadchurn [R [T]]    R defaults to 200, T to 4
// output:
//   started=X joined=Y checksum=C
// where X = Y = R*T and C = sum of hot(n), n in [0,R*T) = 3*X*(X-1)/2 + X.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noipa))

struct job {
	pthread_t thread;
	long n;
	long result;
};

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE void *worker(void *arg)
{
	struct job *j = arg;

	j->result = hot(j->n); // @worker-call
	return NULL;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200;
	long per = argc > 2 ? atol(argv[2]) : 4;
	long started = 0, joined = 0, checksum = 0;
	struct job *jobs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (per < 1) {
		fprintf(stderr, "threadchurn: need T >= 1\n");
		return 2;
	}
	jobs = calloc(per, sizeof *jobs);
	for (long r = 0; r < rounds; r++) {
		for (long t = 0; t < per; t++) {
			jobs[t].n = r * per + t;
			if (pthread_create(&jobs[t].thread, NULL, worker, &jobs[t]) != 0) {
				fprintf(stderr, "threadchurn: pthread_create failed\n");
				return 1;
			}
			started++;
		}
		for (long t = 0; t < per; t++) {
			if (pthread_join(jobs[t].thread, NULL) == 0)
				joined++;
			checksum += jobs[t].result;
		}
	}
	printf("started=%ld joined=%ld checksum=%ld\n", started, joined, checksum);
	free(jobs);
	return 0;
}
