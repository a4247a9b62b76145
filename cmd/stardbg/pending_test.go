package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"stardbg/internal/testtarget"
)

// TestPendingWarning checks that stardbg run and stardbg test warn on stderr
// about a breakpoint still pending when its process ended (it never fired,
// so a probe that checks that no call happened tested nothing), with its
// location, and not about one that landed.
func TestPendingWarning(t *testing.T) {
	dlopener := testtarget.Build(t, "c/dlopener", testtarget.Default)
	body := `
    p = launch([argv[1] if len(argv) > 1 else DLOPENER, "", "1"], stdout="null")
    never = p.break_at("libnothing:nothing_fn", pending=True)
    landed = p.break_at("libplugin:plugin_fn", pending=True, on_hit=lambda t, bp: None)
    assert.eq(p.run().kind, "exited")
    assert.eq(landed.hits, 2)
    print("pid", p.pid)
`
	warning := `(?m)^stardbg: warning: breakpoint 1 at libnothing:nothing_fn \(pending\) never fired: it was still pending when process \d+ ended \(exited\)$`

	script := writeFile(t, "pending.star", "DLOPENER = None\ndef main():"+body+"main()\n")
	r := stardbg(t, nil, "run", script, dlopener)
	if r.code != exitOK {
		t.Fatalf("stardbg run: %v", r)
	}
	if !regexp.MustCompile(warning).MatchString(r.stderr) || strings.Count(r.stderr, "warning") != 1 {
		t.Errorf("stardbg run: stderr does not hold one warning matching %q\n%v", warning, r)
	}

	probe := writeFile(t, "pending_test.star", "DLOPENER = "+strconvQuote(dlopener)+"\ndef test_pending():"+body)
	r = stardbg(t, nil, "test", probe)
	if r.code != exitOK || !strings.HasSuffix(r.stdout, "1 passed, 0 failed\n") {
		t.Fatalf("stardbg test %s: %v", filepath.Base(probe), r)
	}
	if !regexp.MustCompile(warning).MatchString(r.stderr) || strings.Count(r.stderr, "warning") != 1 {
		t.Errorf("stardbg test: stderr does not hold one warning matching %q\n%v", warning, r)
	}
}

func strconvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
