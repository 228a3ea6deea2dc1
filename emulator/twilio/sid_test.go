package twilio

import (
	"regexp"
	"strings"
	"testing"
)

// TestIsSIDMatchesPattern checks the hand-written IsSID against the pattern
// it replaced.
func TestIsSIDMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)
	hex := strings.Repeat("0123456789abcdefABCDEF", 2)[:32]
	cases := []string{"", "WT", "WTxyz", "WT" + hex, "wt" + hex, "W1" + hex, "WT" + hex + "\n", "WT" + hex[:31] + "g",
		"WT" + hex[:31], "WT" + hex + "0", "ÀT" + hex[:31], "WT" + hex[:31] + "G", "[T" + hex, "@T" + hex, "WT" + hex[:31] + "/",
		"WT" + hex[:31] + ":", "WT" + hex[:31] + "`"}
	for _, s := range cases {
		for _, p := range []string{"", "WT", "WR"} {
			want := re.MatchString(s) && (p == "" || s[:2] == p)
			if got := IsSID(s, p); got != want {
				t.Errorf("IsSID(%q, %q) = %v, want %v", s, p, got, want)
			}
		}
	}
	for _, p := range []string{"WT", "CH", "X"} {
		if s := NewSID(p); !strings.HasPrefix(s, p) || len(s) != len(p)+32 || !re.MatchString("AA"+s[len(p):]) {
			t.Errorf("NewSID(%q) = %q", p, s)
		}
	}
}

// TestNewSIDUnique mints SIDs across several refills of the random pool.
func TestNewSIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 3*4096/16+7; i++ {
		s := NewSID("WT")
		if !IsSID(s, "WT") || seen[s] {
			t.Fatalf("NewSID #%d = %q (valid %v, repeated %v)", i, s, IsSID(s, "WT"), seen[s])
		}
		seen[s] = true
	}
}
