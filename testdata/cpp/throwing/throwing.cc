// throwing: a C++ exception unwinds through probed calls, for return probes
// (core/retprobe.go). T threads each run K rounds; a round calls
// plunge(5, …), which recurses 5 deep and, in two rounds of three, throws
// from the innermost call. One of those throws is caught in the caller of
// all six calls (play_round), the other by the plunge call 3 deep, which then
// returns normally: its three inner calls were unwound. Every plunge frame
// holds an object with a destructor, so the unwinder also runs cleanup code
// in each frame it passes. Once all threads are done they wait, alive, until
// main has called after_throws, where tests stop.
//
// usage:  throwing T K
// output: threads=T rounds=K entered=E returned=R thrown=X retsum=S
//         E entries of plunge, R normal returns whose values sum to S, X throws
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>

#define NOINLINE __attribute__((noinline, noipa))

static std::atomic<long> entered, returned, thrown, retsum;

struct guard {
	volatile int *p;
	explicit guard(volatile int *q) : p(q) { ++*p; }
	~guard() { --*p; }
};

static thread_local volatile int live;

// plunge is the probed function. n counts down to 0; mode 0 returns from
// every call, mode 1 throws at 0 and play_round catches it, mode 2 throws at 0
// and the call at n == 3 catches it.
extern "C" NOINLINE long plunge(int n, int mode)
{
	entered++;
	guard g(&live);
	long r;
	if (n == 0) {
		if (mode != 0) {
			thrown++;
			throw n + 100;
		}
		r = 1;
	} else if (n == 3 && mode == 2) {
		try {
			r = plunge(n - 1, mode) + 1;
		} catch (int v) {
			r = v;
		}
	} else {
		r = plunge(n - 1, mode) + 1;
	}
	returned++;
	retsum += r;
	return r;
}

// play_round runs one round and catches what plunge(5, 1) throws.
NOINLINE static long play_round(int i)
{
	try {
		return plunge(5, i % 3);
	} catch (int v) {
		return -v;
	}
}

static pthread_barrier_t done, release;
static int rounds;

static void *worker(void *)
{
	long sum = 0;
	for (int i = 0; i < rounds; i++)
		sum += play_round(i);
	if (live != 0)
		abort();
	pthread_barrier_wait(&done);
	pthread_barrier_wait(&release);
	return (void *)sum;
}

// after_throws is where tests stop: every round is over, every thread alive.
extern "C" NOINLINE void after_throws(int t) { std::printf("threads=%d ", t); }

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: throwing T K\n");
		return 2;
	}
	int t = std::atoi(argv[1]);
	rounds = std::atoi(argv[2]);
	if (t < 1 || t > 64 || rounds < 1)
		return 2;
	pthread_t th[64];
	pthread_barrier_init(&done, nullptr, t + 1);
	pthread_barrier_init(&release, nullptr, t + 1);
	for (int i = 0; i < t; i++)
		pthread_create(&th[i], nullptr, worker, nullptr);
	pthread_barrier_wait(&done);
	after_throws(t);
	pthread_barrier_wait(&release);
	for (int i = 0; i < t; i++)
		pthread_join(th[i], nullptr);
	std::printf("rounds=%d entered=%ld returned=%ld thrown=%ld retsum=%ld\n", rounds, entered.load(),
		    returned.load(), thrown.load(), retsum.load());
	return 0;
}
