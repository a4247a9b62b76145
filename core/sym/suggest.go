package sym

import (
	"sort"
	"strings"
)

// maxSuggestions bounds the names a NotFoundError lists.
const maxSuggestions = 4

// suggest returns the names closest to query: those within a small edit
// distance of the name or of its last component ("worker" for
// "main.worker"), then those containing query, best first.
func suggest(query string, names func(yield func(string) bool)) []string {
	if query == "" {
		return nil
	}
	limit := len(query) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
	type cand struct {
		name  string
		score int
	}
	seen := map[string]bool{}
	var cands []cand
	lq := strings.ToLower(query)
	names(func(name string) bool {
		if name == "" || seen[name] {
			return true
		}
		d := EditDistance(query, name, limit)
		if short := lastComponent(name); short != name {
			if ds := EditDistance(query, short, limit); ds < d {
				d = ds
			}
		}
		score := -1
		switch {
		case d <= limit:
			score = d
		case len(query) >= 3 && strings.Contains(strings.ToLower(name), lq):
			score = limit + 1 + len(name) - len(query)
		}
		if score >= 0 {
			seen[name] = true
			cands = append(cands, cand{name, score})
		}
		return true
	})
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score < cands[j].score
		}
		return cands[i].name < cands[j].name
	})
	var out []string
	for _, c := range cands {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// lastComponent returns the part of a qualified name after its last '.',
// '/' or "::".
func lastComponent(name string) string {
	i := strings.LastIndexAny(name, "./:")
	if i < 0 || i == len(name)-1 {
		return name
	}
	return name[i+1:]
}

// EditDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), or
// limit+1 when it exceeds limit.
func EditDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}
