// typed is the C++ corpus of the typed-data tests: classes with base
// classes (a two-level chain and multiple inheritance), a reference member
// and a reference argument, namespaces (nested too), a member function
// with this in scope and a static member. It prints what the tests check.
#include <cstdio>

namespace ns {
int counter = 5;
namespace inner {
struct T {
	int a;
	long b;
};
T global_t = {7, 8};
} // namespace inner
} // namespace ns

struct Base {
	int id;
	int get_id() const { return id; }
};

struct Mid : Base {
	int mid;
};

class Leaf : public Mid {
public:
	int leaf;
	static int instances;
	int sum() const;
};

int Leaf::instances = 0;

struct Named {
	const char *name;
};

struct Both : Base, Named {
	int both;
};

struct Holder {
	int &ref;
	int plain;
};

__attribute__((noinline)) int Leaf::sum() const
{
	int s = id + mid + leaf;
	return s; // @sum-return
}

__attribute__((noinline)) int bump(int &r, Holder &h)
{
	r += h.plain;
	h.ref += 1;
	return r; // @bump-return
}

int main()
{
	Leaf leaf;
	leaf.id = 1;
	leaf.mid = 2;
	leaf.leaf = 3;
	Leaf::instances++;
	Both both;
	both.id = 4;
	both.name = "both";
	both.both = 6;
	int x = 10;
	int y = 20;
	Holder h = {y, 3};
	int s = leaf.sum();
	int b = bump(x, h);
	std::printf("sum=%d bump=%d x=%d y=%d\n", s, b, x, y);
	std::printf("counter=%d t=%d,%ld instances=%d both=%d,%s,%d id=%d\n", ns::counter, ns::inner::global_t.a,
		    ns::inner::global_t.b, Leaf::instances, both.id, both.name, both.both, both.get_id());
	return 0;
}
