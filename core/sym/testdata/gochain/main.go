// Command gochain is a test target for package sym.
//
// Modes (os.Args[1]): "wait" blocks reading stdin until it closes; "trap"
// executes runtime.Breakpoint five calls deep (main.f1 .. main.f5).
package main

import (
	"io"
	"os"
	"runtime"
)

func init() { runtime.LockOSThread() } // main runs on the main (traced) thread

var sink int

type T struct{ n int }

//go:noinline
func (t *T) Method(x int) int { t.n += x; return t.n }

//go:noinline
func worker(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i
	}
	return s
}

// trap executes int3 (runtime.Breakpoint, which is inlined here).
//
//go:noinline
func trap() { runtime.Breakpoint() }

//go:noinline
func f5(x int, doTrap bool) int {
	if doTrap {
		trap() // LINE:go-f5-trap
	}
	sink += x
	return sink
}

//go:noinline
func f4(x int, trap bool) int { return f5(x+1, trap) + 1 } // LINE:go-f4

//go:noinline
func f3(x int, trap bool) int { return f4(x+1, trap) + 1 } // LINE:go-f3

//go:noinline
func f2(x int, trap bool) int { return f3(x+1, trap) + 1 } // LINE:go-f2

//go:noinline
func f1(x int, trap bool) int { return f2(x+1, trap) + 1 } // LINE:go-f1

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode == "wait" {
		io.Copy(io.Discard, os.Stdin)
	}
	t := &T{}
	sink = worker(len(mode)) + t.Method(3)
	if f1(len(mode), mode == "trap") == 12345 { // LINE:go-main-call
		os.Exit(1)
	}
}
