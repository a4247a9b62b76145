// traced: the target of the tracepoint tests. K threads each call
// hot(t*M + j) for j in [0,M), so the arguments over all threads are exactly
// 0 .. K*M-1, each once; then main calls note(s, buf, n) four times:
//
//   note("hello, tracepoint", b, 32)   b[i] = i
//   note("", b, 8)                     b[i] = 0xff
//   note(300 'x', b, 64)               b[i] = (7*i) & 0xff
//   note(NULL, NULL, 0)
//
// With "wait" it says it is ready and reads a line from stdin (or its end)
// first, so that a test can attach before the calls begin.
//
// usage:  traced [K [M]] [wait]     K defaults to 1, M to 100000
// output:
//   ready pid=P                    only with wait, before it reads stdin
//   threads=K calls=N argsum=S     N = K*M, S = N*(N-1)/2
//   notes=4 noted=421              17+32 + 0+8 + 300+64 + 0: string lengths and n
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

struct job {
	pthread_t thread;
	long first, n, argsum;
};

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE size_t note(const char *s, const unsigned char *buf, size_t n)
{
	size_t t = n;

	if (s != NULL)
		t += strlen(s);
	if (buf != NULL && n > 0)
		t += buf[0] & 0;
	return t;
}

NOINLINE void *worker(void *arg)
{
	struct job *j = arg;

	for (long i = j->first; i < j->first + j->n; i++) {
		hot(i);
		j->argsum += i;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 1;
	long m = argc > 2 ? atol(argv[2]) : 100000;
	long argsum = 0, noted = 0;
	unsigned char b[64];
	char longstr[301];
	struct job *jobs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3 && strcmp(argv[3], "wait") == 0) {
		char line[16];

		printf("ready pid=%d\n", (int)getpid());
		if (fgets(line, sizeof line, stdin) == NULL)
			line[0] = 0; // its end starts the calls too
	}
	if (k < 1 || m < 0) {
		fprintf(stderr, "traced: need K >= 1 and M >= 0\n");
		return 2;
	}
	jobs = calloc(k, sizeof *jobs);
	for (long t = 0; t < k; t++) {
		jobs[t].first = t * m;
		jobs[t].n = m;
		if (pthread_create(&jobs[t].thread, NULL, worker, &jobs[t]) != 0) {
			fprintf(stderr, "traced: pthread_create failed\n");
			return 1;
		}
	}
	for (long t = 0; t < k; t++) {
		pthread_join(jobs[t].thread, NULL);
		argsum += jobs[t].argsum;
	}
	printf("threads=%ld calls=%ld argsum=%ld\n", k, k * m, argsum);
	free(jobs);

	for (int i = 0; i < 32; i++)
		b[i] = i;
	noted += note("hello, tracepoint", b, 32);
	memset(b, 0xff, 8);
	noted += note("", b, 8);
	memset(longstr, 'x', 300);
	longstr[300] = 0;
	for (int i = 0; i < 64; i++)
		b[i] = (7 * i) & 0xff;
	noted += note(longstr, b, 64);
	noted += note(NULL, NULL, 0);
	printf("notes=4 noted=%ld\n", noted);
	return 0;
}
