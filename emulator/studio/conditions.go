package studio

import (
	"strconv"
	"strings"
	"time"
)

// evalCondition reports whether a split-based-on input satisfies one
// condition, with value already rendered. Comparisons are case-insensitive
// on trimmed text; matches_any_of takes a comma-separated list; regex must
// match the whole input; less_than/greater_than compare numbers (false when
// either side is not a number); time conditions compare times of day
// (HH:MM) and date conditions calendar dates (YYYY-MM-DD), false when either
// side does not parse.
func evalCondition(typ, input, value string) bool {
	in := strings.ToLower(strings.TrimSpace(input))
	v := strings.ToLower(strings.TrimSpace(value))
	switch typ {
	case "equal_to":
		return in == v
	case "not_equal_to":
		return in != v
	case "matches_any_of":
		return matchesAny(in, v)
	case "does_not_match_any_of":
		return !matchesAny(in, v)
	case "is_blank":
		return in == ""
	case "is_not_blank":
		return in != ""
	case "regex":
		re, err := compileCondition(strings.TrimSpace(value))
		return err == nil && re.MatchString(strings.TrimSpace(input))
	case "contains":
		return strings.Contains(in, v)
	case "does_not_contain":
		return !strings.Contains(in, v)
	case "starts_with":
		return strings.HasPrefix(in, v)
	case "does_not_start_with":
		return !strings.HasPrefix(in, v)
	case "less_than", "greater_than":
		a, errA := strconv.ParseFloat(in, 64)
		b, errB := strconv.ParseFloat(v, 64)
		if errA != nil || errB != nil {
			return false
		}
		if typ == "less_than" {
			return a < b
		}
		return a > b
	case "is_before_time", "is_after_time":
		a, okA := clockMinutes(in)
		b, okB := clockMinutes(v)
		if !okA || !okB {
			return false
		}
		if typ == "is_before_time" {
			return a < b
		}
		return a > b
	case "is_before_date", "is_after_date":
		a, okA := calendarDate(in)
		b, okB := calendarDate(v)
		if !okA || !okB {
			return false
		}
		if typ == "is_before_date" {
			return a.Before(b)
		}
		return a.After(b)
	}
	return false
}

func matchesAny(in, list string) bool {
	for _, item := range strings.Split(list, ",") {
		if strings.TrimSpace(item) == in {
			return true
		}
	}
	return false
}

// clockMinutes parses a time of day ("14:30", "14:30:15", "2:30 pm" or a
// full timestamp) into minutes after midnight.
func clockMinutes(s string) (int, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, layout := range []string{"15:04", "15:04:05", "3:04 PM", "3:04PM", "3 PM", "3PM"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Hour()*60 + t.Minute(), true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Hour()*60 + t.Minute(), true
	}
	return 0, false
}

// calendarDate parses "2026-01-05" or a timestamp into its date.
func calendarDate(s string) (time.Time, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}
