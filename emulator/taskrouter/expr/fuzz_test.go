package expr

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse and Eval never panic, that errors are
// *SyntaxError pointing inside the source, and that String round-trips.
func FuzzParse(f *testing.F) {
	for _, v := range vectors(f) {
		f.Add(v.src)
	}
	for _, s := range []string{`skills HAS`, `first-name == 'x'`, `team == 'gold`, `a[x] == 1`,
		`(((a == 1)`, `a == 1 & b`, `a == 1.2.3`, `"'`, `[`, `a <-- 1`, `NOT NOT`} {
		f.Add(s)
	}
	fx := newFixtures(f)
	all := []*Vars{nil, fx.none, fx.a, fx.w, fx.t, fx.target, fx.workerList, fx.clock, fx.counters, fx.misc}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", src, err)
			}
			if se.Pos < 0 || se.Pos > len(src) {
				t.Fatalf("Parse(%q) error position %d outside source", src, se.Pos)
			}
			_ = se.Error()
			return
		}
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
		for _, v := range all {
			e.Eval(v)
		}
		e.References()
		if _, err := Parse(e.String()); err != nil {
			t.Fatalf("reparse of %q failed: %v", src, err)
		}
	})
}
