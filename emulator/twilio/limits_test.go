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
