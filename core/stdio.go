package core

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// An Output captures what a program writes to a pipe. A goroutine drains the
// pipe into memory as fast as the program writes, whatever the state of the
// program or of the tracer thread, so the program never blocks on a full
// pipe, not even while it is stopped for long. Everything is kept (the
// limit is memory). The methods may be called from any goroutine.
type Output struct {
	r    *os.File
	mu   sync.Mutex
	buf  []byte        // only ever appended to: a prefix of it never changes
	err  error         // the read error that ended the capture, other than EOF
	done chan struct{} // closed when the pipe is drained to its end
	more chan struct{} // signalled (without blocking) after each read
}

// outputChunk is the most one read takes: a pipe holds 64 KiB by default.
const outputChunk = 256 << 10

// NewOutput starts draining r, the read end of a pipe; the Output owns it.
func NewOutput(r *os.File) *Output {
	o := &Output{r: r, done: make(chan struct{}), more: make(chan struct{}, 1)}
	go o.drain()
	return o
}

func (o *Output) drain() {
	defer close(o.done)
	chunk := make([]byte, outputChunk)
	for {
		n, err := o.r.Read(chunk)
		o.mu.Lock()
		o.buf = append(o.buf, chunk[:n]...)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
			o.err = err
		}
		o.mu.Unlock()
		if n > 0 {
			select {
			case o.more <- struct{}{}:
			default: // signalled already
			}
		}
		if err != nil {
			return
		}
	}
}

// Bytes returns a copy of everything captured so far.
func (o *Output) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]byte(nil), o.buf...)
}

// Snapshot returns what was captured so far, without copying it: the
// caller must not modify it. It stays valid, and unchanged, while more
// output arrives.
func (o *Output) Snapshot() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf[:len(o.buf):len(o.buf)]
}

// More is signalled each time more output has arrived since it was last
// received (several arrivals may make one signal); it is for one receiver.
func (o *Output) More() <-chan struct{} { return o.more }

// Done is closed once every writer has closed the pipe and all it held is
// captured (or Close was called).
func (o *Output) Done() <-chan struct{} { return o.done }

// WaitEOF waits until every writer has closed the pipe and all it held is
// captured, or timeout passes; it reports which.
func (o *Output) WaitEOF(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-o.done:
		return true
	case <-t.C:
		return false
	}
}

// Err is the read error that ended the capture early, if any.
func (o *Output) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Close stops the capture and closes the pipe; what was captured stays
// readable.
func (o *Output) Close() error {
	err := o.r.Close()
	<-o.done
	return err
}

// ErrInputClosed says that a program's standard input was closed already.
var ErrInputClosed = errors.New("standard input is closed")

// An Input feeds a program's standard input through a pipe. Writes are
// queued and written by a goroutine, so that a program that does not read
// (or is stopped) never blocks the caller. What the program has not read
// when it exits is dropped. The methods may be called from any goroutine.
type Input struct {
	w      *os.File
	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	closed bool // Close was called: no more writes
	done   chan struct{}
	err    error // the write error that ended the feeding (EPIPE: the program closed its end)
}

// NewInput starts feeding w, the write end of a pipe; the Input owns it.
func NewInput(w *os.File) *Input {
	in := &Input{w: w, done: make(chan struct{})}
	in.cond = sync.NewCond(&in.mu)
	go in.feed()
	return in
}

func (in *Input) feed() {
	defer close(in.done)
	defer in.w.Close()
	for {
		in.mu.Lock()
		for len(in.queue) == 0 && !in.closed {
			in.cond.Wait()
		}
		if len(in.queue) == 0 {
			in.mu.Unlock()
			return
		}
		b := in.queue[0]
		in.queue = in.queue[1:]
		in.mu.Unlock()
		if _, err := in.w.Write(b); err != nil {
			in.mu.Lock()
			in.err, in.queue, in.closed = err, nil, true
			in.mu.Unlock()
			return
		}
	}
}

// Write queues b for the program's standard input.
func (in *Input) Write(b []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		if in.err != nil {
			return in.err
		}
		return ErrInputClosed
	}
	in.queue = append(in.queue, append([]byte(nil), b...))
	in.cond.Signal()
	return nil
}

// Close closes the program's standard input once what is queued is
// written: the program then reads end-of-file.
func (in *Input) Close() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed && in.err == nil {
		return ErrInputClosed
	}
	in.closed = true
	in.cond.Signal()
	return nil
}

// Abort drops what is queued and closes the pipe at once, even while a
// write is blocked on a program that does not read.
func (in *Input) Abort() {
	in.mu.Lock()
	in.closed, in.queue = true, nil
	in.cond.Signal()
	in.mu.Unlock()
	in.w.Close()
	<-in.done
}
