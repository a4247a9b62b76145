// Goparked parks goroutines in known places, takes the runtime's own dump
// of every goroutine (runtime.Stack with all=true: the program's
// goroutines, without the runtime's own frames) and prints it, then
// calls probe, which a debugger breaks on to compare its list of
// goroutines with the dump: nothing the program made runs between the
// dump and the probe.
//
// Usage:
//
//	goparked [N]          N goroutines (default 1000, at least 20)
//
// Of the N: 4 in a blocking read system call (status syscall), 16 reading
// an os.Pipe (netpoll: "IO wait"), and the rest shared out in this order
// among a channel receive (30%, through the inlined recvOne), a select
// (20%), time.Sleep (20%), sync.Mutex.Lock (20%) and sync.WaitGroup.Wait.
//
// Output:
//
//	parked=N                  once every goroutine is where it parks
//	<the dump>                runtime.Stack's text
//	probe                     after the dump, before probe is called
//	done                      after probe returned
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

var (
	never   = make(chan int)
	never2  = make(chan int)
	mu      sync.Mutex
	wg      sync.WaitGroup
	pipes   []*os.File // read and write ends, kept so that no finalizer closes them
	sysPipe [2]int
)

// recvOne is small enough to be inlined into parkChan: its frame in a
// backtrace is an inlined one.
func recvOne(ch chan int) int {
	return <-ch // @recv-one
}

//go:noinline
func parkChan() int { return recvOne(never) + 1 }

// parkSelect's i lives on its stack across the select: the i-th goroutine
// in a select has i == k, for a debugger to read in its frame.
//
//go:noinline
func parkSelect(i int) int {
	select {
	case v := <-never:
		return v + i
	case v := <-never2:
		return v - i
	}
}

//go:noinline
func parkSleep() { time.Sleep(time.Hour) }

//go:noinline
func parkMutex() { mu.Lock() }

//go:noinline
func parkWaitGroup() { wg.Wait() }

// parkPoll reads a pipe of its own (readers of one file would queue on
// its lock, in "semacquire").
//
//go:noinline
func parkPoll(r *os.File) {
	var b [1]byte
	r.Read(b[:])
}

//go:noinline
func parkSyscall() {
	var b [1]byte
	syscall.Read(sysPipe[0], b[:])
}

// probe is where a debugger stops, with every goroutine where the dump
// printed it.
//
//go:noinline
func probe(n int) int {
	return n + 1 // @probe
}

var header = regexp.MustCompile(`(?m)^goroutine \d+ .*\[([^\],]+)`)

// counts returns how many goroutines the runtime's dump shows in each
// state (the wait reason of a waiting one).
func counts(buf []byte) map[string]int {
	n := runtime.Stack(buf, true)
	c := map[string]int{}
	for _, m := range header.FindAllSubmatch(buf[:n], -1) {
		c[string(m[1])]++
	}
	return c
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		var err error
		if n, err = strconv.Atoi(os.Args[1]); err != nil || n < 20 {
			fmt.Fprintln(os.Stderr, "usage: goparked [N>=20]")
			os.Exit(2)
		}
	}
	if err := syscall.Pipe(sysPipe[:]); err != nil {
		panic(err)
	}
	mu.Lock()
	wg.Add(1)
	want := map[string]int{"syscall": 4, "IO wait": 16}
	rest := n - 20
	shares := []struct {
		reason string
		n      int
		f      func(i int)
	}{
		{"chan receive", rest * 3 / 10, func(int) { parkChan() }},
		{"select", rest * 2 / 10, func(i int) { parkSelect(i) }},
		{"sleep", rest * 2 / 10, func(int) { parkSleep() }},
		{"sync.Mutex.Lock", rest * 2 / 10, func(int) { parkMutex() }},
		{"sync.WaitGroup.Wait", 0, func(int) { parkWaitGroup() }},
	}
	shares[4].n = rest - shares[0].n - shares[1].n - shares[2].n - shares[3].n
	for range 4 {
		go parkSyscall() // @go-syscall
	}
	for range 16 {
		r, w, err := os.Pipe()
		if err != nil {
			panic(err)
		}
		pipes = append(pipes, r, w)
		go parkPoll(r)
	}
	for _, s := range shares {
		want[s.reason] += s.n
		for i := range s.n {
			go s.f(i) // @go-share
		}
	}
	// Wait until the dump shows every goroutine parked where it should be.
	buf := make([]byte, 64<<20)
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := counts(buf)
		ok := true
		for r, k := range want {
			if c[r] < k {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goroutines not parked after 60s: have %v, want %v\n", c, want)
			os.Exit(1)
		}
		runtime.Gosched()
	}
	fmt.Printf("parked=%d\n", n)
	k := runtime.Stack(buf, true)
	os.Stdout.Write(bytes.TrimRight(buf[:k], "\n"))
	fmt.Println()
	fmt.Println("probe")
	probe(n)
	fmt.Println("done")
	os.Exit(0)
}
