// stepper: source-level stepping (next, step_in, finish, until), compared
// with gdb's next, step, finish and break on the same binary.
//
// usage:  stepper [spin]      with spin, main loops for ever on one line
// output: total=5 f=120 h=2.5 p=7,8 b=7 s=11
//         done
#include <stdio.h>

#define NOINLINE __attribute__((noinline))

struct pair {
	long a, b;
};

struct big {
	long v[5];
};

NOINLINE int square(int x)
{
	int r = x * x; // @square-body
	return r;
}

NOINLINE long fact(long n)
{
	if (n <= 1)
		return 1;
	return n * fact(n - 1); // @fact-rec
} // @fact-ret

NOINLINE double half(double x)
{
	return x / 2;
}

NOINLINE struct pair mkpair(long a)
{
	struct pair p = {a, a + 1};
	return p;
}

NOINLINE struct big mkbig(long a)
{
	struct big b;
	for (int i = 0; i < 5; i++)
		b.v[i] = a + i;
	return b;
}

NOINLINE void nothing(void)
{
}

static int sum3(int a, int b, int c) { return a + b + c; }

static volatile int spinning = 1;

int main(int argc, char **argv)
{
	if (argc > 1) // @main-first: with spin, loop for ever on one line
		while (spinning); // @spin
	int total = 0; // @main-total
	for (int i = 0; i < 3; i++) // @main-for
		total += square(i); // @main-square
	long f = fact(5); // @main-fact
	double h = half(5.0); // @main-half
	struct pair p = mkpair(7); // @main-mkpair
	struct big b = mkbig(3); // @main-mkbig
	nothing(); // @main-nothing
	int s = sum3(2, 4, 5); // @main-sum3
	printf("total=%d f=%ld h=%g p=%ld,%ld b=%ld s=%d\n", total, f, h, p.a, p.b, b.v[4], s);
	puts("done"); // @main-done
	return 0;
}
