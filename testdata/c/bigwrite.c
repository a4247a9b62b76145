// bigwrite: writes a deterministic byte stream to stdout, for the tests of
// piped output (a debugger that stops draining the pipe blocks it).
//
// usage:  bigwrite [MiB]          MiB defaults to 100
// output: MiB mebibytes on stdout, in 64 KiB chunks, each followed by a call
//         of chunk_written(i) (a breakpoint target); then on stderr
//         bytes=N fnv=H               H: FNV-1a 64 of the N bytes written, in hex
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define CHUNK (64 * 1024)

NOINLINE void chunk_written(long i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 100;
	static unsigned char buf[CHUNK];
	uint64_t x = 1, fnv = 14695981039346656037ull;
	long total = 0;

	for (long i = 0; i < mib * 16; i++) {
		for (int j = 0; j < CHUNK; j++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[j] = (unsigned char)(x >> 56);
			fnv = (fnv ^ buf[j]) * 1099511628211ull;
		}
		for (long off = 0; off < CHUNK;) {
			ssize_t n = write(1, buf + off, CHUNK - off);
			if (n <= 0) {
				perror("write");
				return 1;
			}
			off += n;
		}
		total += CHUNK;
		chunk_written(i);
	}
	fprintf(stderr, "bytes=%ld fnv=%016llx\n", total, (unsigned long long)fnv);
	return 0;
}
