// typed: a corpus of C types, variables and scopes for the DWARF data
// model (core/dwarfvars): every kind of type (base types, typedefs,
// qualifiers, pointers, multi-dimensional and flexible arrays, structs,
// unions, enums, bitfields, function pointers, anonymous members, a type
// declared here and defined in another unit), globals, statics,
// thread-locals, nested blocks, recursion and an inlined function.
//
// usage:  typed [N]             N defaults to 3: the depth of recurse()
// output:
//   total=T id=7                T is the sum computed by process(); id of the opaque object
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "typed.h"

struct flags {
	unsigned int ready : 1;
	unsigned int mode : 3;
	signed int delta : 5;
	unsigned char tag;
};

union number {
	int i;
	float f;
	unsigned char bytes[4];
};

struct order {
	int id;
	char name[16];
	point_t where;
	struct point *path;
	enum color color;
	struct flags flags;
	union number amount;
	int grid[2][3];
	const char *label;
	volatile long ticks;
	binop_t combine;
	void (*notify)(const struct order *, int);
	struct {
		short lo, hi;
	} range;
	union {
		long as_long;
		double as_double;
	};
	struct opaque *secret;
	_Bool done;
	unsigned long long big;
	signed char small;
	float ratio;
	long double precise;
};

typedef struct order order_t;
typedef const order_t *order_cref;

struct message {
	unsigned short len;
	unsigned char kind;
	char body[];
};

int global_counter = 42;
const char *global_name = "origin";
static int file_static = 7;
__thread int tls_counter = 3;
int global_grid[4] = {1, 2, 3, 4};
struct point global_origin = {3, 4};
order_t *global_order;
struct message *global_message;
enum color global_color = BLUE;
binop_t global_op;
struct opaque *global_secret;
uint_t global_mask = 0xff;
double _Complex global_z = __builtin_complex(1.5, -2.0); // gdb prints 1.5 + -2i
int step = 100; // shadowed by a block-local step in process()

struct triple {
	int a, b, c;
};

struct pair_f {
	float x, y;
};

struct big {
	long v[3];
};

// mixed takes arguments of every SysV x86-64 class: integer and SSE
// registers, a struct split over two registers, a struct in memory, and
// integers past the six registers, on the stack.
NOINLINE long mixed(struct point p, double d, float f, struct triple t, struct pair_f pf,
		    struct big b, long a5, long a6, long a7, char c)
{
	return p.x + p.y + (long)(d * 2) + (long)(f * 4) + t.a + t.b + t.c + (long)(pf.x + pf.y) +
	       b.v[0] + b.v[1] + b.v[2] + a5 + a6 + a7 + c; // @mixed-body
}

// make_big returns a struct in memory: its caller passes the address in
// rdi, so x and y arrive in rsi and rdx.
NOINLINE struct big make_big(long x, long y)
{
	struct big b = {{x, y, x + y}};
	return b;
}

NOINLINE int add(int a, int b)
{
	return a + b;
}

NOINLINE void notify(const struct order *o, int why)
{
	global_counter += o->id + why;
}

static inline int scaled(int v, int k)
{
	int product = v * k; // @scaled-body
	return product + file_static;
}

NOINLINE int recurse(int depth)
{
	static int calls; // a function static
	calls++;
	if (depth <= 0)
		return calls; // @recurse-base
	return recurse(depth - 1) + depth;
}

NOINLINE long process(order_t *o, int n)
{
	long total = 0;
	for (int i = 0; i < n; i++) {
		int step = o->grid[i % 2][i % 3];
		{
			int inner = step * 2 + i;
			total += inner; // @process-inner
		}
	}
	total += scaled(o->where.x, n); // @scaled-call
	total += o->combine(o->flags.mode, o->flags.delta);
	o->notify(o, (int)total);
	o->ticks++;
	return total; // @process-return
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct point path[2] = {{1, 2}, {3, 4}};
	order_t o;
	memset(&o, 0, sizeof o);
	o.id = 7;
	strcpy(o.name, "widget");
	o.where = (point_t){10, 20};
	o.path = path;
	o.color = GREEN;
	o.flags.ready = 1;
	o.flags.mode = 5;
	o.flags.delta = -3;
	o.flags.tag = 'A';
	o.amount.i = 1000;
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 3; c++)
			o.grid[r][c] = r * 10 + c;
	o.label = "fragile";
	o.combine = add;
	o.notify = notify;
	o.range.lo = -1;
	o.range.hi = 1;
	o.as_long = 99;
	o.secret = opaque_new(7);
	o.done = 1;
	o.big = 1ULL << 40;
	o.small = -5;
	o.ratio = 0.5f;
	o.precise = 2.25L;
	global_order = &o;
	global_op = add;
	global_secret = o.secret;
	global_mask &= (uint_t)n;
	global_message = malloc(sizeof *global_message + 6);
	global_message->len = 5;
	global_message->kind = 1;
	memcpy(global_message->body, "hello", 6);
	tls_counter += recurse(n);
	struct big b = make_big(n, 2 * n);
	global_counter += (int)mixed(global_origin, 1.25, 0.75f, (struct triple){1, 2, 3}, (struct pair_f){0.5f, 1.5f}, b,
				     5, 6, 7, 'z') * 0;
	order_cref view = &o;
	long total = process(&o, n);
	printf("total=%ld id=%d\n", total, opaque_id(view->secret));
	return 0;
}
