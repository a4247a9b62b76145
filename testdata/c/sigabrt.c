// sigabrt: dies with SIGABRT by calling abort() from fail_hard().
//
// usage:  sigabrt
// output, then death by SIGABRT:
//   aborting
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noipa))

NOINLINE void fail_hard(void)
{
	printf("aborting\n");
	abort(); // @abort-call
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	fail_hard(); // @main-call
	return 0;
}
