package liquid

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the string inputs the date filter understands besides
// "now"/"today" and Unix seconds.
var dateLayouts = []string{
	time.RFC3339Nano, // also plain RFC 3339 and Twilio's "2020-03-25T17:05:25.000Z"
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
	time.RFC1123Z, // Twilio REST date_created
	time.RFC1123,
}

// fDate formats a time with a strftime format. Input is "now"/"today", an
// RFC 3339 (or similar) string, Unix seconds or a time.Time; anything else
// passes through unchanged, as in Liquid.
func fDate(r *renderer, in any, args []any, _ map[string]any) (any, error) {
	format := toString(args[0])
	if in == nil || format == "" {
		return in, nil
	}
	t, ok := r.toTime(in)
	if !ok {
		return in, nil
	}
	if err := r.reserve(int64(len(format)) * 32); err != nil {
		return nil, err
	}
	return strftime(t, format), nil
}

func (r *renderer) toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		s := strings.Trim(x, whitespace)
		switch strings.ToLower(s) {
		case "now", "today":
			return r.clock()
		}
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), true
		}
		return time.Time{}, false
	}
	n, ok := numberOf(v)
	switch {
	case !ok:
		return time.Time{}, false
	case !n.isFloat:
		return time.Unix(int64(n.i), 0).UTC(), true
	case math.Abs(n.f) < 1e15:
		sec, frac := math.Modf(n.f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// strftime formats t with Ruby's strftime conversions: %Y %y %m %d %e %j
// %H %k %I %l %M %S %L %N %p %P %a %A %b %h %B %Z %z %s %u %w %F %T %D %R
// %r %c %x %X %n %t %%, with flags - (no padding), _ (space), 0 (zero) and ^
// (upper case). Unknown conversions are written as is.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 >= len(f) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		var flag byte
		if strings.IndexByte("-_0^", f[j]) >= 0 {
			flag = f[j]
			j++
		}
		if j >= len(f) {
			b.WriteString(f[i:])
			break
		}
		s, ok := conversion(t, f[j], flag)
		if !ok {
			s = f[i : j+1]
		}
		b.WriteString(s)
		i = j
	}
	return b.String()
}

func conversion(t time.Time, c, flag byte) (string, bool) {
	num := func(n, width int, pad byte) (string, bool) {
		switch flag {
		case '-':
			width = 0
		case '_':
			pad = ' '
		case '0':
			pad = '0'
		}
		s := strconv.Itoa(n)
		if len(s) < width {
			s = strings.Repeat(string(pad), width-len(s)) + s
		}
		return s, true
	}
	text := func(s string) (string, bool) {
		if flag == '^' {
			s = strings.ToUpper(s)
		}
		return s, true
	}
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	switch c {
	case 'Y':
		return num(t.Year(), 4, '0')
	case 'y':
		return num(t.Year()%100, 2, '0')
	case 'm':
		return num(int(t.Month()), 2, '0')
	case 'd':
		return num(t.Day(), 2, '0')
	case 'e':
		return num(t.Day(), 2, ' ')
	case 'j':
		return num(t.YearDay(), 3, '0')
	case 'H':
		return num(t.Hour(), 2, '0')
	case 'k':
		return num(t.Hour(), 2, ' ')
	case 'I':
		return num(hour12, 2, '0')
	case 'l':
		return num(hour12, 2, ' ')
	case 'M':
		return num(t.Minute(), 2, '0')
	case 'S':
		return num(t.Second(), 2, '0')
	case 'L':
		return num(t.Nanosecond()/1e6, 3, '0')
	case 'N':
		return num(t.Nanosecond(), 9, '0')
	case 's':
		return num(int(t.Unix()), 1, '0')
	case 'u':
		return num((int(t.Weekday())+6)%7+1, 1, '0')
	case 'w':
		return num(int(t.Weekday()), 1, '0')
	case 'p':
		return text(t.Format("PM"))
	case 'P':
		return text(strings.ToLower(t.Format("PM")))
	case 'a':
		return text(t.Format("Mon"))
	case 'A':
		return text(t.Format("Monday"))
	case 'b', 'h':
		return text(t.Format("Jan"))
	case 'B':
		return text(t.Format("January"))
	case 'Z':
		return text(t.Format("MST"))
	case 'z':
		return t.Format("-0700"), true
	case 'F':
		return strftime(t, "%Y-%m-%d"), true
	case 'T', 'X':
		return strftime(t, "%H:%M:%S"), true
	case 'D', 'x':
		return strftime(t, "%m/%d/%y"), true
	case 'R':
		return strftime(t, "%H:%M"), true
	case 'r':
		return strftime(t, "%I:%M:%S %p"), true
	case 'c':
		return text(strftime(t, "%a %b %e %H:%M:%S %Y"))
	case 'n':
		return "\n", true
	case 't':
		return "\t", true
	case '%':
		return "%", true
	}
	return "", false
}
