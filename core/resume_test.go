package core

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"stardbg/internal/testtarget"
)

// A resume the kernel refuses names the request it made: a single-step is
// not reported as PTRACE_CONT.
func TestResumeErrorNamesRequest(t *testing.T) {
	e := newEngine(t)
	p := launch(t, e, testtarget.Build(t, "c/hotloop", testtarget.Default), "1")
	th := p.MainThread()
	for _, tc := range []struct {
		step bool
		want string
	}{
		{true, "ptrace(PTRACE_SINGLESTEP)"},
		{false, "ptrace(PTRACE_CONT)"},
	} {
		var err error
		e.Do(func() {
			th.pendingSig = unix.Signal(200) // no such signal: the kernel says EIO
			err = th.resume(tc.step)
		})
		if !errors.Is(err, unix.EIO) || !strings.HasPrefix(err.Error(), tc.want+": ") || th.State() != "stopped" {
			t.Errorf("resume(step=%v) with a bad signal: %v (thread %s), want %s: EIO and the thread still stopped", tc.step, err, th.State(), tc.want)
		}
	}
}
