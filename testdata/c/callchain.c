// callchain: main -> f1 -> f2 -> f3 -> f4 -> f5, for backtrace tests at -O0
// and at -O2 without frame pointers. Each fN adds N to the result of the
// call below it, so no call is a tail call and every frame stays real.
// f5 writes "in f5\n" with write(2), so tests can also stop in libc.
//
// usage:  callchain [N]          N defaults to 1; main calls f1(i), i in [0,N)
// output:
//   in f5                        N times
//   calls=N sum=S                f1(x) = x + 15, so S = N*(N-1)/2 + 15*N
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

NOINLINE long f5(long x)
{
	if (write(1, "in f5\n", 6) != 6) // @f5-write
		_exit(2);
	return x + 5;
}

NOINLINE long f4(long x)
{
	return f5(x) + 4; // @f4-call
}

NOINLINE long f3(long x)
{
	return f4(x) + 3; // @f3-call
}

NOINLINE long f2(long x)
{
	return f3(x) + 2; // @f2-call
}

NOINLINE long f1(long x)
{
	return f2(x) + 1; // @f1-call
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	long sum = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < n; i++)
		sum += f1(i); // @main-call
	printf("calls=%ld sum=%ld\n", n, sum);
	return 0;
}
