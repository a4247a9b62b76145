// segvcatch: prints "ready", reads its stdin to the end (so that a debugger
// can attach first), calls hot() 3 times, then writes to address 0x10. Its
// SIGSEGV handler (SA_SIGINFO) takes the fault's siginfo and jumps back out,
// and the program reports what the kernel said about the fault.
//
// usage:  segvcatch
// output:
//   ready pid=P
//   si_code=1 si_addr=0x10   what an untraced run prints: SEGV_MAPERR at 0x10
//   recovered
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define BAD_ADDR 0x10

static sigjmp_buf back;
static siginfo_t seen;
static volatile long sink;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

NOINLINE void crash(int *p)
{
	*(volatile int *)p = 1; // @crash-store
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	seen = *si;
	siglongjmp(back, 1);
}

int main(void)
{
	struct sigaction sa;
	char buf[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_segv;
	if (sigaction(SIGSEGV, &sa, NULL) != 0) {
		perror("segvcatch: sigaction");
		return 1;
	}
	printf("ready pid=%ld\n", (long)getpid());
	while (read(0, buf, sizeof buf) > 0)
		;
	for (long i = 0; i < 3; i++)
		sink = hot(i);
	if (sigsetjmp(back, 1) == 0)
		crash((int *)BAD_ADDR);
	printf("si_code=%d si_addr=%p\n", seen.si_code, seen.si_addr);
	printf("recovered\n");
	return 0;
}
