// sigtimer: a POSIX timer (timer_create, SIGEV_SIGNAL with SIGALRM and
// sival_ptr pointing at a struct of the program) ticks every 100us while
// the main thread multiplies in a loop with an imul that reads its operand
// rip-relative (at the label imul_site: an instruction a debugger steps out
// of line). The handler (SA_SIGINFO) checks every siginfo as a timer's
// handler does: si_code SI_TIMER, si_timerid the timer's id, and sival_ptr
// the program's struct, which it then dereferences (only if it is the one:
// a corrupt siginfo is counted, not followed).
//
// usage:  sigtimer T
// output:
//   ticks=T corrupt=C calls=K   the first T ticks are counted, corrupt ones
//                               among them and after; K counts the
//                               multiplications
// Exit status 1 if the T ticks do not come within 120s.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noipa))

struct ticker {
	long magic;
	long ticks;
};

static struct ticker ticker = {0x7469636b, 0};
static timer_t timer;
static long want, corrupt;
long factor = 3;
static volatile long sink;

NOINLINE long mul(long x)
{
	__asm__ volatile("imul_site: imulq %1, %0" : "+r"(x) : "m"(factor));
	return x;
}

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	struct ticker *t = si->si_value.sival_ptr;

	(void)sig, (void)uc;
	if (si->si_code != SI_TIMER || si->si_timerid != *(int *)&timer || t != &ticker) {
		corrupt++;
		t = &ticker;
	}
	if (t->magic == 0x7469636b && t->ticks < want) // counts T ticks, not those that race with the end
		__atomic_add_fetch(&t->ticks, 1, __ATOMIC_SEQ_CST);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long calls = 0;
	struct sigevent sev;
	struct itimerspec its = {{0, 100 * 1000}, {0, 100 * 1000}};
	struct sigaction sa;
	double deadline = now() + 120;

	want = argc > 1 ? atol(argv[1]) : 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sa.sa_sigaction = on_tick;
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		perror("sigtimer: sigaction");
		return 1;
	}
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	sev.sigev_value.sival_ptr = &ticker;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0 || timer_settime(timer, 0, &its, NULL) != 0) {
		perror("sigtimer: timer_create");
		return 1;
	}
	while (__atomic_load_n(&ticker.ticks, __ATOMIC_SEQ_CST) < want && (calls & 0xff || now() < deadline)) {
		sink = mul(calls);
		calls++;
	}
	timer_delete(timer);
	printf("ticks=%ld corrupt=%ld calls=%ld\n", ticker.ticks, corrupt, calls);
	return ticker.ticks < want;
}
