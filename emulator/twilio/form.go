package twilio

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Form is a decoded Twilio request: the query string and the
// application/x-www-form-urlencoded body merged, with PascalCase names and
// dotted nested keys ("AutoCreation.Type") kept as they arrive. Repeated keys
// ("AutoCreation.WebhookFilters") keep every value in order.
type Form struct{ url.Values }

// Has reports whether name was sent at all (even empty).
func (f Form) Has(name string) bool { _, ok := f.Values[name]; return ok }

// String returns the first value of name and whether it was sent.
func (f Form) String(name string) (string, bool) {
	v, ok := f.Values[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// Required returns the value of a required, non-empty parameter.
func (f Form) Required(name string) (string, error) {
	v, ok := f.String(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", MissingParam(name)
	}
	return v, nil
}

// Strings returns every value of a repeated parameter, also splitting a
// single comma-separated value, as Twilio accepts both forms for lists.
func (f Form) Strings(name string) []string {
	vals := f.Values[name]
	if len(vals) == 1 && strings.Contains(vals[0], ",") {
		vals = strings.Split(vals[0], ",")
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Int parses an integer parameter within [min, max]; def when absent.
func (f Form) Int(name string, def, min, max int) (int, error) {
	v, ok := f.String(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if errors.Is(err, strconv.ErrRange) {
		return 0, InvalidParam(name, "%s is out of range [%d, %d]", strings.TrimSpace(v), min, max)
	}
	if err != nil {
		return 0, InvalidParam(name, "%q is not an integer", v)
	}
	if n < min || n > max {
		return 0, InvalidParam(name, "%d is out of range [%d, %d]", n, min, max)
	}
	return n, nil
}

// OptInt is Int for optional parameters whose absence must be distinguished.
func (f Form) OptInt(name string, min, max int) (*int, error) {
	if v, ok := f.String(name); !ok || v == "" {
		return nil, nil
	}
	n, err := f.Int(name, 0, min, max)
	return &n, err
}

// Bool parses a boolean the TaskRouter way: true, 1 and yes (any case) are
// true; any other value is false.
func (f Form) Bool(name string, def bool) bool {
	v, ok := f.String(name)
	if !ok || v == "" {
		return def
	}
	return ParseBool(v)
}

// OptBool is Bool for optional parameters whose absence must be distinguished.
func (f Form) OptBool(name string) *bool {
	v, ok := f.String(name)
	if !ok || v == "" {
		return nil
	}
	b := ParseBool(v)
	return &b
}

// ParseBool is Twilio's lenient boolean: true, 1 and yes mean true.
func ParseBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// OptString returns a pointer to the value when name was sent.
func (f Form) OptString(name string) *string {
	v, ok := f.String(name)
	if !ok {
		return nil
	}
	return &v
}

// JSONObject validates that a parameter holds a JSON object and returns its
// text (normalised to "{}" when absent) and decoded form.
func (f Form) JSONObject(name string) (string, map[string]any, error) {
	v, ok := f.String(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "{}", map[string]any{}, nil
	}
	m, err := ParseJSONObject(name, v)
	if err != nil {
		return "", nil, err
	}
	return v, m, nil
}

// ParseJSONObject decodes text as a JSON object, with an error naming param.
// Text over MaxJSONBytes or nested deeper than MaxJSONDepth is refused, so
// whatever is stored can always be rendered again.
func ParseJSONObject(param, text string) (map[string]any, error) {
	if err := CheckJSON(param, text, MaxJSONBytes); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil || m == nil {
		return nil, InvalidParam(param, "must be a JSON object")
	}
	return m, nil
}

// Duration parses an ISO-8601 duration parameter such as PT1M or P1DT2H and
// checks it lies within [min, max]; nil when absent. Errors name the
// parameter and the bound it broke.
func (f Form) Duration(name string, min, max time.Duration) (*time.Duration, error) {
	v, ok := f.String(name)
	if !ok || v == "" {
		return nil, nil
	}
	d, err := ParseDurationParam(name, v, min, max)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// MaxISODuration is the longest ISO-8601 duration any parameter may hold
// (P3650D, ten years), whatever tighter bound its product applies: longer
// ones are absurd for a timer and, far enough out, overflow time.Duration.
const MaxISODuration = 3650 * 24 * time.Hour

// ParseISODuration parses the week/day/hour/minute/second subset of ISO 8601
// durations (PnWnDTnHnMnS) that Twilio's timers use. Negative durations and
// durations longer than MaxISODuration are refused.
func ParseISODuration(s string) (time.Duration, error) {
	return ParseDurationParam("duration", s, 0, MaxISODuration)
}

// ParseDurationParam parses s as the ISO-8601 duration parameter param and
// checks it lies within [min, max] (max is capped at MaxISODuration). Values
// that would overflow are reported as longer than max, never wrapped.
func ParseDurationParam(param, s string, min, max time.Duration) (time.Duration, error) {
	if max <= 0 || max > MaxISODuration {
		max = MaxISODuration
	}
	d, err := parseISODuration(s, max)
	switch {
	case err == errNegativeDuration:
		return 0, InvalidParam(param, "%q is negative; a duration must be zero or more", s)
	case err == errDurationTooLong:
		return 0, InvalidParam(param, "%s is longer than the maximum of %s", s, DescribeDuration(max))
	case err != nil:
		return 0, InvalidParam(param, "%q is not an ISO-8601 duration", s)
	case d < min:
		return 0, InvalidParam(param, "%s is shorter than the minimum of %s", s, DescribeDuration(min))
	}
	return d, nil
}

var (
	errNotISODuration   = errors.New("not an ISO-8601 duration")
	errNegativeDuration = errors.New("negative duration")
	errDurationTooLong  = errors.New("duration too long")
)

// parseISODuration sums the components of s in integer arithmetic, failing
// with errDurationTooLong as soon as the running total passes limit (which
// must be positive), so no component or sum can overflow.
func parseISODuration(s string, limit time.Duration) (time.Duration, error) {
	if strings.HasPrefix(s, "-") {
		return 0, errNegativeDuration
	}
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return 0, errNotISODuration
	}
	var total time.Duration
	inTime := false
	num := ""
	for _, r := range strings.ToUpper(s[1:]) {
		switch {
		case r == 'T' && !inTime && num == "":
			inTime = true
		case r == '-' && num == "":
			return 0, errNegativeDuration
		case (r >= '0' && r <= '9') || r == '.':
			num += string(r)
		default:
			var unit time.Duration
			switch {
			case r == 'W' && !inTime:
				unit = 7 * 24 * time.Hour
			case r == 'D' && !inTime:
				unit = 24 * time.Hour
			case r == 'H' && inTime:
				unit = time.Hour
			case r == 'M' && inTime:
				unit = time.Minute
			case r == 'S' && inTime:
				unit = time.Second
			default:
				return 0, errNotISODuration
			}
			v, err := durationComponent(num, unit, limit)
			if err != nil {
				return 0, err
			}
			if v > limit-total {
				return 0, errDurationTooLong
			}
			total += v
			num = ""
		}
	}
	if num != "" {
		return 0, errNotISODuration
	}
	return total, nil
}

// durationComponent is num (digits with an optional decimal fraction) units
// long, or errDurationTooLong when that exceeds limit.
func durationComponent(num string, unit, limit time.Duration) (time.Duration, error) {
	whole, frac, _ := strings.Cut(num, ".")
	if (whole == "" && frac == "") || strings.Contains(frac, ".") {
		return 0, errNotISODuration
	}
	var v time.Duration
	if whole != "" {
		n, err := strconv.ParseUint(whole, 10, 64)
		if err != nil { // only digits reach here: the value is out of range
			return 0, errDurationTooLong
		}
		if n > uint64(limit/unit) {
			return 0, errDurationTooLong
		}
		v = time.Duration(n) * unit
	}
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, errNotISODuration
		}
		v += time.Duration(f * float64(unit))
	}
	if v > limit {
		return 0, errDurationTooLong
	}
	return v, nil
}

// DescribeDuration renders a limit in words in its largest exact unit:
// "1 minute", "10 minutes", "365 days".
func DescribeDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d >= u.d && d%u.d == 0 {
			if n := int64(d / u.d); n != 1 {
				return strconv.FormatInt(n, 10) + " " + u.name + "s"
			}
			return "1 " + u.name
		}
	}
	return d.String()
}

// FormatISODuration renders d as PTnHnMnS (used for configuration echoes).
func FormatISODuration(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	s := "PT"
	if h := d / time.Hour; h > 0 {
		s += strconv.Itoa(int(h)) + "H"
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		s += strconv.Itoa(int(m)) + "M"
		d -= m * time.Minute
	}
	if d > 0 {
		s += strconv.Itoa(int(d/time.Second)) + "S"
	}
	return s
}
