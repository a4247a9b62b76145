package builtins

import (
	"errors"
	"os"
	"os/exec"
	"strings"

	"go.starlark.net/starlark"

	"stardbg/core"
)

const launchDoc = `launch(argv, env=None, cwd=None, stdin=None, stdout=None, stderr=None, follow_forks=False)

Starts a program stopped before its first instruction. argv is a list of
strings (or one string: the program alone); argv[0] is looked up in PATH when
it has no slash. env=None inherits stardbg's environment; a dict replaces it.
Each of stdin, stdout and stderr is None (inherit), "null", a file path
(stdout and stderr are created or truncated), or "pipe": the script then
writes the program's input with p.write and reads its output with p.output
and p.expect; stderr="stdout" sends stderr into stdout's pipe or file.
Launching is one of the two ways a script reaches the system beyond its
target processes (attach is the other).
` + followForksDoc

const attachDoc = `attach(pid, follow_forks=False) -> process

Attaches to a running process and stops all of its threads. When the script
ends, the process is detached (with every breakpoint removed) and goes on.
follow_forks is launch's: the children it creates from now on are traced.`

// startError says a core *StartError once, as "launch: ./x: no such file or
// directory": the builtin is the operation, so the message does not repeat it.
// errors.As finds the *core.StartError (the CLI exits with 3 for it).
type startError struct {
	name string
	se   *core.StartError
}

func (e *startError) Error() string { return e.name + ": " + e.se.Target() + ": " + e.se.Err.Error() }
func (e *startError) Unwrap() error { return e.se }

// startErr is the error of a launch or attach that core refused.
func startErr(b *starlark.Builtin, err error) error {
	var se *core.StartError
	if errors.As(err, &se) {
		return &startError{name: b.Name(), se: se}
	}
	return wrapErr(b, err)
}

func launch(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var argvV, cwdV starlark.Value = nil, starlark.None
	var environ envArg
	var stdin, stdout, stderr stdioArg
	var follow bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "argv", &argvV, "env?", &environ, "cwd?", &cwdV,
		"stdin?", &stdin, "stdout?", &stdout, "stderr?", &stderr, "follow_forks?", &follow); err != nil {
		return nil, err
	}
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	argv, err := stringsArg(b, "argv", argvV)
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, errorf(b, "argv must name a program")
	}
	cfg := core.LaunchConfig{Path: argv[0], Args: argv, Env: environ}
	if cwdV != starlark.None {
		s, ok := starlark.AsString(cwdV)
		if !ok {
			return nil, errorf(b, "cwd must be a string or None, got %s", cwdV.Type())
		}
		cfg.Dir = s
	}
	if !strings.Contains(argv[0], "/") && cfg.Dir != "" {
		if lp, err := exec.LookPath(argv[0]); err == nil {
			cfg.Path = lp
		}
	}
	var pipes pipeEnds
	for _, s := range []struct {
		name  string
		arg   stdioArg
		write bool
		def   *os.File
		dst   **os.File
	}{
		{"stdin", stdin, false, env.Stdin, &cfg.Stdin},
		{"stdout", stdout, true, env.Stdout, &cfg.Stdout},
		{"stderr", stderr, true, env.Stderr, &cfg.Stderr},
	} {
		f, opened, err := s.arg.open(s.name, s.write, s.def, &pipes)
		if err != nil {
			pipes.launched(true)
			return nil, errorf(b, "%s: %v", s.name, err)
		}
		if opened {
			defer f.Close() // the child has its own copy
		}
		*s.dst = f
	}
	if stderr == "stdout" {
		cfg.Stderr = cfg.Stdout
		if pipes.s != nil {
			pipes.s.merged = pipes.s.out["stdout"] != nil
		}
	}
	cp, err := env.Engine.Launch(cfg)
	pipes.launched(err != nil)
	if err != nil {
		return nil, startErr(b, err)
	}
	cp.SetFollowForks(follow)
	p := env.wrap(cp)
	p.stdio = pipes.s
	return p, nil
}

func attach(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pid int
	var follow bool
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "pid", &pid, "follow_forks?", &follow); err != nil {
		return nil, err
	}
	env, err := controlEnv(thread, b)
	if err != nil {
		return nil, err
	}
	cp, err := env.Engine.Attach(pid)
	if err != nil {
		return nil, startErr(b, err)
	}
	cp.SetFollowForks(follow)
	return env.wrap(cp), nil
}

// stringsArg accepts a list or tuple of strings, or one string.
func stringsArg(b *starlark.Builtin, what string, v starlark.Value) ([]string, error) {
	if s, ok := v.(starlark.String); ok {
		return []string{string(s)}, nil
	}
	it, ok := v.(starlark.Iterable)
	if !ok {
		return nil, errorf(b, "%s must be a list of strings, got %s", what, v.Type())
	}
	var out []string
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		s, ok := starlark.AsString(x)
		if !ok {
			return nil, errorf(b, "%s must be a list of strings, got an element of type %s", what, x.Type())
		}
		out = append(out, s)
	}
	return out, nil
}
