// Retgo is the Go counterpart of c/retvals, for return probes: functions
// with one and several results in registers (ints, floats, strings,
// errors, structs) and on the stack, recursive fib in goroutines, a deep
// recursion with large frames that grows (and so moves) the goroutine
// stack, and a panic out of a probed function.
//
// Usage:
//
//	retgo values          calls each function of values() once
//	retgo fib N G         G goroutines compute fib(N) each
//	retgo deep N          one goroutine recurses N deep in deep(), 2 KiB a frame
//	retgo panic K         K times: risky(5) panics out of 6 active calls, recovered
//
// Output:
//
//	values: one line per call, name=results as fmt prints them
//	fib:    calls=C retsum=S result=R    C calls of fib, S the sum of the values
//	                                     they returned, R = G*fib(N)
//	deep:   calls=C retsum=S             likewise for deep
//	panic:  recovered=K risky=E          E = 6*K entries of risky
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

//go:noinline
func divmod(a, b int) (q int, err error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}

// Point is returned in registers: two ints and a float.
type Point struct {
	X, Y int
	F    float64
}

//go:noinline
func mkPoint(a int) Point { return Point{a, a + 1, float64(a) / 4} }

//go:noinline
func named(a int) (string, float64) { return "gopher" + strconv.Itoa(a), float64(a) * 1.5 }

//go:noinline
func small(a int8) (int8, bool, uint16) { return -a, a > 0, uint16(a) * 1000 }

// pair is an array of two: the ABI returns it on the stack.
//
//go:noinline
func pair(a [3]int) [2]int { return [2]int{a[0] + a[1], a[2]} }

//go:noinline
func cplx(a float64) complex128 { return complex(a, -a) }

var fibCalls, fibRetsum atomic.Int64

//go:noinline
func fib(n int) int {
	r := n
	if n >= 2 {
		r = fib(n-1) + fib(n-2)
	}
	fibCalls.Add(1)
	fibRetsum.Add(int64(r))
	return r
}

var deepCalls, deepRetsum int64

// touch keeps deep's buffer on its stack: a 2 KiB frame.
//
//go:noinline
func touch(b *[2048]byte, n int) int {
	b[n%len(b)] = byte(n)
	return int(b[n%len(b)]) + int(b[(n+1)%len(b)])
}

//go:noinline
func deep(n int) int {
	var buf [2048]byte
	r := touch(&buf, n)
	if n > 0 {
		r += deep(n-1) % 1000
	}
	deepCalls++
	deepRetsum += int64(r)
	return r
}

var riskyCalls int

//go:noinline
func risky(n int) int {
	riskyCalls++
	if n == 0 {
		panic("risky")
	}
	return risky(n-1) + 1
}

//go:noinline
func safe() (recovered bool) {
	defer func() { recovered = recover() != nil }()
	risky(5)
	return false
}

// afterPanics is where tests stop once the panics are recovered.
//
//go:noinline
func afterPanics(k int) { fmt.Printf("recovered=%d ", k) }

func values() {
	q, err := divmod(7, 2)
	fmt.Printf("divmod=%d,%v\n", q, err)
	q, err = divmod(1, 0)
	fmt.Printf("divmod=%d,%v\n", q, err)
	fmt.Printf("mkPoint=%v\n", mkPoint(3))
	s, f := named(7)
	fmt.Printf("named=%s,%g\n", s, f)
	a, b, c := small(5)
	fmt.Printf("small=%d,%v,%d\n", a, b, c)
	fmt.Printf("pair=%v\n", pair([3]int{1, 2, 3}))
	fmt.Printf("cplx=%v\n", cplx(2))
}

func main() {
	arg := func(i int) int {
		n, err := strconv.Atoi(os.Args[i])
		if err != nil {
			fmt.Fprintln(os.Stderr, "retgo:", err)
			os.Exit(2)
		}
		return n
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: retgo values | fib N G | deep N | panic K")
		os.Exit(2)
	}
	switch {
	case os.Args[1] == "values":
		values()
	case os.Args[1] == "fib" && len(os.Args) == 4:
		n, g := arg(2), arg(3)
		var wg sync.WaitGroup
		results := make([]int, g)
		for i := range g {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = fib(n)
			}()
		}
		wg.Wait()
		sum := 0
		for _, r := range results {
			sum += r
		}
		fmt.Printf("calls=%d retsum=%d result=%d\n", fibCalls.Load(), fibRetsum.Load(), sum)
	case os.Args[1] == "deep" && len(os.Args) == 3:
		n := arg(2)
		done := make(chan bool)
		go func() { deep(n); done <- true }()
		<-done
		fmt.Printf("calls=%d retsum=%d\n", deepCalls, deepRetsum)
	case os.Args[1] == "panic" && len(os.Args) == 3:
		k, n := arg(2), 0
		for range k {
			if safe() {
				n++
			}
		}
		afterPanics(n)
		fmt.Printf("risky=%d\n", riskyCalls)
	default:
		fmt.Fprintln(os.Stderr, "retgo: bad arguments")
		os.Exit(2)
	}
}
