// sigqueue: a worker thread calls hot() in a loop while the main thread
// queues N SIGRTMIN to it with pthread_sigqueue, each carrying its sequence
// number in si_value, and after every 16th a SIGUSR1, queued the same way
// with its own sequence number (paced: the next SIGUSR1 only once the last
// one was handled, since standard signals that are pending already merge).
// Both handlers (SA_SIGINFO) check every siginfo against what sigqueue
// makes: si_code SI_QUEUE, si_pid the program's pid, si_uid its uid, and
// si_value the next number of that signal, in order.
//
// With "spin", the worker makes a system call (getpid, at the label
// spin_syscall) in its loop as well as calling hot(), and the sender queues
// the SIGRTMIN in rounds of 16: it waits until a debugger sets go_ahead
// (without one, it waits in vain and times out), and after the round until
// they have all been handled.
//
// usage:  sigqueue N [spin]
// output:
//   rt=N usr1=U corrupt=C disorder=D calls=K
//                  rt, usr1    signals handled (usr1 = N/16)
//                  corrupt     siginfos whose code, pid or uid is wrong
//                  disorder    siginfos otherwise right whose value is not
//                              the next in order
//                  calls       calls of hot(), the worker's and one per signal
// Exit status 1 if the signals do not all come within 120s (and 1s more
// for every 200 signals, for runs under a debugger that stops at each).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))

static pid_t pid;
static uid_t uid;
static volatile long stop;
static long rt_got, usr1_got, corrupt, disorder, calls;
long queued;   // SIGRTMIN queued so far, for a debugger that waits until some are pending
long go_ahead; // with "spin": set by a debugger, the sender queues the next 16
static volatile long sink;

NOINLINE long hot(long i)
{
	return i * 3 + 1; // @hot-body
}

static long load(long *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void check(siginfo_t *si, long *got)
{
	long n = load(got);

	if (si->si_code != SI_QUEUE || si->si_pid != pid || si->si_uid != uid)
		corrupt++;
	else if (si->si_value.sival_int != n)
		disorder++;
	__atomic_store_n(got, n + 1, __ATOMIC_SEQ_CST);
}

NOINLINE void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	sink = hot(-1);
	calls++;
	check(si, &rt_got);
}

NOINLINE void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	sink = hot(-2);
	calls++;
	check(si, &usr1_got);
}

// spin makes a system call from a syscall instruction at a known address.
NOINLINE long spin(void)
{
	long ret;

	__asm__ volatile("spin_syscall: syscall" : "=a"(ret) : "0"((long)SYS_getpid) : "rcx", "r11", "memory");
	return ret;
}

static int spinning;

static void *worker(void *arg)
{
	long n = 0;

	(void)arg;
	while (!stop) {
		if (spinning)
			sink = spin();
		sink = hot(n);
		n++;
	}
	return (void *)n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int queue(pthread_t t, int sig, int value, double deadline)
{
	union sigval v = {.sival_int = value};
	int err;

	while ((err = pthread_sigqueue(t, sig, v)) == EAGAIN && now() < deadline)
		sched_yield(); // the queue is full (RLIMIT_SIGPENDING)
	return err;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, usr1 = 0;
	spinning = argc > 2 && strcmp(argv[2], "spin") == 0;
	struct sigaction sa;
	pthread_t w;
	void *loops;
	double deadline = now() + 120 + n / 200;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = getpid();
	uid = getuid();
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sa.sa_sigaction = on_rt;
	if (sigaction(SIGRTMIN, &sa, NULL) != 0) {
		perror("sigqueue: sigaction");
		return 1;
	}
	sa.sa_sigaction = on_usr1;
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sigqueue: sigaction");
		return 1;
	}
	if (pthread_create(&w, NULL, worker, NULL) != 0) {
		fprintf(stderr, "sigqueue: pthread_create failed\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		while (spinning && i % 16 == 0 && !__atomic_load_n(&go_ahead, __ATOMIC_SEQ_CST) && now() < deadline)
			sched_yield();
		if (queue(w, SIGRTMIN, (int)i, deadline) != 0)
			break;
		__atomic_store_n(&queued, i + 1, __ATOMIC_SEQ_CST);
		if ((i + 1) % 16 != 0)
			continue;
		while ((load(&usr1_got) < usr1 || (spinning && load(&rt_got) < i + 1)) && now() < deadline)
			sched_yield();
		if (queue(w, SIGUSR1, (int)usr1, deadline) != 0)
			break;
		usr1++;
	}
	while ((load(&rt_got) < n || load(&usr1_got) < usr1) && now() < deadline)
		sched_yield();
	stop = 1;
	pthread_join(w, &loops);
	printf("rt=%ld usr1=%ld corrupt=%ld disorder=%ld calls=%ld\n", load(&rt_got), load(&usr1_got), corrupt, disorder,
	       (long)loops + calls);
	if (load(&rt_got) < n || load(&usr1_got) < usr1) {
		fprintf(stderr, "sigqueue: timed out waiting for the signals\n");
		return 1;
	}
	return 0;
}
