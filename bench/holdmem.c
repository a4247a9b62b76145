//go:build ignore

// holdmem: a region of memory filled with bigmem's pattern (testdata/c/bigmem.c),
// held until stdin closes, so that several tools can read the same region of
// the same live process one after the other.
//
// usage:  holdmem [MiB]          MiB defaults to 64
// output:
//   region=0xADDR size=N pid=P   once the region is filled
// Byte i of the region is (i * 7 + i / 4096) & 0xff.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 64) << 20;
	unsigned char *buf = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	if (n == 0 || buf == MAP_FAILED) {
		fprintf(stderr, "holdmem: cannot map %zu bytes\n", n);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	printf("region=%p size=%zu pid=%ld\n", (void *)buf, n, (long)getpid());
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
