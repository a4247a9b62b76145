package builtins

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"go.starlark.net/starlark"

	"stardbg/core"
)

// stdio is what stardbg holds of a launched program's piped standard
// streams: the feeding of its stdin, the captures of its stdout and stderr,
// and how much of each capture expect has consumed.
type stdio struct {
	in       *core.Input
	out      map[string]*core.Output // "stdout", "stderr"
	merged   bool                    // stderr="stdout": stderr goes to stdout's pipe
	consumed map[string]int
}

// eofWait bounds how long reading the output of a process that has ended
// waits for the pipe to be drained (a child of the program may hold it open).
const eofWait = 5 * time.Second

// pipeEnds makes the pipes of the streams launched with "pipe" (stderr
// "stdout" shares stdout's): the child's ends go into cfg, and the
// returned stdio owns stardbg's ends once start has been called.
type pipeEnds struct {
	s     *stdio
	child []*os.File // closed after the launch: the program has its copies
	ours  []*os.File // closed if the launch fails
}

func (pe *pipeEnds) pipe() (r, w *os.File, err error) {
	if pe.s == nil {
		pe.s = &stdio{out: map[string]*core.Output{}, consumed: map[string]int{}}
	}
	r, w, err = os.Pipe()
	return r, w, err
}

// input makes stdin's pipe; the child reads r.
func (pe *pipeEnds) input() (*os.File, error) {
	r, w, err := pe.pipe()
	if err != nil {
		return nil, err
	}
	pe.child, pe.ours = append(pe.child, r), append(pe.ours, w)
	pe.s.in = core.NewInput(w)
	return r, nil
}

// output makes the pipe of an output stream; the child writes w.
func (pe *pipeEnds) output(name string) (*os.File, error) {
	r, w, err := pe.pipe()
	if err != nil {
		return nil, err
	}
	pe.child, pe.ours = append(pe.child, w), append(pe.ours, r)
	pe.s.out[name] = core.NewOutput(r)
	return w, nil
}

// launched closes the child's ends once the program has its copies, so
// that the captures see end-of-file when it exits; failed closes ours too.
func (pe *pipeEnds) launched(failed bool) {
	for _, f := range pe.child {
		f.Close()
	}
	if failed && pe.s != nil {
		pe.s.close()
	}
}

// close lets go of the pipes; the captures stay readable.
func (s *stdio) close() {
	if s == nil {
		return
	}
	if s.in != nil {
		s.in.Abort()
	}
	for _, o := range s.out {
		o.Close()
	}
}

// ended lets go of the input of a process that has ended and that the
// env forgets; its captures end by themselves, at the end of the pipes,
// and stay readable.
func (s *stdio) ended() {
	if s != nil && s.in != nil {
		s.in.Abort()
	}
}

// output returns the capture of stream, or an error that says why there
// is none.
func (p *Process) output(b *starlark.Builtin, stream string) (*core.Output, error) {
	if stream != "stdout" && stream != "stderr" {
		return nil, errorf(b, "stream must be \"stdout\" or \"stderr\", got %q", stream)
	}
	if p.stdio != nil && stream == "stderr" && p.stdio.merged {
		return nil, errorf(b, "stderr of process %d goes to its stdout (stderr=\"stdout\"): read stream=\"stdout\"", p.p.Pid())
	}
	if p.stdio == nil || p.stdio.out[stream] == nil {
		return nil, errorf(b, "%s of process %d is not a pipe (launch it with %s=\"pipe\")", stream, p.p.Pid(), stream)
	}
	o := p.stdio.out[stream]
	if p.ended() {
		o.WaitEOF(eofWait) // what it wrote before it ended
	}
	return o, nil
}

// endedWhy says how the process ended, for errors.
func (p *Process) endedWhy() string {
	if c, ok := p.p.ExitCode(); ok {
		return fmt.Sprintf("process %d exited with status %d", p.p.Pid(), c)
	}
	if s, ok := p.p.ExitSignal(); ok {
		return fmt.Sprintf("process %d was killed by %s", p.p.Pid(), core.SignalName(s))
	}
	return fmt.Sprintf("process %d is %s", p.p.Pid(), p.p.State())
}

