//go:build ignore

// rawattach: the reference for attaching to and detaching from every thread
// of a process with nothing else done: PTRACE_SEIZE and PTRACE_INTERRUPT each
// task in /proc/PID/task (listing it again until no new task appears), wait
// for each to stop, then PTRACE_DETACH each.
//
// usage:  rawattach PID
// output:
//   rawattach threads=N attach=T1 detach=T2     times in seconds
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#define MAXTIDS 65536

static pid_t tids[MAXTIDS];
static int ntids;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int known(pid_t tid)
{
	for (int i = 0; i < ntids; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

// seize_new seizes and interrupts the tasks not seen yet and returns how many.
static int seize_new(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int added = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", pid);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "rawattach: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		pid_t tid = atoi(e->d_name);

		if (tid <= 0 || known(tid))
			continue;
		if (ntids == MAXTIDS) {
			fprintf(stderr, "rawattach: too many threads\n");
			exit(1);
		}
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
			if (errno == ESRCH)
				continue; // it exited meanwhile
			fprintf(stderr, "rawattach: seize %d: %s\n", tid, strerror(errno));
			exit(1);
		}
		tids[ntids++] = tid;
		added++;
	}
	closedir(d);
	return added;
}

int main(int argc, char **argv)
{
	double t0, t1, t2;
	int waited = 0;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: rawattach PID\n");
		return 2;
	}
	pid = atoi(argv[1]);
	t0 = now();
	while (seize_new(pid) > 0) {
		for (; waited < ntids; waited++) {
			int status;

			if (waitpid(tids[waited], &status, __WALL) != tids[waited]) {
				fprintf(stderr, "rawattach: waitpid %d: %s\n", tids[waited], strerror(errno));
				return 1;
			}
		}
	}
	t1 = now();
	for (int i = 0; i < ntids; i++) {
		if (ptrace(PTRACE_DETACH, tids[i], 0, 0) != 0) {
			fprintf(stderr, "rawattach: detach %d: %s\n", tids[i], strerror(errno));
			return 1;
		}
	}
	t2 = now();
	printf("rawattach threads=%d attach=%.6f detach=%.6f\n", ntids, t1 - t0, t2 - t1);
	return 0;
}
