// steplib: main calls functions of its own shared library libstep.so,
// built with line information, through the PLT, for tests of step_in
// into a library (the first call of each goes through the dynamic
// linker's lazy binding) compared with gdb's step.
// testtarget: ldflags -L$OUT -lstep -Wl,-rpath,$ORIGIN
//
// usage:  steplib
// output: twice=14 again=16 plus=10
#include <stdio.h>

int lib_twice(int x);
int lib_plus(int a, int b);

int main(void)
{
	int a = lib_twice(7); // @main-first
	int b = lib_twice(8);
	int c = lib_plus(a - 10, 6);
	printf("twice=%d again=%d plus=%d\n", a, b, c);
	return 0;
}
