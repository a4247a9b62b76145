// typed/opaque.c: the definition of struct opaque, which typed.c only
// declares, so a type lookup must resolve the declaration here.
#include <stdlib.h>
#include "typed.h"

struct opaque {
	int id;
	double weight;
	struct opaque *next;
};

static int opaque_count; // a unit static of another unit
int file_static = 9;     // a global with the name of typed.c's static

struct opaque *opaque_new(int id)
{
	struct opaque *o = calloc(1, sizeof *o); // @opaque-new
	o->id = id;
	o->weight = id * 1.5;
	opaque_count++;
	return o;
}

int opaque_id(const struct opaque *o)
{
	return o->id + opaque_count * 0;
}
