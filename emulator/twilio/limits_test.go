package twilio

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDurationLimits: overflowing, absurd and negative durations are refused
// with a message naming the parameter and the bound, never wrapped around.
func TestDurationLimits(t *testing.T) {
	const day = 24 * time.Hour
	cases := []struct {
		in       string
		min, max time.Duration
		want     time.Duration
		err      string // error substring; "" for success
	}{
		{in: "P106752D", min: time.Minute, max: 365 * day, err: "P106752D is longer than the maximum of 365 days"},
		{in: "PT9223372036854775807S", min: time.Minute, max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "PT9223372036854775808S", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "P99999999999999999999999D", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "PT2562048H", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "P1000000W", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "P200DT4000H", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "P365DT1S", max: 365 * day, err: "is longer than the maximum of 365 days"},
		{in: "P106752D", err: "is longer than the maximum of 3650 days"}, // 0: MaxISODuration
		{in: "-PT1M", err: "is negative"},
		{in: "PT-1M", err: "is negative"},
		{in: "P-1D", err: "is negative"},
		{in: "PT59S", min: time.Minute, max: 365 * day, err: "PT59S is shorter than the minimum of 1 minute"},
		{in: "PT1..5S", err: "not an ISO-8601 duration"},
		{in: "PT1M", min: time.Minute, max: 365 * day, want: time.Minute},
		{in: "P365D", min: time.Minute, max: 365 * day, want: 365 * day},
		{in: "P52WT24H", max: 365 * day, want: 365 * day},
		{in: "P3650D", want: MaxISODuration},
		{in: "PT0.5S", want: 500 * time.Millisecond},
	}
	for _, c := range cases {
		got, err := ParseDurationParam("Timers.Inactive", c.in, c.min, c.max)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: got %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "Timers.Inactive") ||
			AsError(err).Status != 400 || AsError(err).Code != CodeInvalidParameter):
			t.Errorf("%s: got %v, %v; want a 400 naming Timers.Inactive and %q", c.in, got, err, c.err)
		}
	}
	// ParseISODuration applies MaxISODuration.
	if _, err := ParseISODuration("P106752D"); err == nil || !strings.Contains(err.Error(), "3650 days") {
		t.Errorf("ParseISODuration(P106752D) = %v", err)
	}
	// Form.Duration names the form parameter.
	f := Form{url.Values{"Timers.Inactive": {"P106752D"}}}
	if _, err := f.Duration("Timers.Inactive", time.Minute, 30*day); err == nil ||
		!strings.Contains(err.Error(), "Invalid Timers.Inactive: P106752D is longer than the maximum of 30 days") {
		t.Errorf("Form.Duration = %v", err)
	}
}

// TestIntOverflow: an integer parameter too large for int is out of range,
// with the range in the message.
func TestIntOverflow(t *testing.T) {
	f := Form{url.Values{"Timeout": {"9223372036854775808"}, "Neg": {"-9223372036854775809"}}}
	for _, name := range []string{"Timeout", "Neg"} {
		if _, err := f.Int(name, 86400, 1, 1209600); err == nil || !strings.Contains(err.Error(), "out of range [1, 1209600]") ||
			!strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// nested is a JSON object n levels deep.
func nested(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// TestJSONLimits: the shared JSON validator bounds depth and size, counts
// brackets inside strings as text, and ParseJSONObject and Form.JSONObject
// apply it to every parameter.
func TestJSONLimits(t *testing.T) {
	cases := []struct {
		text  string
		depth int
	}{
		{`1`, 0}, {`{}`, 1}, {`[[]]`, 2}, {`{"a":"{{{{[[["}`, 1}, {`{"a":"\"{"}`, 1}, {`{"a":"\\"}`, 1},
		{nested(MaxJSONDepth), MaxJSONDepth}, {`[` + nested(5) + `,[[[[[[[]]]]]]]]`, 8},
	}
	for _, c := range cases {
		if got := JSONDepth(c.text, 100); got != c.depth {
			t.Errorf("JSONDepth(%.40s) = %d, want %d", c.text, got, c.depth)
		}
	}
	if got := JSONDepth(nested(9999), MaxJSONDepth); got != MaxJSONDepth+1 {
		t.Errorf("JSONDepth stops once past the limit: got %d", got)
	}
	checks := []struct {
		text string
		max  int
		want string // error substring; "" for success
	}{
		{nested(MaxJSONDepth), 0, ""},
		{nested(MaxJSONDepth + 1), 0, "Invalid Parameters: JSON is nested more than 32 levels deep"},
		{nested(9999), 0, "Invalid Parameters: JSON is nested more than 32 levels deep"},
		{`{"a":"` + strings.Repeat("x", 100) + `"}`, 108, ""},
		{`{"a":"` + strings.Repeat("x", 101) + `"}`, 108, "Invalid Parameters: 109 bytes; the maximum is 108 bytes"},
	}
	for _, c := range checks {
		err := CheckJSON("Parameters", c.text, c.max)
		if (err == nil) != (c.want == "") || (err != nil && (!strings.Contains(err.Error(), c.want) ||
			AsError(err).Status != 400 || AsError(err).Code != CodeInvalidParameter)) {
			t.Errorf("CheckJSON(%.40s, %d) = %v, want %q", c.text, c.max, err, c.want)
		}
	}
	f := Form{url.Values{"Deep": {nested(9999)}, "Big": {`{"a":"` + strings.Repeat("x", MaxJSONBytes) + `"}`}, "Ok": {nested(MaxJSONDepth)}}}
	for name, want := range map[string]string{"Deep": "Invalid Deep: JSON is nested", "Big": "Invalid Big: 65544 bytes; the maximum is 65536 bytes"} {
		if _, _, err := f.JSONObject(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("JSONObject(%s) = %v, want %q", name, err, want)
		}
	}
	if _, m, err := f.JSONObject("Ok"); err != nil || m["a"] == nil {
		t.Errorf("JSONObject(Ok) = %v, %v", m, err)
	}
	if err := CheckLength(50504, "Body", strings.Repeat("é", 1600), 1600); err != nil {
		t.Errorf("1600 two-byte characters: %v", err)
	}
	if err := CheckLength(50504, "Body", strings.Repeat("é", 1601), 1600); err == nil || AsError(err).Code != 50504 ||
		!strings.Contains(err.Error(), "Invalid Body: 1601 characters; the maximum is 1600 characters") {
		t.Errorf("1601 characters: %v", err)
	}
}