func (p *Process) ended() bool {
	switch p.p.State() {
	case core.Exited, core.Killed, core.Detached:
		return true
	}
	return false
}

const outputDoc = `output(stream="stdout") -> str

Everything the program has written so far to stream ("stdout" or "stderr"),
which it was launched with as "pipe". stardbg drains the pipe continuously, so
the program never blocks on it, even while it is stopped; once the program has
ended, this is all it wrote. Bytes that are not UTF-8 stay as they are in the
string; output_bytes gives bytes.`

const outputBytesDoc = `output_bytes(stream="stdout") -> bytes

output(), as bytes.`

func processOutput(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	stream := "stdout"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "stream?", &stream); err != nil {
		return nil, err
	}
	o, err := recv[*Process](b).output(b, stream)
	if err != nil {
		return nil, err
	}
	if b.Name() == "output_bytes" {
		return starlark.Bytes(o.Bytes()), nil
	}
	return starlark.String(o.Bytes()), nil
}

const writeDoc = `write(data)

Writes data (str or bytes) to the program's standard input, which it was
launched with as stdin="pipe". The write is queued and never blocks the
script: the program reads it when it reads its input.`

func processWrite(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	var bs []byte
	switch d := data.(type) {
	case starlark.String:
		bs = []byte(d)
	case starlark.Bytes:
		bs = []byte(d)
	default:
		return nil, errorf(b, "data must be str or bytes, got %s", data.Type())
	}
	in, err := recv[*Process](b).input(b)
	if err != nil {
		return nil, err
	}
	return starlark.None, inputErr(b, recv[*Process](b), in.Write(bs))
}

const closeStdinDoc = `close_stdin()

Closes the program's standard input (stdin="pipe") once what was written is
read: the program then reads end-of-file.`

func processCloseStdin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	in, err := recv[*Process](b).input(b)
	if err != nil {
		return nil, err
	}
	return starlark.None, inputErr(b, recv[*Process](b), in.Close())
}

func (p *Process) input(b *starlark.Builtin) (*core.Input, error) {
	if p.stdio == nil || p.stdio.in == nil {
		return nil, errorf(b, "stdin of process %d is not a pipe (launch it with stdin=\"pipe\")", p.p.Pid())
	}
	return p.stdio.in, nil
}

func inputErr(b *starlark.Builtin, p *Process, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, core.ErrInputClosed):
		return errorf(b, "stdin of process %d is closed already", p.p.Pid())
	}
	return errorf(b, "stdin of process %d: the program no longer reads it (%v)", p.p.Pid(), err)
}

const expectDoc = `expect(pattern, timeout=10, stream="stdout") -> list

Waits until the regular expression pattern (Go's RE2 syntax) matches output of
stream (launched as "pipe") that no earlier expect consumed, and returns the
match as a list: the whole match, then each group (None for a group that did
not take part). The match consumes the output up to its end. A stopped process
is resumed, and the program runs while expect waits: breakpoints fire and
their callbacks run. When the output matches, the process is stopped, as
wait_stop leaves it (if it matched already, expect returns at once and the
process stays as it was; if the program ended meanwhile, it has ended:
p.state says which). expect fails, with the output it has seen, when the
timeout in seconds passes (the process is then stopped), when the process
stops for another reason (a callback returning True, a signal: that stop is
where the process stays), or when it ends without writing a match. The
pattern is searched for in all the unconsumed output each time more comes
(what came meanwhile at once): on megabytes of output that never match, the
searches take time, though the program never waits for them.`

func processExpect(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern string
	timeout := timeoutArg{10 * time.Second}
	stream := "stdout"
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pattern", &pattern, "timeout?", &timeout, "stream?", &stream); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, errorf(b, "bad pattern %q: %v", pattern, err)
	}
	if timeout.d == 0 {
		return nil, errorf(b, "timeout must be a positive number of seconds, got None")
	}
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	p := recv[*Process](b)
	o, err := p.output(b, stream)
	if err != nil {
		return nil, err
	}
	e := &expectation{p: p, o: o, re: re, stream: stream}
	if m := e.match(); m != nil {
		return m, nil
	}
	if p.ended() {
		return nil, e.fail(b, p.endedWhy())
	}
	return e.run(thread, b, env, timeout.d)
}

