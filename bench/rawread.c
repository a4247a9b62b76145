//go:build ignore

// rawread: the reference for reading a target's memory: one process_vm_readv
// of a whole region into a freshly allocated buffer (as a debugger returning
// the bytes to a script must do), timed alone.
//
// usage:  rawread PID ADDR SIZE
// The region must hold holdmem's pattern, which is checked after the timing.
// output:
//   rawread bytes=N seconds=T
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	pid_t pid;
	unsigned long addr;
	size_t size, done = 0;
	unsigned char *buf;
	double t0, dt;

	if (argc != 4) {
		fprintf(stderr, "usage: rawread PID ADDR SIZE\n");
		return 2;
	}
	pid = atoi(argv[1]);
	addr = strtoul(argv[2], NULL, 0);
	size = strtoul(argv[3], NULL, 0);
	buf = malloc(size);
	if (!buf) {
		fprintf(stderr, "rawread: cannot allocate %zu bytes\n", size);
		return 1;
	}
	t0 = now();
	while (done < size) {
		struct iovec local = {buf + done, size - done};
		struct iovec remote = {(void *)(addr + done), size - done};
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n <= 0) {
			fprintf(stderr, "rawread: process_vm_readv at %#lx: %s\n", addr + done,
				n < 0 ? strerror(errno) : "short read");
			return 1;
		}
		done += n;
	}
	dt = now() - t0;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] != (unsigned char)(i * 7 + i / 4096)) {
			fprintf(stderr, "rawread: byte %zu is %d, want %d\n", i, buf[i],
				(unsigned char)(i * 7 + i / 4096));
			return 1;
		}
	}
	printf("rawread bytes=%zu seconds=%.6f\n", size, dt);
	return 0;
}
