// twostatics: two files (a.c, b.c) each with a static helper() of its own.
//
// usage:  twostatics
// output:
//   a=202 b=15                   use_a(1) = (1+100)*2, use_b(2) = 2*7+1
#include <stdio.h>

int use_a(int x);
int use_b(int x);

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("a=%d b=%d\n", use_a(1), use_b(2));
	return 0;
}
