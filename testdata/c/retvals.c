// retvals: functions that return every kind of C value, for return probes
// and the return-value reader (core/dwarfvars ReturnLocations): integers,
// pointers, floating point, structs returned in registers (integer, SSE and
// mixed eightbytes) and in memory, void; recursive fib in threads, and a
// longjmp out of a probed function.
//
// usage:  retvals values          calls each function once, in the order below
//         retvals fib N T         T threads compute fib(N) each
//         retvals longjmp K       K times: dive(5) longjmps out of 6 active calls
//         retvals exit T K        T threads call leave(3) K times; the odd ones,
//                                 halfway, call pthread_exit 4 calls deep while
//                                 the even ones go on calling leave
// output:
//   values: one line per call, name=value as C prints it
//   fib:    calls=C retsum=S result=R    C calls of fib in all, S the sum of the
//                                        values they returned, R = T*fib(N)
//   longjmp: jumps=K then dived=D        D = 6*K entries of dive
//   exit:    exited=X then left=E returned=R retsum=S   X threads exited, E
//            entries of leave, R normal returns whose values sum to S
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noipa))

// global_counter is what the gdb comparisons of core/dwarfvars locate to
// find the load bias.
int global_counter;

struct pair {
	long a, b;
};
struct mixed {
	int i;
	double d;
};
struct dpair {
	double x, y;
};
struct fquad {
	float a, b, c, d;
};
struct tiny {
	char c[3];
};
struct big {
	long a, b, c;
	int tag;
};

NOINLINE int answer(int x) { return x * 6; }
NOINLINE long negate(long x) { return -x; }
NOINLINE unsigned short narrow(unsigned x) { return (unsigned short)(x * 3); }
NOINLINE char grade(int score) { return score > 50 ? 'A' : 'F'; }
NOINLINE double scale(double x, float f) { return x * f; }
NOINLINE float half(float x) { return x / 2; }
NOINLINE const char *label(int i) { return i ? "on" : "off"; }
NOINLINE struct pair make_pair(long a) { return (struct pair){a, a * 10}; }
NOINLINE struct mixed make_mixed(int i) { return (struct mixed){i, i + 0.25}; }
NOINLINE struct dpair make_dpair(double x) { return (struct dpair){x, -x}; }
NOINLINE struct fquad make_fquad(float x) { return (struct fquad){x, x + 1, x + 2, x + 3}; }
NOINLINE struct tiny make_tiny(char c) { return (struct tiny){{c, c + 1, c + 2}}; }
NOINLINE struct big make_big(long a) { return (struct big){a, a + 1, a + 2, 99}; }
NOINLINE void nothing(int x) { global_counter += x; }
NOINLINE long double precise(int x) { return x / 4.0L; }

static _Atomic long fib_calls, fib_retsum;

NOINLINE long fib(long n)
{
	long r = n < 2 ? n : fib(n - 1) + fib(n - 2);
	fib_calls++;
	fib_retsum += r;
	return r;
}

struct fib_job {
	long n, result;
};

static void *fib_thread(void *arg)
{
	struct fib_job *j = arg;
	j->result = fib(j->n);
	return NULL;
}

static jmp_buf env;
static long dived;
static volatile long dive_sum;

NOINLINE int dive(int n)
{
	dived++;
	if (n == 0)
		longjmp(env, 1);
	int r = dive(n - 1) + 1;
	dive_sum += r; // not a loop at -O2: one entry a call
	return r;
}

// after_jumps is where tests stop once the longjmps are done.
NOINLINE void after_jumps(int k) { printf("jumps=%d\n", k); }

static _Atomic long left, left_returned, left_retsum;
static pthread_barrier_t halfway;

// leave is the probed function of the exit mode: its innermost call exits
// the thread when quit is set.
NOINLINE long leave(int n, int quit)
{
	left++;
	long r;
	if (n == 0) {
		if (quit) {
			// The threads that keep calling leave wait for this one to
			// be on its way out.
			pthread_barrier_wait(&halfway);
			pthread_exit(NULL);
		}
		r = 1;
	} else {
		r = leave(n - 1, quit) * 2;
	}
	left_returned++;
	left_retsum += r;
	return r;
}

