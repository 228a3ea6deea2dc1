package studio

import "testing"

func TestEvalCondition(t *testing.T) {
	tests := []struct {
		typ, input, value string
		want              bool
	}{
		{"equal_to", "  Sales ", "sales", true},
		{"equal_to", "sales team", "sales", false},
		{"not_equal_to", "Support", "sales", true},
		{"not_equal_to", "SALES", "sales", false},
		{"matches_any_of", "Yes", "yes, y ,yep", true},
		{"matches_any_of", " y ", "yes,Y", true},
		{"matches_any_of", "no", "yes,y", false},
		{"does_not_match_any_of", "no", "yes,y", true},
		{"does_not_match_any_of", "YES", "yes,y", false},
		{"is_blank", "   ", "Is Blank", true},
		{"is_blank", "x", "Is Blank", false},
		{"is_not_blank", "x", "Is Not Blank", true},
		{"is_not_blank", "", "Is Not Blank", false},
		{"regex", "Order 12345", `order \d+`, true},
		{"regex", "my order 12345", `order \d+`, false}, // whole string must match
		{"regex", "abc", `(`, false},                    // invalid pattern never matches
		{"contains", "I need SALES help", "sales", true},
		{"contains", "support", "sales", false},
		{"does_not_contain", "support", "sales", true},
		{"does_not_contain", "presales", "sales", false},
		{"starts_with", "Sales please", "sales", true},
		{"starts_with", "please sales", "sales", false},
		{"does_not_start_with", "please sales", "sales", true},
		{"does_not_start_with", "SALES", "sales", false},
		{"less_than", "4", "10", true}, // numeric, not lexical
		{"less_than", "10", "4", false},
		{"less_than", "abc", "4", false},
		{"greater_than", "10.5", "10", true},
		{"greater_than", "9", "10", false},
		{"is_before_time", "08:30", "09:00", true},
		{"is_before_time", "2026-01-05T17:00:00Z", "09:00", false},
		{"is_after_time", "5:30 PM", "17:00", true},
		{"is_after_time", "noon", "17:00", false},
		{"is_before_date", "2026-01-04", "2026-01-05", true},
		{"is_before_date", "2026-01-05T23:00:00Z", "2026-01-05", false},
		{"is_after_date", "2026-02-01", "2026-01-05", true},
		{"is_after_date", "someday", "2026-01-05", false},
		{"no_such_type", "a", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.input, func(t *testing.T) {
			if got := evalCondition(tt.typ, tt.input, tt.value); got != tt.want {
				t.Errorf("evalCondition(%q, %q, %q) = %v, want %v", tt.typ, tt.input, tt.value, got, tt.want)
			}
		})
	}
}
