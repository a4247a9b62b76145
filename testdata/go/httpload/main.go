// Httpload is a small HTTP server under load, in one program: it serves
// /price?name=N&qty=Q on a loopback port, where each request calls
// price(name, qty), and C client goroutines send R requests each, with the
// names apple, pear, fig and kiwi in turn and qty the request's number.
// When every answer is in, with the server and its idle connections still
// up, it calls report, then prints what it served.
//
// Usage:
//
//	httpload [C [R]]        C defaults to 8, R to 50
//
// Output:
//
//	requests=N total=T      N = C*R, T the sum of the prices answered
//	apple=A fig=F kiwi=K pear=P   requests by name
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
)

var names = []string{"apple", "pear", "fig", "kiwi"}

// price is what each request computes: a debugger can read its arguments
// by name.
//
//go:noinline
func price(name string, qty int) int {
	return len(name)*100 + qty // @price-body
}

// report is called once every answer is in.
//
//go:noinline
func report(requests, total int) int {
	return requests + total
}

func main() {
	clients, reqs := 8, 50
	if len(os.Args) > 1 {
		clients, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		reqs, _ = strconv.Atoi(os.Args[2])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/price", func(w http.ResponseWriter, r *http.Request) {
		qty, _ := strconv.Atoi(r.URL.Query().Get("qty"))
		fmt.Fprint(w, price(r.URL.Query().Get("name"), qty))
	})
	go http.Serve(ln, nil)

	url := "http://" + ln.Addr().String() + "/price"
	var mu sync.Mutex
	total, byName := 0, map[string]int{}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range reqs {
				name := names[(c+i)%len(names)]
				resp, err := http.Get(fmt.Sprintf("%s?name=%s&qty=%d", url, name, i))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				v, err := strconv.Atoi(string(body))
				if err != nil {
					fmt.Fprintf(os.Stderr, "bad answer %q\n", body)
					os.Exit(1)
				}
				mu.Lock()
				total += v
				byName[name]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	report(clients*reqs, total)
	fmt.Printf("requests=%d total=%d\n", clients*reqs, total)
	fmt.Printf("apple=%d fig=%d kiwi=%d pear=%d\n", byName["apple"], byName["fig"], byName["kiwi"], byName["pear"])
}
