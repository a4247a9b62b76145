package builtins

// The documentation of the names that package script and cmd/stardbg
// predeclare (argv, p, sleep, and the assert, json, time and math modules):
// they live here so that help(), `stardbg doc` and docs/reference.md have
// one source. TestDocCoversEverything fails when a predeclared name or a
// module member has no entry.

const argvDoc = `argv: list of string

The script's argument list, like Python's sys.argv: the script's path, then
the arguments after it on the command line. So

	stardbg run count.star ./prog -v

gives argv == ["count.star", "./prog", "-v"]. A module that load() loads
sees the argv of the script that runs; the REPL has none.`

const pDoc = `p: process

At the REPL of 'stardbg exec PROG' and 'stardbg attach PID', the process
being debugged. It is not predeclared in scripts (stardbg run, stardbg test)
nor in 'stardbg repl', which launch() or attach() their own processes.`

const sleepDoc = `sleep(seconds)

Pauses the script for seconds (an int, a float or a time.duration such as
2 * time.second). Ctrl-C or a --timeout interrupts it: it then fails with
"sleep: interrupted".`

// modules are the library modules every session predeclares.
var modules = []docGroup{
	{name: "assert", summary: `Checks for tests ('stardbg test' probes) and scripts. Each function fails
with an error that names it and shows the values with their repr:
"assert.eq: 3 != 4". msg, when given, comes before what was wrong.`,
		methodLabel: "Functions",
		methods: map[string]string{
			"eq":       "eq(a, b, msg=None)\n\nFails unless a == b.",
			"ne":       "ne(a, b, msg=None)\n\nFails if a == b.",
			"true":     "true(cond, msg=None)\n\nFails unless cond is true (a non-zero number, a non-empty string or\nlist, True...).",
			"contains": "contains(container, x, msg=None)\n\nFails unless x in container.",
			"fails": `fails(fn, pattern) -> string

Calls fn() and fails unless it fails with an error whose message matches the
regular expression pattern (Go syntax, searched, not anchored). Returns the
error message: assert.fails(lambda: p.peek(0, 1), "not mapped").`,
		}},
	{name: "json", summary: "JSON encoding and decoding (go.starlark.net/lib/json).",
		methodLabel: "Functions",
		methods: map[string]string{
			"encode": `encode(x) -> string

Encodes x as JSON: None, bools, ints (of any size), finite floats, strings,
dicts with string keys (objects), lists and tuples (arrays), and values with
fields (a struct, a frame, a maps() entry: objects of their fields).`,
			"encode_indent": `encode_indent(x, *, prefix="", indent="\t") -> string

json.indent(json.encode(x), prefix=prefix, indent=indent).`,
			"decode": `decode(x, default=?) -> value

Decodes the JSON string x: numbers become ints or floats (with a decimal
point), objects dicts, arrays lists. Invalid JSON fails, or returns default
when it is given.`,
			"indent": `indent(str, *, prefix="", indent="\t") -> string

Pretty-prints a valid JSON string, each new line starting with prefix and
indented by indent per level.`,
		}},
	{name: "time", summary: `Times and durations (go.starlark.net/lib/time). A time has the fields year,
month, day, hour, minute, second, nanosecond, unix and unix_nano, and the
methods format(layout) (Go's layouts) and in_location(name); a duration has
hours, minutes, seconds, milliseconds, microseconds and nanoseconds (floats
but the last). time - time is a duration; time + duration a time; durations
add, subtract, multiply by ints and divide. sleep() takes a duration.`,
		fieldLabel: "Constants", methodLabel: "Functions",
		fields: map[string]string{
			"nanosecond":  "nanosecond: the duration of one nanosecond.",
			"microsecond": "microsecond: the duration of one microsecond.",
			"millisecond": "millisecond: the duration of one millisecond.",
			"second":      "second: the duration of one second: 5 * time.second.",
			"minute":      "minute: the duration of one minute.",
			"hour":        "hour: the duration of one hour.",
		},
		methods: map[string]string{
			"now": "now() -> time\n\nThe current local time. time.now() - t0 is the time since t0.",
			"from_timestamp": `from_timestamp(sec, nsec=0) -> time

The time sec seconds (and nsec nanoseconds) after 1970-01-01 00:00:00 UTC.`,
			"is_valid_timezone": `is_valid_timezone(loc) -> bool

Whether loc names a time zone ("UTC", "Europe/Paris").`,
			"parse_duration": `parse_duration(d) -> duration

Parses a duration such as "1.5s", "300ms" or "2h45m" (Go's
time.ParseDuration).`,
			"parse_time": `parse_time(x, format="2006-01-02T15:04:05Z07:00", location="UTC") -> time

Parses the time x in Go's layout format (RFC 3339 by default), in the time
zone location when x has none.`,
			"time": `time(*, year, month, day, hour=0, minute=0, second=0, nanosecond=0, location="UTC")

Returns the time of that date and clock in the time zone location. The
arguments are keywords; values out of range are normalized as Go's time.Date
does (month=13 is January of the next year), so give at least year, month and
day: time.time(year=2024, month=3, day=1).`,
		}},
	{name: "math", summary: `Mathematical functions and constants (go.starlark.net/lib/math). Every
function takes ints and floats and returns a float, except ceil and floor,
which return ints.`,
		fieldLabel: "Constants", methodLabel: "Functions",
		fields: map[string]string{
			"e":  "e: the base of natural logarithms, 2.718281828459045.",
			"pi": "pi: the ratio of a circle's circumference to its diameter, 3.141592653589793.",
		},
		methods: map[string]string{
			"ceil":      "ceil(x) -> int\n\nThe smallest integer greater than or equal to x.",
			"floor":     "floor(x) -> int\n\nThe largest integer less than or equal to x.",
			"round":     "round(x) -> float\n\nThe nearest integer, rounding half away from zero.",
			"fabs":      "fabs(x) -> float\n\nThe absolute value of x.",
			"copysign":  "copysign(x, y) -> float\n\nThe magnitude of x with the sign of y.",
			"mod":       "mod(x, y) -> float\n\nThe remainder of x/y with the sign of x (C's fmod).",
			"remainder": "remainder(x, y) -> float\n\nThe IEEE 754 remainder of x/y.",
			"pow":       "pow(x, y) -> float\n\nx raised to the power y.",
			"exp":       "exp(x) -> float\n\ne raised to the power x.",
			"sqrt":      "sqrt(x) -> float\n\nThe square root of x.",
			"log":       "log(x, base=math.e) -> float\n\nThe logarithm of x in base (natural by default).",
			"gamma":     "gamma(x) -> float\n\nThe Gamma function of x.",
			"hypot":     "hypot(x, y) -> float\n\nsqrt(x*x + y*y), the length of the vector (x, y).",
			"degrees":   "degrees(x) -> float\n\nThe angle x, in radians, in degrees.",
			"radians":   "radians(x) -> float\n\nThe angle x, in degrees, in radians.",
			"sin":       "sin(x) -> float\n\nThe sine of x (radians).",
			"cos":       "cos(x) -> float\n\nThe cosine of x (radians).",
			"tan":       "tan(x) -> float\n\nThe tangent of x (radians).",
			"asin":      "asin(x) -> float\n\nThe arc sine of x, in radians.",
			"acos":      "acos(x) -> float\n\nThe arc cosine of x, in radians.",
			"atan":      "atan(x) -> float\n\nThe arc tangent of x, in radians.",
			"atan2":     "atan2(y, x) -> float\n\nThe angle of the point (x, y) from the X axis, in radians, in [-pi, pi].",
			"sinh":      "sinh(x) -> float\n\nThe hyperbolic sine of x.",
			"cosh":      "cosh(x) -> float\n\nThe hyperbolic cosine of x.",
			"tanh":      "tanh(x) -> float\n\nThe hyperbolic tangent of x.",
			"asinh":     "asinh(x) -> float\n\nThe inverse hyperbolic sine of x.",
			"acosh":     "acosh(x) -> float\n\nThe inverse hyperbolic cosine of x.",
			"atanh":     "atanh(x) -> float\n\nThe inverse hyperbolic tangent of x.",
		}},
}
