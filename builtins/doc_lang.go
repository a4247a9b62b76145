package builtins

// langIntro introduces the builtins of the Starlark language in the
// reference.
const langIntro = `Scripts are Starlark, a dialect of Python
(https://github.com/google/starlark-go/blob/master/doc/spec.md), with while
loops, top-level if/for/while, global reassignment, recursion and sets
enabled. Its builtins are below; the methods of strings, bytes, lists and
dicts (s.split(), l.append(), d.get()...) are those of the spec.`

// langNames documents the builtins of the language (starlark.Universe),
// in stardbg's words: where print goes, what fail does to a run.
var langNames = map[string]string{
	"None":  "None: the value of nothing; a function without return returns it.",
	"True":  "True: the true bool.",
	"False": "False: the false bool.",
	"abs":   "abs(x) -> number\n\nThe absolute value of an int or a float.",
	"all":   "all(x) -> bool\n\nWhether every element of the iterable x is true.",
	"any":   "any(x) -> bool\n\nWhether some element of the iterable x is true.",
	"bool":  "bool(x=False) -> bool\n\nThe truth of x: False for None, 0, 0.0, empty strings and collections.",
	"bytes": "bytes(x) -> bytes\n\nThe UTF-8 bytes of a string, the bytes of an iterable of ints in [0, 256), or x itself if it is bytes.",
	"chr":   "chr(i) -> string\n\nThe string of the Unicode code point i: chr(65) == \"A\".",
	"dict":  "dict(pairs=[], **kwargs) -> dict\n\nA new dict from an iterable of (key, value) pairs, a dict, and keywords.",
	"dir": "dir(x) -> list of string\n\nThe names of the fields and methods of x, sorted: dir(p), dir(t.regs). " +
		"At the REPL, dir() with no argument lists the globals.",
	"enumerate": "enumerate(x, start=0) -> list of (int, value)\n\nThe elements of x with their indexes: " +
		"for i, f in enumerate(t.backtrace()).",
	"fail": "fail(*args, sep=\" \")\n\nStops the script with an error whose message is the args joined by sep, " +
		"with the Starlark backtrace: 'stardbg run' exits 1 and 'stardbg test' reports the test as failed. " +
		"Callbacks may call it too: the error stops the process and wait_stop raises it.",
	"float":   "float(x=0.0) -> float\n\nx as a float: an int, a float, a bool or a string (\"1.5\", \"inf\", \"nan\").",
	"getattr": "getattr(x, name, default=?) -> value\n\nThe field or method name of x; default if it has none.",
	"hasattr": "hasattr(x, name) -> bool\n\nWhether x has a field or method name.",
	"hash":    "hash(x) -> int\n\nThe hash of a string or bytes (Java's String.hashCode algorithm).",
	"int": "int(x=0, base=?) -> int\n\nx as an int of any size: an int, a float (truncated), a bool, or a string " +
		"in base (10, or given by a 0x, 0o or 0b prefix with base=0): int(\"7ffe\", 16).",
	"len":  "len(x) -> int\n\nThe number of elements of a string (bytes of its UTF-8), bytes, list, tuple, dict or set.",
	"list": "list(x=[]) -> list\n\nA new list of the elements of the iterable x.",
	"max":  "max(x, *args, key=None) -> value\n\nThe greatest element of the iterable x, or of the args.",
	"min":  "min(x, *args, key=None) -> value\n\nThe least element of the iterable x, or of the args.",
	"ord":  "ord(s) -> int\n\nThe code point of a one-character string, or the value of a one-byte bytes.",
	"print": "print(*args, sep=\" \")\n\nWrites the str() of args, joined by sep, and a newline to standard " +
		"output; 'stardbg test' keeps it and shows it under a failed test (and under every test with -v). " +
		"The targets' own output is not print's: it goes where launch() sent it.",
	"range":    "range(stop) or range(start, stop, step=1) -> range\n\nThe ints from start up to stop (excluded) by step.",
	"repr":     "repr(x) -> string\n\nx as Starlark source would write it: repr(\"a\") == '\"a\"'.",
	"reversed": "reversed(x) -> list\n\nThe elements of the iterable x in reverse order.",
	"set":      "set(x=[]) -> set\n\nA new set of the elements of the iterable x.",
	"sorted":   "sorted(x, key=None, reverse=False) -> list\n\nThe elements of the iterable x, sorted (by key(e) if given).",
	"str":      "str(x) -> string\n\nx as a string for people: a string itself, a frame as gdb prints it, other values as repr.",
	"tuple":    "tuple(x=()) -> tuple\n\nA new tuple of the elements of the iterable x.",
	"type":     "type(x) -> string\n\nThe name of x's type: \"int\", \"process\", \"thread\", \"frame\"...",
	"zip":      "zip(*args) -> list of tuple\n\nThe tuples of the i-th elements of each iterable, as long as the shortest.",
}
