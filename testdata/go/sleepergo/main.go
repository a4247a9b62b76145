// Sleepergo is the Go counterpart of the C target sleeper: a quiet,
// long-running process for attach tests. The main goroutine and K more
// sleep 10ms at a time and call hot after every sleep until SECS seconds
// have passed; then main prints patchMe, which a debugger may have changed.
//
// Usage:
//
//	sleepergo [SECS [K]]         SECS defaults to 2 (fractions allowed,
//	                             <= 0 means forever), K to 4
//
// Output:
//
//	ready pid=P goroutines=K     once every goroutine has started
//	patch_me=V                   at exit; V is 1 unless a debugger changed it
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

var patchMe int64 = 1

var sink int

//go:noinline
func hot(i int) int {
	return i*3 + 1 // @hot-body
}

//go:noinline
func napLoop(deadline time.Time) {
	for i := 0; deadline.IsZero() || time.Now().Before(deadline); i++ {
		time.Sleep(10 * time.Millisecond) // @sleep
		sink = hot(i)
	}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	secs, k := 2.0, 4
	var err error
	if len(args) > 0 {
		secs, err = strconv.ParseFloat(args[0], 64)
	}
	if err == nil && len(args) > 1 {
		k, err = strconv.Atoi(args[1])
	}
	if err != nil || len(args) > 2 || k < 0 {
		fmt.Fprintln(stderr, "usage: sleepergo [SECS [K]]")
		return 2
	}
	var deadline time.Time
	if secs > 0 {
		deadline = time.Now().Add(time.Duration(secs * float64(time.Second)))
	}

	var started, done sync.WaitGroup
	started.Add(k)
	for range k {
		done.Go(func() {
			started.Done()
			napLoop(deadline)
		})
	}
	started.Wait()
	fmt.Fprintf(stdout, "ready pid=%d goroutines=%d\n", os.Getpid(), k)
	napLoop(deadline)
	done.Wait()
	fmt.Fprintf(stdout, "patch_me=%d\n", patchMe) // @print-patch
	return 0
}
