package builtins

import (
	"os"
	"slices"
	"testing"

	"go.starlark.net/starlark"
	"golang.org/x/sys/unix"
)

func TestSignalArg(t *testing.T) {
	for _, tc := range []struct {
		v    starlark.Value
		want unix.Signal
		err  string
	}{
		{starlark.String("SIGUSR1"), unix.SIGUSR1, ""},
		{starlark.String("usr1"), unix.SIGUSR1, ""},
		{starlark.String("9"), unix.SIGKILL, ""},
		{starlark.MakeInt(64), unix.Signal(64), ""},
		{starlark.String("SIGNOPE"), 0, `unknown signal "SIGNOPE"`},
		{starlark.MakeInt(0), 0, "signal number 0 is out of range [1, 64]"},
		{starlark.MakeInt(65), 0, "signal number 65 is out of range [1, 64]"},
		{starlark.Float(1.5), 0, "got float, want a signal name or number"},
	} {
		var s signalArg
		err := s.Unpack(tc.v)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%v: %v, want error %q", tc.v, err, tc.err)
			}
			continue
		}
		if err != nil || unix.Signal(s) != tc.want {
			t.Errorf("%v: %v %v, want %v", tc.v, unix.Signal(s), err, tc.want)
		}
	}
}

func TestEnvArg(t *testing.T) {
	var e envArg
	if err := e.Unpack(starlark.None); err != nil || e != nil {
		t.Errorf("None: %q %v, want nil (inherit)", e, err)
	}
	if err := e.Unpack(starlark.NewDict(0)); err != nil || e == nil || len(e) != 0 {
		t.Errorf("{}: %q %v, want an empty, non-nil environment", e, err)
	}
	d := starlark.NewDict(2)
	d.SetKey(starlark.String("B"), starlark.String("2"))
	d.SetKey(starlark.String("A"), starlark.String("x=y"))
	if err := e.Unpack(d); err != nil || !slices.Equal(e, []string{"A=x=y", "B=2"}) {
		t.Errorf("%v: %q %v", d, e, err)
	}
	d.SetKey(starlark.String("C"), starlark.MakeInt(1))
	if err := e.Unpack(d); err == nil || err.Error() != "keys and values must be strings, got string: int" {
		t.Errorf("%v: %v", d, err)
	}
	if err := e.Unpack(starlark.NewList(nil)); err == nil || err.Error() != "got list, want dict or None" {
		t.Errorf("[]: %v", err)
	}
}

func TestStdioArg(t *testing.T) {
	for _, tc := range []struct {
		v    starlark.Value
		want stdioArg
		err  string
	}{
		{starlark.None, "", ""},
		{starlark.String("null"), stdioArg(os.DevNull), ""},
		{starlark.String("out.txt"), "out.txt", ""},
		{starlark.MakeInt(3), "", `got int, want None, "null", "pipe" or a file path`},
	} {
		var s stdioArg
		err := s.Unpack(tc.v)
		if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err || s != tc.want {
			t.Errorf("%v: %q %v, want %q %q", tc.v, s, err, tc.want, tc.err)
		}
	}
	f, opened, err := stdioArg("").open("stderr", true, os.Stderr, nil)
	if f != os.Stderr || opened || err != nil {
		t.Errorf("an inherited stream: %v %v %v, want stardbg's own", f, opened, err)
	}
}
