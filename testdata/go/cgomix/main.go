// Cgomix calls C from Go, for backtraces that hold Go and C frames: main
// calls goCaller, which calls the C function c_middle, which calls c_leaf.
// c_leaf is where a debugger stops; its backtrace goes from c_leaf through
// the cgo call back into main.
//
// Usage:
//
//	cgomix [N]          N calls of goCaller (default 1)
//
// Output:
//
//	result=R            the sum of goCaller(i) for i in [0,N): c_leaf(i)*2 + 1 each
package main

/*
__attribute__((noinline)) int c_leaf(int x) {
	return x * 2; // @c-leaf
}

__attribute__((noinline)) int c_middle(int x) {
	return c_leaf(x) + 1;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
)

//go:noinline
func goCaller(x int) int {
	return int(C.c_middle(C.int(x))) // @go-call
}

func main() {
	n := 1
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	sum := 0
	for i := range n {
		sum += goCaller(i)
	}
	fmt.Printf("result=%d\n", sum)
}
