// affinity: prints the CPUs the program may run on, as sched_getaffinity
// reports them, then exits: what nproc, a thread pool or GOMAXPROCS would
// size themselves by.
//
// usage:  affinity
// output:
//   cpus=N list=A,B,...          N CPUs in the mask, A, B... their numbers
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

int main(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		perror("affinity: sched_getaffinity");
		return 1;
	}
	printf("cpus=%d list=", CPU_COUNT(&set));
	for (int cpu = 0, first = 1; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			printf(first ? "%d" : ",%d", cpu);
			first = 0;
		}
	}
	printf("\n");
	return 0;
}
