// Greeter calls greet(name, n) from G goroutines, M times each: goroutine w
// passes the name "worker-w" (w in [0,G)) and n in [0,M). A debugger's
// callback on greet can read the name by name and the goroutine's id, and
// count each exactly.
//
// Usage:
//
//	greeter [G [M]]        G defaults to 8, M to 1000
//
// Output:
//
//	calls=N lensum=L       N = G*M; L is the sum of len(name) over all calls
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

var lenSum atomic.Int64

//go:noinline
func greet(name string, n int) int {
	lenSum.Add(int64(len(name))) // @greet-body
	return n + len(name)
}

func main() {
	g, m := 8, 1000
	if len(os.Args) > 1 {
		g, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		m, _ = strconv.Atoi(os.Args[2])
	}
	var wg sync.WaitGroup
	var calls atomic.Int64
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("worker-%d", w)
			for n := range m {
				greet(name, n)
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("calls=%d lensum=%d\n", calls.Load(), lenSum.Load())
}
