package conversations

import (
	"regexp"
	"testing"
)

// TestAddressCheckersMatchPatterns checks isE164 and isShortCode against the
// patterns they replaced.
func TestAddressCheckersMatchPatterns(t *testing.T) {
	e164 := regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	short := regexp.MustCompile(`^[0-9]{3,8}$`)
	cases := []string{"", "+", "+1", "+12", "+0123", "+15551234567", "+123456789012345", "+1234567890123456", "15551234567",
		"+1555123456a", "+1 555", "++1555", "12", "123", "12345678", "123456789", "12a", "+15551234567\n", "١٢٣", "+١٢٣"}
	for _, s := range cases {
		if got, want := isE164(s), e164.MatchString(s); got != want {
			t.Errorf("isE164(%q) = %v, want %v", s, got, want)
		}
		if got, want := isShortCode(s), short.MatchString(s); got != want {
			t.Errorf("isShortCode(%q) = %v, want %v", s, got, want)
		}
	}
}
