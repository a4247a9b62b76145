// Gotyped is the Go corpus of the typed-data tests: a value of every kind
// a debugger shows (strings with non-ASCII text, nil and empty slices,
// arrays, maps of 0, 1 and 10,000 entries, nested and embedded structs,
// interfaces holding pointers and values, a nil and a non-nil error,
// channels, closures, package globals), printed by the program itself and
// then held in a frame while it calls a //go:noinline probe.
//
// Usage:
//
//	gotyped [typed]     the default mode
//
// Other modes are added by other files of the package with a one-line
// case in main's switch.
//
// Output (typed mode): one line per variable of typed(), then the
// globals, then "probe" just before the call (typed() then calls
// (*Server).handle, printing nothing):
//
//	var NAME JSON        JSON is the variable's plain value as stardbg's value.value
//	                     gives it (see plain.go): pointers and channels are their
//	                     addresses, funcs their function's name, maps objects
//	                     with keys as text, structs objects of their fields
//	global NAME JSON     the same for main.config and main.counter
//	probe
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Item is an element of an order.
type Item struct {
	Name string
	Qty  int
}

// Base is embedded in Order: its fields are promoted.
type Base struct {
	ID      int
	Created string
}

// Customer is pointed to by Order.
type Customer struct {
	Name string
	Tags []string
}

// Addr is nested in Customer-less orders by value.
type Addr struct {
	City string
	Zip  [2]uint16
}

// Order has every kind of field.
type Order struct {
	Base
	Items    []Item
	Note     string
	Customer *Customer
	Ship     Addr
	Attrs    map[string]int
	rush     bool
}

// codeErr is an error held by value in an interface.
type codeErr struct{ code int }

func (e codeErr) Error() string { return fmt.Sprintf("code %d", e.code) }

// Shape is a non-empty interface.
type Shape interface{ Area() float64 }

// Rect implements Shape by value.
type Rect struct{ W, H float64 }

func (r Rect) Area() float64 { return r.W * r.H }

// Server has a method, handle, whose receiver and arguments the tests
// read by name at its entry.
type Server struct {
	Name string
	hits int
}

// Request is handle's argument.
type Request struct {
	Path string
	Body []byte
}

//go:noinline
func (s *Server) handle(req *Request, n int) int {
	s.hits += n
	return len(req.Path) + s.hits // @handle-body
}

// Weekday and Perm are integer types with constants, which debuggers name
// values by.
type (
	Weekday int
	Perm    uint8
)

const (
	Sunday Weekday = iota
	Monday
	Tuesday
)

const (
	Read Perm = 1 << iota
	Write
	Exec
)

// config and counter are package globals.
var (
	config  = Order{Base: Base{ID: 1, Created: "boot"}, Note: "global", Attrs: map[string]int{"retries": 3}}
	counter = 42
)

// probe is where the tests stop: typed()'s variables are live across the
// call, and probe's own arguments are a string, a slice, a pointer and an
// int in registers.
//
//go:noinline
func probe(label string, items []Item, o *Order, n int) int {
	return len(label) + len(items) + o.ID + n // @probe-body
}

// keep holds values alive after the probe call, so that an optimized
// build keeps them somewhere.
//
//go:noinline
func keep(xs ...any) int { return len(xs) }

func typed() {
	s := "héllo, 世界"
	empty := ""
	long := strings.Repeat("abcdefghij", 10)
	i := -7
	u8 := uint8(200)
	f := 2.5
	ok := true
	r := 'é'
	var nilSlice []int
	emptySlice := []int{}
	items := []Item{{"apple", 3}, {"pear", 10}}
	bs := []byte("hi!")
	arr := [3]int8{-1, 0, 1}
	m0 := map[string]int{}
	m1 := map[string]int{"one": 1}
	var nilMap map[string]int
	big := make(map[int]string, 10000)
	for k := 0; k < 10000; k++ {
		big[k] = fmt.Sprintf("v%d", k)
	}
	grid := map[[2]int]string{{1, 2}: "a"} // keys no lookup takes, not printed: for the .star tests
	tenth := float32(0.1)                  // printed as Go prints it, not as C would (0.100000001)
	day, perm, odd := Monday, Read|Exec, Perm(64)
	z, z64 := complex(1.5, -2), complex64(complex(0.25, 3)) // JSON has no complex: printed as [real, imag]
	cust := &Customer{Name: "Zoë", Tags: []string{"vip", "east"}}
	o := Order{Base: Base{ID: 7, Created: "today"}, Items: items, Note: "rush", Customer: cust,
		Ship: Addr{City: "Köln", Zip: [2]uint16{50667, 1}}, Attrs: map[string]int{"gift": 1}, rush: true}
	po := &o
	var anyInt any = 42
	var anyPtr any = &items[0]
	var anyVal any = Item{"plum", 5}
	var anyNil any
	var errNil error
	errSet := errors.New("boom")
	errVal := error(codeErr{3})
	var shape Shape = Rect{2, 3.5}
	ch := make(chan int, 3)
	ch <- 11
	ch <- 22
	var nilChan chan string
	k := 5
	add := func(x int) int { return x + k }
	upper := strings.ToUpper
	var nilFunc func()
	vars := []struct {
		name string
		v    any
	}{
		{"s", s}, {"empty", empty}, {"long", long}, {"i", i}, {"u8", u8}, {"f", f}, {"ok", ok}, {"r", r},
		{"nilSlice", nilSlice}, {"emptySlice", emptySlice}, {"items", items}, {"bs", bs}, {"arr", arr},
		{"m0", m0}, {"m1", m1}, {"nilMap", nilMap}, {"big", big}, {"cust", cust}, {"o", o}, {"po", po},
		{"anyInt", anyIface{anyInt}}, {"anyPtr", anyIface{anyPtr}}, {"anyVal", anyIface{anyVal}},
		{"anyNil", anyIface{anyNil}}, {"errNil", anyIface{errNil}}, {"errSet", anyIface{errSet}},
		{"errVal", anyIface{errVal}}, {"shape", anyIface{shape}}, {"ch", ch}, {"nilChan", nilChan},
		{"add", add}, {"upper", upper}, {"nilFunc", nilFunc},
		{"z", [2]float64{real(z), imag(z)}}, {"z64", [2]float32{real(z64), imag(z64)}},
	}
	for _, x := range vars {
		fmt.Printf("var %s %s\n", x.name, plainJSON(x.v))
	}
	fmt.Printf("global main.config %s\nglobal main.counter %s\n", plainJSON(config), plainJSON(counter))
	fmt.Println("probe")
	os.Stdout.Sync()
	probe(s, items, po, i)
	srv := &Server{Name: "front"}
	srv.handle(&Request{Path: "/index.html", Body: bs}, 3)
	keep(s, empty, long, i, u8, f, ok, r, nilSlice, emptySlice, items, bs, arr, m0, m1, nilMap, big, cust, o, po,
		anyInt, anyPtr, anyVal, anyNil, errNil, errSet, errVal, shape, ch, nilChan, add, upper, nilFunc, grid, tenth, day, perm, odd, z, z64)
}

func main() {
	mode := "typed"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "typed":
		typed()
	default:
		fmt.Fprintf(os.Stderr, "gotyped: unknown mode %q\n", mode)
		os.Exit(2)
	}
}