// An expectation is one call of expect.
type expectation struct {
	p      *Process
	o      *core.Output
	re     *regexp.Regexp
	stream string
}

// match looks for the pattern in the unconsumed output; on a match it
// consumes it and returns [whole, groups...].
func (e *expectation) match() starlark.Value {
	from := e.p.stdio.consumed[e.stream]
	buf := e.o.Snapshot()[from:]
	loc := e.re.FindSubmatchIndex(buf)
	if loc == nil {
		return nil
	}
	vs := make([]starlark.Value, len(loc)/2)
	for i := range vs {
		if loc[2*i] < 0 {
			vs[i] = starlark.None
		} else {
			vs[i] = starlark.String(buf[loc[2*i]:loc[2*i+1]])
		}
	}
	e.p.stdio.consumed[e.stream] = from + loc[1]
	return starlark.NewList(vs)
}

// run lets the program run until its output matches, as the doc says.
func (e *expectation) run(thread *starlark.Thread, b *starlark.Builtin, env *Env, d time.Duration) (starlark.Value, error) {
	p := e.p
	if p.p.State() == core.Stopped {
		if err := p.p.Continue(); err != nil {
			return nil, wrapErr(b, err)
		}
	}
	stop := e.watch()
	ev, err := p.waitCore(thread, b, d)
	stop()
	if err != nil {
		return nil, err
	}
	if _, err := p.reported(env, ev); err != nil { // callback errors, the exit handler
		return nil, err
	}
	ended := ev.Kind == core.EventExited || ev.Kind == core.EventKilled
	if ended {
		e.o.WaitEOF(eofWait)
	}
	why := "the process stopped first: " + p.event(ev).String()
	if ended {
		why = p.endedWhy()
	}
	switch {
	case ev.Kind == core.EventTimeout:
		why = "timed out after " + strconv.FormatFloat(d.Seconds(), 'g', -1, 64) + "s"
		fallthrough
	case ev.Kind == core.EventStopped, ended:
		if m := e.match(); m != nil {
			return m, nil
		}
	}
	return nil, e.fail(b, why)
}

// watch starts a goroutine that stops the process when the unconsumed
// output matches, which wakes the engine's Wait. It searches again each
// time more output has come, all that came meanwhile at once, and never
// holds up the goroutine that drains the pipe: the program never waits
// for a search. Once the returned function has returned, the watch stops
// nothing more (a search under way finishes in the background).
func (e *expectation) watch() (stop func()) {
	from := e.p.stdio.consumed[e.stream]
	var mu sync.Mutex
	active, quit := true, make(chan struct{})
	matched := func() bool {
		if !e.re.Match(e.o.Snapshot()[from:]) {
			return false
		}
		mu.Lock()
		if active {
			e.p.p.Stop()
		}
		mu.Unlock()
		return true
	}
	go func() {
		for !matched() {
			select {
			case <-e.o.More():
			case <-e.o.Done():
				matched() // what came last
				return
			case <-quit:
				return
			}
		}
	}()
	return func() {
		mu.Lock()
		active = false
		mu.Unlock()
		close(quit)
	}
}

// maxSeen is how much of the unconsumed output an error of expect shows:
// its end.
const maxSeen = 2048

func (e *expectation) fail(b *starlark.Builtin, why string) error {
	seen := e.o.Snapshot()[e.p.stdio.consumed[e.stream]:]
	more := ""
	if len(seen) > maxSeen {
		more = fmt.Sprintf(" (its last %d of %d bytes)", maxSeen, len(seen))
		seen = seen[len(seen)-maxSeen:]
	}
	return errorf(b, "%s before %s matched %q; the unconsumed %s%s: %q", why, e.stream, e.re.String(), e.stream, more, seen)
}
