// typed/typed.h: types shared by the units of the typed target.
#ifndef TYPED_H
#define TYPED_H

#define NOINLINE __attribute__((noinline, noipa))

// struct opaque is only declared here: typed.c sees an incomplete type,
// and its definition lives in opaque.c.
struct opaque;
struct opaque *opaque_new(int id);
int opaque_id(const struct opaque *o);

enum color { RED, GREEN = 5, BLUE };

struct point {
	int x, y;
};

typedef struct point point_t;
typedef unsigned int uint_t;
typedef int (*binop_t)(int, int);

#endif
