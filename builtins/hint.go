package builtins

import (
	"fmt"
	"strings"

	"stardbg/core/sym"
)

// hint returns ` (did you mean "x"?)` for the closest candidate, or "".
func hint(name string, candidates []string) string {
	best, bestD := "", len(name)/2+2
	for _, c := range candidates {
		if d := sym.EditDistance(strings.ToLower(name), strings.ToLower(c), bestD); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
