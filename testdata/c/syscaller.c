// syscaller: system calls for the catchpoint tests.
//
// usage:
//   syscaller threads N K [wait]   N threads each call getppid K times, all at
//                                  once (a barrier); with wait, it first prints
//                                  "ready pid=P" and waits for a line on stdin,
//                                  or its end
//   syscaller eintr                a SIGALRM handler without SA_RESTART
//                                  interrupts read on an empty pipe; then one
//                                  with SA_RESTART writes a byte to the pipe,
//                                  and the restarted read gets it
// output:
//   threads=N calls=N*K
//   eintr_read=-1 errno=EINTR handled=1
//   restart_read=1 byte=x handled=2
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static long k;
static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	for (long i = 0; i < k; i++)
		syscall(SYS_getppid);
	return NULL;
}

static int fds[2];
static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	(void)sig;
	handled++;
	if (handled == 2)
		write(fds[1], "x", 1);
}

static void arm(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "threads") == 0) {
		int n = atoi(argv[2]);
		k = atol(argv[3]);
		if (argc > 4) {
			char line[16];
			printf("ready pid=%d\n", getpid());
			if (!fgets(line, sizeof line, stdin))
				line[0] = 0; /* the end of stdin starts it too */
		}
		pthread_t th[64];
		if (n < 1 || n > 64)
			return 2;
		pthread_barrier_init(&barrier, NULL, n);
		for (int i = 0; i < n; i++)
			pthread_create(&th[i], NULL, worker, NULL);
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		printf("threads=%d calls=%ld\n", n, n * k);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "eintr") == 0) {
		char c = 0;
		if (pipe(fds) != 0)
			return 2;
		arm(0);
		ssize_t r = read(fds[0], &c, 1);
		printf("eintr_read=%zd errno=%s handled=%d\n", r, r < 0 && errno == EINTR ? "EINTR" : strerror(errno), (int)handled);
		arm(1);
		r = read(fds[0], &c, 1);
		printf("restart_read=%zd byte=%c handled=%d\n", r, r == 1 ? c : '?', (int)handled);
		return 0;
	}
	fprintf(stderr, "usage: syscaller threads N K [wait] | eintr\n");
	return 2;
}
