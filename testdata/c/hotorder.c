// hotorder: one thread calling hot(&o) N times with a struct argument, for
// the cost of reading a field by name (frame.var("o").qty) against reading
// it at a known offset (peek_int(arg(0) + 16, 4)) in bench family g.
//
// usage:  hotorder [N]           N defaults to 100000
// output:
//   calls=N checksum=C           C = sum of hot(&o) with o.qty = i, i in [0,N) = 3*N*(N-1)/2 + N
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noipa))

struct order {
	int id;
	char name[12];
	int qty; // at offset 16
	double price;
};

NOINLINE long hot(const struct order *o)
{
	return (long)o->qty * 3 + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long checksum = 0;
	struct order o = {.id = 7, .name = "widget", .price = 2.5};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < n; i++) {
		o.qty = (int)i;
		checksum += hot(&o);
	}
	printf("calls=%ld checksum=%ld\n", n, checksum);
	return 0;
}
