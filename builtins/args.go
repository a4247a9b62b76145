package builtins

import (
	"fmt"
	"os"
	"sort"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"

	"stardbg/core"
)

// The argument types of several builtins, as starlark.Unpackers: UnpackArgs
// converts them and names the parameter in the error
// ("send_signal: for parameter name: unknown signal \"SIGNOPE\"").

// signalArg is a signal: a name ("SIGUSR1", "usr1") or a number in [1, 64].
type signalArg unix.Signal

func (s *signalArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.String:
		sig, err := core.ParseSignal(string(v))
		if err != nil {
			return err
		}
		*s = signalArg(sig)
		return nil
	case starlark.Int:
		n, ok := v.Int64()
		if !ok || n < 1 || n > 64 {
			return fmt.Errorf("signal number %v is out of range [1, 64]", v)
		}
		*s = signalArg(n)
		return nil
	}
	return fmt.Errorf("got %s, want a signal name or number", v.Type())
}

// envArg is a program's environment: None (nil: stardbg's own) or a dict of
// strings, as "KEY=value" entries sorted by key.
type envArg []string

func (e *envArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*e = nil
		return nil
	}
	d, ok := v.(*starlark.Dict)
	if !ok {
		return fmt.Errorf("got %s, want dict or None", v.Type())
	}
	env := make([]string, 0, d.Len())
	for _, kv := range d.Items() {
		k, kok := starlark.AsString(kv[0])
		val, vok := starlark.AsString(kv[1])
		if !kok || !vok {
			return fmt.Errorf("keys and values must be strings, got %s: %s", kv[0].Type(), kv[1].Type())
		}
		env = append(env, k+"="+val)
	}
	sort.Strings(env)
	*e = env
	return nil
}

// stdioArg is where a standard stream of a launched program goes: None
// ("": inherit), "null" (the null device), "pipe", "stdout" (for stderr) or
// a file path.
type stdioArg string

func (s *stdioArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*s = ""
		return nil
	}
	path, ok := starlark.AsString(v)
	if !ok {
		return fmt.Errorf("got %s, want None, \"null\", \"pipe\" or a file path", v.Type())
	}
	if path == "null" {
		path = os.DevNull
	}
	*s = stdioArg(path)
	return nil
}

// open opens the file of stream name's s: for reading (stdin), or created
// or truncated for writing; "pipe" makes a pipe in pipes, "stdout" is left
// to the caller (nil). It returns def when s inherits, and then opened is
// false.
func (s stdioArg) open(name string, write bool, def *os.File, pipes *pipeEnds) (f *os.File, opened bool, err error) {
	switch {
	case s == "":
		return def, false, nil
	case s == "pipe" && !write:
		f, err = pipes.input()
		return f, false, err
	case s == "pipe":
		f, err = pipes.output(name)
		return f, false, err
	case s == "stdout":
		if name != "stderr" {
			return nil, false, fmt.Errorf("only stderr may be \"stdout\"")
		}
		return nil, false, nil
	case write:
		f, err = os.OpenFile(string(s), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	default:
		f, err = os.Open(string(s))
	}
	return f, err == nil, err
}

// locationArg is the location spec of a where argument: a location string
// as it is, or an int address in hex (break_at's forms, for tracepoint and
// disasm).
func locationArg(b *starlark.Builtin, where starlark.Value) (string, error) {
	switch w := where.(type) {
	case starlark.String:
		return string(w), nil
	case starlark.Int:
		addr, err := uint64Arg(b, "address", w)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%#x", addr), nil
	}
	return "", errorf(b, "where must be an address (int) or a location (string), got %s", where.Type())
}
