// twostatics/a.c: one of two files that each define a static helper(),
// so symbol lookup must cope with two local functions of the same name.
#define NOINLINE __attribute__((noinline, noipa))

NOINLINE static int helper(int x)
{
	return x + 100; // @helper-a
}

NOINLINE int use_a(int x)
{
	return helper(x) * 2; // @use-a
}
