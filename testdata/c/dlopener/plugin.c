// dlopener/plugin.c: the shared library libplugin.so that dlopener loads.
// testtarget: shared libplugin.so
#define NOINLINE __attribute__((noinline, noipa))

NOINLINE int plugin_fn(int x)
{
	return x * x + 7; // @plugin-body
}
