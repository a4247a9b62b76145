// hotloop: one thread calling hot() N times.
//
// Used by breakpoint tests (break on hot, count hits, read arg 0 and the
// return value), memory tests (read counter_global, patch patch_me before
// main prints it) and call tests (answer).
//
// usage:  hotloop [N]            N defaults to 100000
// output:
//   answer=42
//   calls=N checksum=C           C = sum of hot(i), i in [0,N) = 3*N*(N-1)/2 + N
//   counter_global=42
//   patch_me=V                   V is 1 unless a debugger changed it
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noipa))

long counter_global = 42;
long patch_me = 1;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE int answer(void)
{
	return 42; // @answer-body
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long checksum = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("answer=%d\n", answer());
	for (long i = 0; i < n; i++)
		checksum += hot(i); // @main-call
	printf("calls=%ld checksum=%ld\n", n, checksum);
	printf("counter_global=%ld\n", counter_global);
	printf("patch_me=%ld\n", patch_me);
	return 0;
}
