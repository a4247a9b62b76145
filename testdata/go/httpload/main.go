// Httpload is a small HTTP server under load, in one program: it serves
// GET /price?name=N&qty=Q on a loopback port, where each request calls
// price(name, qty), and C client goroutines send R requests each over one
// keep-alive connection, with the names apple, pear, fig and kiwi in turn
// and qty the request's number. When every answer is in, with the server
// and its connections still up, it calls report, then prints what it
// served. Its HTTP/1.1 is written here over package net, which is all it
// needs; net/http would bring in crypto (and its assembly) for nothing.
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
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
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

// serve answers the requests of one connection until the client closes it.
func serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		for { // the headers, up to the blank line
			h, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimSpace(h) == "" {
				break
			}
		}
		var target string
		fmt.Sscanf(line, "GET %s HTTP/1.1", &target)
		u, err := url.Parse(target)
		if err != nil || u.Path != "/price" {
			fmt.Fprint(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
			continue
		}
		qty, _ := strconv.Atoi(u.Query().Get("qty"))
		body := strconv.Itoa(price(u.Query().Get("name"), qty))
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
}

// get sends one request on a keep-alive connection and returns the body.
func get(conn net.Conn, r *bufio.Reader, target string) (string, error) {
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: httpload\r\n\r\n", target); err != nil {
		return "", err
	}
	status, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200 ") {
		return "", fmt.Errorf("status %q", strings.TrimSpace(status))
	}
	n := -1
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		h = strings.TrimSpace(h)
		if h == "" {
			break
		}
		if v, ok := strings.CutPrefix(h, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n < 0 {
		return "", fmt.Errorf("no Content-Length")
	}
	body := make([]byte, n)
	_, err = io.ReadFull(r, body)
	return string(body), err
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
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}()
	var mu sync.Mutex
	total, byName := 0, map[string]int{}
	var wg sync.WaitGroup
	var conns []net.Conn
	for c := range clients {
		wg.Add(1)
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		conns = append(conns, conn) // kept open until the end
		go func() {
			defer wg.Done()
			r := bufio.NewReader(conn)
			for i := range reqs {
				name := names[(c+i)%len(names)]
				body, err := get(conn, r, fmt.Sprintf("/price?name=%s&qty=%d", name, i))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				v, err := strconv.Atoi(body)
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
