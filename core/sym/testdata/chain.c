/* chain.c: test target for package sym.
 *
 * Modes (argv[1]):
 *   wait   block reading stdin until it closes (a live process to inspect)
 *   trap   execute int3 in f5, five calls deep (main f1 f2 f3 f4 f5)
 *   write  execute int3 at the start of main (the tracer plants a breakpoint
 *          on write), then call f1..f5, and f5 calls write(2)
 * Lines tagged LINE:name are found by the tests; keep the tags.
 */
#include <string.h>
#include <unistd.h>

int other_entry(int x);

volatile int sink;
static const char *mode = "";
static int trap_mode, write_mode;

__attribute__((noinline)) int hot(int n) /* LINE:hot-open */
{
	int s = 0; /* LINE:hot-body */

	for (int i = 0; i < n; i++) /* LINE:hot-loop */
		s += i * i;
	return s;
}

static __attribute__((noinline, noclone)) int helper(int x)
{
	sink += x;
	return sink * 3;
}

__attribute__((noinline, noclone)) int f5(int x)
{
	if (trap_mode)
		__asm__ volatile("int3"); /* LINE:f5-trap */
	if (write_mode)
		write(1, "f5\n", 3); /* LINE:f5-write */
	sink += x;
	return sink;
}

__attribute__((noinline, noclone)) int f4(int x)
{
	int r = f5(x + 1); /* LINE:f4-call */
	return r + 1;
}

__attribute__((noinline, noclone)) int f3(int x)
{
	int r = f4(x + 1); /* LINE:f3-call */
	return r + 1;
}

__attribute__((noinline, noclone)) int f2(int x)
{
	int r = f3(x + 1); /* LINE:f2-call */
	return r + 1;
}

__attribute__((noinline, noclone)) int f1(int x)
{
	int r = f2(x + 1); /* LINE:f1-call */
	return r + 1;
}

int main(int argc, char **argv)
{
	char buf[1];

	if (argc > 1)
		mode = argv[1];
	trap_mode = strcmp(mode, "trap") == 0;
	write_mode = strcmp(mode, "write") == 0;
	sink = (int)strlen(mode); /* calls strlen through the PLT before waiting */
	if (write_mode)
		__asm__ volatile("int3");
	if (strcmp(mode, "wait") == 0) {
		while (read(0, buf, 1) > 0) /* LINE:main-wait */
			;
	}
	sink += hot(argc) + helper(argc) + other_entry(argc);
	return f1(argc) == 12345 ? 1 : 0; /* LINE:main-call */
}
