// twostatics/b.c: the second static helper(); see a.c.
#define NOINLINE __attribute__((noinline, noipa))

NOINLINE static int helper(int x)
{
	return x * 7; // @helper-b
}

NOINLINE int use_b(int x)
{
	return helper(x) + 1; // @use-b
}
