// mallocs: calls malloc through allocate() with a known sequence of sizes,
// keeps every block live, then frees them all; for tests that trace malloc
// and free or read allocate's argument. Allocation i has size
// 1 << (i % 21), so the default run goes from 1 byte to 1 MiB (past the
// mmap threshold). stdout uses a static buffer so stdio does not malloc.
//
// usage:  mallocs [N]            N defaults to 21, at most 4096
// output:
//   allocs=N bytes=B largest=L   B = sum of the sizes, L = the largest
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noipa))
#define MAX_ALLOCS 4096

static char outbuf[BUFSIZ];
static void *blocks[MAX_ALLOCS];

NOINLINE void *allocate(size_t n)
{
	void *p = malloc(n); // @malloc-call

	if (p == NULL) {
		fprintf(stderr, "mallocs: malloc(%zu) failed\n", n);
		exit(1);
	}
	memset(p, 0xab, n);
	return p;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 21;
	size_t bytes = 0, largest = 0;

	setvbuf(stdout, outbuf, _IOLBF, sizeof outbuf);
	if (n < 0 || n > MAX_ALLOCS) {
		fprintf(stderr, "mallocs: N must be in [0, %d]\n", MAX_ALLOCS);
		return 2;
	}
	for (long i = 0; i < n; i++) {
		size_t size = (size_t)1 << (i % 21);

		blocks[i] = allocate(size);
		bytes += size;
		if (size > largest)
			largest = size;
	}
	for (long i = 0; i < n; i++)
		free(blocks[i]); // @free-call
	printf("allocs=%ld bytes=%zu largest=%zu\n", n, bytes, largest);
	return 0;
}
