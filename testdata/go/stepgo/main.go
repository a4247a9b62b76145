// Stepgo runs the same function on several goroutines at once, for source
// stepping tests: a next over work's lines must stay on the goroutine it
// started on while the others run the same lines, and over calls whose
// stacks grow (deep recursion moves the goroutine's stack).
//
// Usage:
//
//	stepgo [G [N]]        G goroutines (default 8) each call work(id, N), N defaults to 200000
//
// Output:
//
//	goroutines=G sum=S    S is the sum of work(id, N) over the goroutines
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

//go:noinline
func grow(depth int) int {
	var pad [256]byte
	pad[depth%256] = byte(depth)
	if depth == 0 {
		return int(pad[0])
	}
	return grow(depth-1) + int(pad[depth%256]&1)
}

//go:noinline
func square(i int) int {
	return i * i
}

//go:noinline
func work(id, n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum += square(i) % 7 // @work-call
		if i%50000 == 0 {
			sum += grow(64) // @work-grow
		}
		sum ^= id // @work-xor
	}
	return sum
}

func main() {
	g, n := 8, 200000
	if len(os.Args) > 1 {
		g, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	sums := make([]int, g)
	var wg sync.WaitGroup
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			sums[id] = work(id, n)
		}(i)
	}
	wg.Wait()
	total := 0
	for _, s := range sums {
		total += s
	}
	fmt.Printf("goroutines=%d sum=%d\n", g, total)
}
