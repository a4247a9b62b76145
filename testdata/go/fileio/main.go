// Fileio is the Go target of the system call tests: goroutines doing file
// I/O, with the Go runtime's raw system calls from many threads.
//
// Usage:
//
//	fileio io DIR G K     G goroutines each write, read back and remove K files in DIR
//	fileio read PATH      os.ReadFile(PATH), and what the error is
//
// Output:
//
//	files=G*K bytes=B     io: every file read back as written
//	type=T errno=N err=E  read: the error's Go type, its errno (0 if none) and text; or
//	read=N                read: the length read
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	if len(os.Args) == 5 && os.Args[1] == "io" {
		dir := os.Args[2]
		g, _ := strconv.Atoi(os.Args[3])
		k, _ := strconv.Atoi(os.Args[4])
		var wg sync.WaitGroup
		var mu sync.Mutex
		files, total := 0, 0
		for i := 0; i < g; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for j := 0; j < k; j++ {
					name := filepath.Join(dir, fmt.Sprintf("f%d_%d", i, j))
					data := []byte(fmt.Sprintf("goroutine %d file %d\n", i, j))
					if err := os.WriteFile(name, data, 0o644); err != nil {
						fmt.Println("error:", err)
						os.Exit(1)
					}
					back, err := os.ReadFile(name)
					if err != nil || string(back) != string(data) {
						fmt.Println("error: read back", err)
						os.Exit(1)
					}
					os.Remove(name)
					mu.Lock()
					files++
					total += len(back)
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		fmt.Printf("files=%d bytes=%d\n", files, total)
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "read" {
		b, err := os.ReadFile(os.Args[2])
		if err != nil {
			var errno syscall.Errno
			errors.As(err, &errno)
			fmt.Printf("type=%T errno=%d err=%v\n", err, int(errno), err)
			return
		}
		fmt.Printf("read=%d\n", len(b))
		return
	}
	fmt.Fprintln(os.Stderr, "usage: fileio io DIR G K | read PATH")
	os.Exit(2)
}
