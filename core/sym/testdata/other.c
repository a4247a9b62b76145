/* other.c: a second translation unit with its own static helper, so that
 * the name "helper" has two matches. */
extern volatile int sink;

static __attribute__((noinline, noclone)) int helper(int x)
{
	sink -= x;
	return sink * 5;
}

int other_entry(int x)
{
	return helper(x + 2);
}
