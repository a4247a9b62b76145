package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

func versionCmd(args []string, std stdio) int {
	f := newFlags("version", "stardbg version", "Version prints the version of stardbg and of the Go toolchain that built it.")
	if code, done := f.parse(args, std); done {
		return code
	}
	if f.NArg() > 0 {
		return f.usageError(std.err, "unexpected arguments %q", f.Args())
	}
	fmt.Fprintf(std.out, "stardbg %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// version is the module version, with the VCS revision when the build
// recorded one: "(devel)", "v1.2.0", "(devel) 1a2b3c4d5e6f".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
