module stardbg

go 1.26.0

require (
	go.starlark.net v0.0.0-20260908191801-89a6a09411d5
	golang.org/x/arch v0.33.0
	golang.org/x/sys v0.50.0
)
