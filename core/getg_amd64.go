package core

// getg returns the address of the calling goroutine's runtime g structure (the
// word the Go runtime keeps in thread-local storage, getg_amd64.s). It is the
// same for the whole life of a goroutine and differs between live goroutines,
// which is all Engine.OnTracer needs; a g can be reused after its goroutine ends.
func getg() uintptr
