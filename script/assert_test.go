package script

import "testing"

func TestAssert(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string // "" if the assertion holds
	}{
		{`assert.eq(1, 1)`, ""},
		{`assert.eq([1, "a"], [1, "a"])`, ""},
		{`assert.eq(3, 4)`, `assert.eq: 3 != 4`},
		{`assert.eq("a", "b")`, `assert.eq: "a" != "b"`},
		{`assert.eq("a", "b", msg="names")`, `assert.eq: names: "a" != "b"`},
		{`assert.eq(1, 1.5, None)`, `assert.eq: 1 != 1.5`},
		{`assert.eq(1)`, `assert.eq: missing argument for b`},
		{`assert.ne(3, 4)`, ""},
		{`assert.ne(3, 3)`, `assert.ne: 3 == 3`},
		{`assert.ne((1,), (1,), "tuples")`, `assert.ne: tuples: (1,) == (1,)`},
		{`assert.true(1)`, ""},
		{`assert.true("x")`, ""},
		{`assert.true(0)`, `assert.true: 0 is not true`},
		{`assert.true([], "empty list")`, `assert.true: empty list: [] is not true`},
		{`assert.contains([1, 2], 2)`, ""},
		{`assert.contains("abc", "bc")`, ""},
		{`assert.contains({"a": 1}, "a")`, ""},
		{`assert.contains([1, 2], 3)`, `assert.contains: [1, 2] does not contain 3`},
		{`assert.contains({"a": 1}, "b", "keys")`, `assert.contains: keys: {"a": 1} does not contain "b"`},
		{`assert.contains(1, 2)`, `assert.contains: unknown binary op: int in int`},
		{`assert.fails(lambda: 1 // 0, "division by zero")`, ""},
		{`assert.eq(assert.fails(lambda: fail("boom"), "bo+m"), "fail: boom")`, ""},
		{`assert.fails(lambda: None, "x")`, `assert.fails: lambda() did not fail (want an error matching "x")`},
		{`assert.fails(lambda: fail("boom"), "^bang")`, `assert.fails: error "fail: boom" does not match "^bang"`},
		{`assert.fails(lambda: None, "(")`, "assert.fails: invalid pattern: error parsing regexp: missing closing ): `(`"},
		{`assert.fails(1, "x")`, `assert.fails: for parameter fn: got int, want callable`},
	}
	for _, test := range tests {
		t.Run(test.src, func(t *testing.T) {
			s := NewSession(Options{})
			_, err := s.ExecFile("assert.star", test.src)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != test.wantErr {
				t.Errorf("error = %q, want %q", got, test.wantErr)
			}
		})
	}
}
