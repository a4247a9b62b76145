// dlopener: loads libplugin.so with dlopen, calls plugin_fn, unloads it and
// loads it again, for tests of breakpoints in libraries that come and go.
// testtarget: ldflags -ldl
//
// usage:  dlopener [LIB [N]]     LIB defaults to libplugin.so next to the
//                                executable ("" also means the default);
//                                N defaults to 3
// output:
//   plugin_sum=S                 S = sum of plugin_fn(i), i in [0,N)
//   unloaded=1                   the library was gone after dlclose
//   again=V                      V = plugin_fn(N) after the second dlopen
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*plugin_fn_t)(int);

static void *load(const char *lib, plugin_fn_t *fn)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL); // @dlopen

	if (h == NULL) {
		fprintf(stderr, "dlopener: %s\n", dlerror());
		exit(1);
	}
	*fn = (plugin_fn_t)dlsym(h, "plugin_fn");
	if (*fn == NULL) {
		fprintf(stderr, "dlopener: %s\n", dlerror());
		exit(1);
	}
	return h;
}

int main(int argc, char **argv)
{
	static char def[PATH_MAX];
	const char *lib = argc > 1 && argv[1][0] != '\0' ? argv[1] : NULL;
	int n = argc > 2 ? atoi(argv[2]) : 3;
	plugin_fn_t fn;
	long sum = 0;
	void *h;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lib == NULL) {
		ssize_t len = readlink("/proc/self/exe", def, sizeof def - 32);

		if (len < 0) {
			perror("dlopener: readlink /proc/self/exe");
			return 1;
		}
		def[len] = '\0';
		strcat(dirname(def), "/libplugin.so");
		lib = def;
	}

	h = load(lib, &fn);
	for (int i = 0; i < n; i++)
		sum += fn(i); // @first-calls
	printf("plugin_sum=%ld\n", sum);
	dlclose(h); // @dlclose

	h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
	printf("unloaded=%d\n", h == NULL);
	if (h != NULL)
		dlclose(h);

	h = load(lib, &fn);
	printf("again=%d\n", fn(n)); // @again-call
	dlclose(h);
	return 0;
}
