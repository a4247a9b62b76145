// steplib/lib.c: libstep.so, the library steplib calls through its PLT.
// testtarget: shared libstep.so

int lib_twice(int x)
{
	int y = x * 2; // @lib-twice
	return y;
}

int lib_plus(int a, int b)
{
	return a + b;
}
