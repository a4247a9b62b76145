// tracedchild: a process already traced by another, for the attach test that
// must name the other tracer. The parent forks a child that asks to be traced
// by it (PTRACE_TRACEME) and then sleeps; the parent stays its tracer, passing
// on any signal the child gets, until the child ends.
//
// usage:  tracedchild
// output:
//   ready tracer=P traced=C      once C is traced by P
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
			perror("PTRACE_TRACEME");
			_exit(1);
		}
		// Stop once, so that the parent knows the tracing is in place.
		raise(SIGSTOP);
		for (;;)
			pause();
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
		fprintf(stderr, "tracedchild: the child did not stop\n");
		return 1;
	}
	ptrace(PTRACE_CONT, child, NULL, NULL);
	printf("ready tracer=%d traced=%d\n", (int)getpid(), (int)child);
	fflush(stdout);
	while (waitpid(child, &status, 0) == child && WIFSTOPPED(status))
		ptrace(PTRACE_CONT, child, NULL, (void *)(long)WSTOPSIG(status));
	return 0;
}
