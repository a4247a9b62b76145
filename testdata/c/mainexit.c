// mainexit: the main thread calls pthread_exit while three workers run, so
// the thread-group leader becomes a zombie long before the process exits.
// Worker w calls hot(w*N + i) for i in [0,N) and sleeps 1ms every 2000
// calls (N = 2000000 runs for about a second). The last worker to finish
// prints the result and calls exit(0); with "exec", it execs mainexit 0
// instead, so that a thread other than the main one replaces the image.
//
// usage:  mainexit [N [exec]]    N defaults to 2000000
// output:
//   workers=3                    (from main, before the workers start)
//   workers_done=3 checksum=C    C = 3*S + 3*N, S = 3*N*(3*N-1)/2
//   (with exec, then the output of mainexit 0: workers=3, workers_done=3 checksum=0)
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define WORKERS 3

static long per_worker;
static long total;
static int remaining = WORKERS;
static char *self;
static int exec_at_end;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE void *worker(void *arg)
{
	long first = (long)arg * per_worker;
	long sum = 0;

	for (long i = 0; i < per_worker; i++) {
		sum += hot(first + i); // @worker-call
		if (i % 2000 == 1999)
			usleep(1000);
	}
	__atomic_add_fetch(&total, sum, __ATOMIC_SEQ_CST);
	if (__atomic_sub_fetch(&remaining, 1, __ATOMIC_SEQ_CST) == 0) {
		printf("workers_done=%d checksum=%ld\n", WORKERS, __atomic_load_n(&total, __ATOMIC_SEQ_CST));
		if (exec_at_end) {
			execl(self, self, "0", (char *)NULL);
			perror("mainexit: execl");
			exit(1);
		}
		exit(0); // @last-exit
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	self = argv[0];
	per_worker = argc > 1 ? atol(argv[1]) : 2000000;
	exec_at_end = argc > 2 && strcmp(argv[2], "exec") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("workers=%d\n", WORKERS);
	for (long w = 0; w < WORKERS; w++) {
		if (pthread_create(&t, NULL, worker, (void *)w) != 0) {
			fprintf(stderr, "mainexit: pthread_create failed\n");
			return 1;
		}
	}
	pthread_exit(NULL); // @main-exit
}
