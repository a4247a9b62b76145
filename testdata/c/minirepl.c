// minirepl: a small interactive calculator, for the tests of driving a
// program's standard input and reading its output (expect).
//
// usage:  minirepl
// It prints the prompt "> " (flushed, without a newline), reads a line and
// answers it through eval_line (a breakpoint target), until "quit" or the
// end of its input:
//   add A B    prints "= A+B"          mul A B    prints "= A*B"
//   echo TEXT  prints "TEXT"           err TEXT   prints "error: TEXT" on stderr
//   anything else prints "? LINE"
// At the end it prints "bye lines=N" (N: the lines it answered) and exits 0.
#include <stdio.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noipa))

NOINLINE void eval_line(const char *line)
{
	long a, b;
	char text[256];

	if (sscanf(line, "add %ld %ld", &a, &b) == 2)
		printf("= %ld\n", a + b);
	else if (sscanf(line, "mul %ld %ld", &a, &b) == 2)
		printf("= %ld\n", a * b);
	else if (sscanf(line, "echo %255[^\n]", text) == 1)
		printf("%s\n", text);
	else if (sscanf(line, "err %255[^\n]", text) == 1)
		fprintf(stderr, "error: %s\n", text);
	else
		printf("? %s", line);
}

int main(void)
{
	char line[1024];
	long n = 0;

	for (;;) {
		printf("> ");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			break;
		if (strcmp(line, "quit\n") == 0)
			break;
		eval_line(line);
		n++;
	}
	printf("bye lines=%ld\n", n);
	return 0;
}
