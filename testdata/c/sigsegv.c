// sigsegv: a non-main thread writes to address 0x10 and dies with SIGSEGV
// while a second thread sleeps, so the faulting thread is neither the only
// thread nor the thread-group leader.
//
// usage:  sigsegv
// output, then death by SIGSEGV (si_addr 0x10):
//   pid=P
//   crash_tid=T                  T != P
//   fault_addr=0x10
//   about to crash
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define BAD_ADDR 0x10

NOINLINE void crash(int *p)
{
	*(volatile int *)p = 1; // @crash-store
}

NOINLINE void *napper(void *arg)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

NOINLINE void *crasher(void *arg)
{
	(void)arg;
	printf("crash_tid=%ld\n", (long)syscall(SYS_gettid));
	printf("fault_addr=%#lx\n", (unsigned long)BAD_ADDR);
	printf("about to crash\n");
	crash((int *)BAD_ADDR); // @crasher-call
	return NULL;
}

int main(void)
{
	pthread_t nap, crash_thread;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid=%ld\n", (long)getpid());
	if (pthread_create(&nap, NULL, napper, NULL) != 0 ||
	    pthread_create(&crash_thread, NULL, crasher, NULL) != 0) {
		fprintf(stderr, "sigsegv: pthread_create failed\n");
		return 1;
	}
	pthread_join(crash_thread, NULL);
	fprintf(stderr, "sigsegv: survived the crash\n");
	return 1;
}