static int leave_rounds;

static void *leave_thread(void *arg)
{
	int odd = (int)(long)arg & 1;
	for (int i = 0; i < leave_rounds; i++) {
		if (i == leave_rounds / 2) {
			if (odd)
				leave(3, 1);
			pthread_barrier_wait(&halfway);
		}
		leave(3, 0);
	}
	return NULL;
}

// after_exits is where tests stop: the odd threads have exited, the even
// ones are done.
NOINLINE void after_exits(int exited) { printf("exited=%d\n", exited); }

static int values(void)
{
	printf("answer=%d\n", answer(7));
	printf("negate=%ld\n", negate(12345));
	printf("narrow=%u\n", narrow(30000));
	printf("grade=%c\n", grade(80));
	printf("scale=%g\n", scale(1.5, 4.0f));
	printf("half=%g\n", half(5.0f));
	printf("label=%s\n", label(1));
	struct pair p = make_pair(4);
	printf("make_pair=%ld,%ld\n", p.a, p.b);
	struct mixed m = make_mixed(3);
	printf("make_mixed=%d,%g\n", m.i, m.d);
	struct dpair d = make_dpair(2.5);
	printf("make_dpair=%g,%g\n", d.x, d.y);
	struct fquad q = make_fquad(1.5f);
	printf("make_fquad=%g,%g,%g,%g\n", q.a, q.b, q.c, q.d);
	struct tiny t = make_tiny('a');
	printf("make_tiny=%.3s\n", t.c);
	struct big b = make_big(5);
	printf("make_big=%ld,%ld,%ld,%d\n", b.a, b.b, b.c, b.tag);
	nothing(2);
	printf("nothing=%d\n", global_counter);
	printf("precise=%Lg\n", precise(3));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: retvals values | fib N T | longjmp K | exit T K\n");
		return 2;
	}
	if (strcmp(argv[1], "values") == 0)
		return values();
	if (strcmp(argv[1], "fib") == 0 && argc == 4) {
		int n = atoi(argv[2]), k = atoi(argv[3]);
		pthread_t th[64];
		struct fib_job jobs[64];
		if (k < 1 || k > 64)
			return 2;
		for (int i = 0; i < k; i++) {
			jobs[i].n = n;
			pthread_create(&th[i], NULL, fib_thread, &jobs[i]);
		}
		long result = 0;
		for (int i = 0; i < k; i++) {
			pthread_join(th[i], NULL);
			result += jobs[i].result;
		}
		printf("calls=%ld retsum=%ld result=%ld\n", (long)fib_calls, (long)fib_retsum, result);
		return 0;
	}
	if (strcmp(argv[1], "longjmp") == 0 && argc == 3) {
		int k = atoi(argv[2]);
		// The longjmp lands after the if, not at dive's return address
		// (which a return probe could not tell from a return).
		for (volatile int i = 0; i < k; i++)
			if (setjmp(env) == 0) {
				dive(5);
				abort();
			}
		after_jumps(k);
		printf("dived=%ld\n", dived);
		return 0;
	}
	if (strcmp(argv[1], "exit") == 0 && argc == 4) {
		int t = atoi(argv[2]);
		leave_rounds = atoi(argv[3]);
		pthread_t th[64];
		if (t < 2 || t > 64 || leave_rounds < 2)
			return 2;
		pthread_barrier_init(&halfway, NULL, t);
		for (long i = 0; i < t; i++)
			pthread_create(&th[i], NULL, leave_thread, (void *)i);
		for (int i = 0; i < t; i++)
			pthread_join(th[i], NULL);
		after_exits(t / 2);
		printf("left=%ld returned=%ld retsum=%ld\n", (long)left, (long)left_returned, (long)left_retsum);
		return 0;
	}
	fprintf(stderr, "retvals: bad arguments\n");
	return 2;
}
