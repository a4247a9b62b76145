package script

import (
	"fmt"
	"math"
	"time"

	starlarktime "go.starlark.net/lib/time"
	"go.starlark.net/starlark"
)

// sleep(seconds) pauses the script for seconds (an int, a float or a
// time.duration). It returns early, failing with "sleep: interrupted",
// when the execution is cancelled.
func sleep(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seconds starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "seconds", &seconds); err != nil {
		return nil, err
	}
	var d time.Duration
	switch x := seconds.(type) {
	case starlarktime.Duration:
		d = time.Duration(x)
	case starlark.Int, starlark.Float:
		f, _ := starlark.AsFloat(x)
		if f < 0 {
			return nil, fmt.Errorf("%s: negative duration %s", b.Name(), x)
		}
		if math.IsNaN(f) || f*1e9 >= math.MaxInt64 {
			return nil, fmt.Errorf("%s: invalid duration %s", b.Name(), x)
		}
		d = time.Duration(f * 1e9)
	default:
		return nil, fmt.Errorf("%s: for parameter seconds: got %s, want int, float or time.duration", b.Name(), seconds.Type())
	}
	if d < 0 {
		return nil, fmt.Errorf("%s: negative duration %s", b.Name(), seconds)
	}

	wake := make(chan struct{})
	defer OnCancel(thread, func() { close(wake) })()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return starlark.None, nil
	case <-wake:
		return nil, fmt.Errorf("%s: %w", b.Name(), Cancelled(thread))
	}
}
