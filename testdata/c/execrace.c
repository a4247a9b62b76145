// execrace: one thread calls mark() while another is about to replace the
// process image (execv of itself), for what a debugger does when a thread
// execs while a breakpoint callback of another thread runs: the exec'ing
// thread waits in the kernel for every other thread to die, and never stops.
// The exec comes once mark() has returned, or once a debugger has set
// exec_now to non-zero (from a callback on mark, say), whichever is first:
// a debugger's breakpoint on mark always sees the call, however slow the
// machine.
//
// usage:  execrace [stage]     stage is internal
// output (stage 0): nothing, unless the exec fails
// output (stage 1, the new image):
//   execd
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

static char *self;
static volatile int marked;   // mark() has returned
volatile int exec_now;        // a debugger lets the exec go

NOINLINE void mark(void)
{
	__asm__ volatile("");
}

static void *marker(void *arg)
{
	(void)arg;
	usleep(10000);
	mark();
	marked = 1;
	for (;;)
		pause();
}

static void *execer(void *arg)
{
	(void)arg;
	while (!marked && !exec_now)
		usleep(1000);
	execl(self, self, "1", (char *)NULL);
	perror("execl");
	exit(1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	self = argv[0];
	if (argc > 1) {
		printf("execd\n");
		return 0;
	}
	pthread_t a, b;
	pthread_create(&a, NULL, marker, NULL);
	pthread_create(&b, NULL, execer, NULL);
	pthread_join(a, NULL); // never returns: the exec ends this image
	return 1;
}
