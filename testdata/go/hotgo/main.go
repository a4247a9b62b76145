// Hotgo is the Go counterpart of the C targets hotthreads and callchain:
// goroutines calling a hot function, a method, and a five-deep call chain.
//
// G goroutines run on at least four Ps (unless GOMAXPROCS is set). Goroutine
// g calls hot(g*M + j) for j in [0,M), so the arguments over all goroutines
// are exactly 0 .. G*M-1, each once.
//
// Usage:
//
//	hotgo [G [M]] [chain]        G defaults to 8, M to 25000
//
// Output:
//
//	goroutines=G calls=N checksum=C argsum=S   N = G*M, S = N*(N-1)/2, C = 3*S + N
//	method=33                                  (&T{10}).Method(i) summed over i in [0,3)
//	in f5                                      only with chain
//	chain=15                                   only with chain: f1(0) = 0 + 5+4+3+2+1
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
)

//go:noinline
func hot(i int) int {
	return i*3 + 1 // @hot-body
}

// T has a method so that tests can break on main.(*T).Method.
type T struct{ base int }

//go:noinline
func (t *T) Method(x int) int {
	return t.base + x // @method-body
}

//go:noinline
func f5(x int) int {
	os.Stdout.Write([]byte("in f5\n")) // @f5-write
	return x + 5
}

//go:noinline
func f4(x int) int {
	return f5(x) + 4 // @f4-call
}

//go:noinline
func f3(x int) int {
	return f4(x) + 3 // @f3-call
}

//go:noinline
func f2(x int) int {
	return f3(x) + 2 // @f2-call
}

//go:noinline
func f1(x int) int {
	return f2(x) + 1 // @f1-call
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	nums := []int{8, 25000}
	chain := false
	n := 0
	for _, a := range args {
		if a == "chain" {
			chain = true
			continue
		}
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || n == len(nums) {
			fmt.Fprintln(stderr, "usage: hotgo [G [M]] [chain]")
			return 2
		}
		nums[n] = v
		n++
	}
	g, m := nums[0], nums[1]
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(4, runtime.NumCPU()))
	}

	sums := make([]int, g)
	var wg sync.WaitGroup
	for i := range g {
		wg.Go(func() {
			for j := i * m; j < (i+1)*m; j++ {
				sums[i] += hot(j) // @goroutine-call
			}
		})
	}
	wg.Wait()
	checksum := 0
	for _, s := range sums {
		checksum += s
	}
	calls := g * m
	fmt.Fprintf(stdout, "goroutines=%d calls=%d checksum=%d argsum=%d\n", g, calls, checksum, calls*(calls-1)/2)

	t := &T{base: 10}
	method := 0
	for i := range 3 {
		method += t.Method(i)
	}
	fmt.Fprintf(stdout, "method=%d\n", method)

	if chain {
		fmt.Fprintf(stdout, "chain=%d\n", f1(0)) // @main-chain
	}
	return 0
}
