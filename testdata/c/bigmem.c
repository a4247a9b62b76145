// bigmem: a 64 MiB region for memory tests, followed by an unmapped page.
// Byte i of the region is (i * 7 + i / 4096) & 0xff. ready(buf, n) is called
// once the region is filled; a debugger breaks there and reads it.
//
// usage:  bigmem [MiB]           MiB defaults to 64
// output:
//   region=0xADDR size=N
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline, noipa))

NOINLINE void ready(unsigned char *buf, size_t n)
{
	printf("region=%p size=%zu\n", (void *)buf, n);
}

int main(int argc, char **argv)
{
	size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 64) << 20;
	unsigned char *buf = mmap(NULL, n + 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	munmap(buf + n, 4096); // the page after the region is unmapped
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ready(buf, n);
	return 0;
}
