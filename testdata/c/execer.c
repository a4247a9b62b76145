// execer: calls hot() and then replaces itself with a new image of itself
// (execv), from a second thread, so that the exec happens in a thread that is
// not the main one; the new image calls hot() again and exits.
//
// usage:  execer [N [stage]]     N defaults to 10; stage is internal
// output (stage 0, before the exec):
//   before calls=N
// output (stage 1, the new image):
//   after calls=2N sum=S         S = sum of hot(i), i in [0,2N)
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

static char *self;
static long n;

NOINLINE long hot(long i)
{
	return i * 3 + 1;
}

static void *exec_again(void *arg)
{
	char count[32];
	(void)arg;
	snprintf(count, sizeof count, "%ld", n);
	execl(self, self, count, "1", (char *)NULL);
	perror("execl");
	exit(1);
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atol(argv[1]) : 10;
	int stage = argc > 2 ? atoi(argv[2]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	self = argv[0];
	if (stage == 0) {
		for (long i = 0; i < n; i++)
			hot(i);
		printf("before calls=%ld\n", n);
		pthread_t th;
		pthread_create(&th, NULL, exec_again, NULL);
		pthread_join(th, NULL); // never returns: the exec ends this image
		return 1;
	}
	long sum = 0;
	for (long i = 0; i < 2 * n; i++)
		sum += hot(i);
	printf("after calls=%ld sum=%ld\n", 2 * n, sum);
	return 0;
}
