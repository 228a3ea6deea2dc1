package twilio

import "time"

// Time formats t the way Twilio's JSON does: RFC 3339, UTC, second precision.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// TimePtr formats t, or returns nil for the zero time so it renders as JSON null.
func TimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := Time(t)
	return &s
}

// ParseTime accepts the ISO-8601 forms Twilio accepts in parameters.
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// NullString renders "" as JSON null, as Twilio does for unset string fields.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
