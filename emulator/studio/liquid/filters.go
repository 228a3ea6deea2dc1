package liquid

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// filterFunc applies a filter to in with evaluated positional args and
// keyword options (nil when none).
type filterFunc func(r *renderer, in any, args []any, kw map[string]any) (any, error)

// filterDef is a filter and the argument counts it accepts, checked at Parse.
type filterDef struct {
	fn       filterFunc
	min, max int
	kw       []string // accepted keyword options
}

func (d *filterDef) allowsKw(name string) bool {
	for _, k := range d.kw {
		if k == name {
			return true
		}
	}
	return false
}

func (d *filterDef) arity() string {
	switch {
	case d.max == 0:
		return "no arguments"
	case d.min == d.max && d.min == 1:
		return "1 argument"
	case d.min == d.max:
		return fmt.Sprintf("%d arguments", d.min)
	}
	return fmt.Sprintf("%d to %d arguments", d.min, d.max)
}

var errDivZero = errors.New("divided by 0")

// filters is every filter a template may name; any other is a Parse error.
var filters = map[string]*filterDef{
	"default":        {fn: fDefault, max: 1, kw: []string{"allow_false"}},
	"upcase":         str0(strings.ToUpper),
	"downcase":       str0(strings.ToLower),
	"capitalize":     str0(capitalize),
	"strip":          str0(func(s string) string { return strings.Trim(s, whitespace+"\x00") }),
	"lstrip":         str0(func(s string) string { return strings.TrimLeft(s, whitespace+"\x00") }),
	"rstrip":         str0(func(s string) string { return strings.TrimRight(s, whitespace+"\x00") }),
	"strip_newlines": str0(newlineStripper.Replace),
	"newline_to_br":  str0(newlineToBR.Replace),
	"append":         {fn: fAppend, min: 1, max: 1},
	"prepend":        {fn: fPrepend, min: 1, max: 1},
	"replace":        {fn: replacer(-1), min: 1, max: 2},
	"replace_first":  {fn: replacer(1), min: 1, max: 2},
	"remove":         {fn: replacer(-1), min: 1, max: 1},
	"remove_first":   {fn: replacer(1), min: 1, max: 1},
	"split":          {fn: fSplit, min: 1, max: 1},
	"join":           {fn: fJoin, max: 1},
	"first":          {fn: fFirst},
	"last":           {fn: fLast},
	"size":           {fn: fSize},
	"reverse":        {fn: fReverse},
	"sort":           {fn: fSort},
	"uniq":           {fn: fUniq},
	"compact":        {fn: fCompact},
	"map":            {fn: fMap, min: 1, max: 1},
	"slice":          {fn: fSlice, min: 1, max: 2},
	"plus":           arith('+'),
	"minus":          arith('-'),
	"times":          arith('*'),
	"divided_by":     arith('/'),
	"modulo":         arith('%'),
	"abs":            {fn: fAbs},
	"ceil":           {fn: roundFn(math.Ceil)},
	"floor":          {fn: roundFn(math.Floor)},
	"round":          {fn: fRound, max: 1},
	"at_least":       {fn: bound(1), min: 1, max: 1},
	"at_most":        {fn: bound(-1), min: 1, max: 1},
	"truncate":       {fn: fTruncate, max: 2},
	"url_encode":     {fn: nilSafe(url.QueryEscape)},
	"url_decode":     {fn: nilSafe(urlDecode)},
	"escape":         {fn: nilSafe(htmlEscaper.Replace)},
	"to_json":        {fn: fToJSON},
	"date":           {fn: fDate, min: 1, max: 1},
}

// str0 is a no-argument string filter; nil input is "".
func str0(f func(string) string) *filterDef {
	return &filterDef{fn: func(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
		return f(toString(in)), nil
	}}
}

// nilSafe is a no-argument string filter that passes nil through.
func nilSafe(f func(string) string) filterFunc {
	return func(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
		if in == nil {
			return nil, nil
		}
		return f(toString(in)), nil
	}
}

func arg(args []any, i int, def any) any {
	if i < len(args) {
		return args[i]
	}
	return def
}

// fDefault returns the argument when in is nil, false (unless allow_false)
// or empty (string, list or map).
func fDefault(_ *renderer, in any, args []any, kw map[string]any) (any, error) {
	def := arg(args, 0, "")
	switch x := in.(type) {
	case nil:
		return def, nil
	case bool:
		if !x && !isTruthy(kw["allow_false"]) {
			return def, nil
		}
		return in, nil
	}
	if isEmpty(in) {
		return def, nil
	}
	return in, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

func fAppend(r *renderer, in any, args []any, _ map[string]any) (any, error) {
	a, b := toString(in), toString(args[0])
	if err := r.reserve(int64(len(a)) + int64(len(b))); err != nil {
		return nil, err
	}
	return a + b, nil
}

func fPrepend(r *renderer, in any, args []any, kw map[string]any) (any, error) {
	return fAppend(r, args[0], []any{in}, kw)
}

// replacer implements replace/remove (n = -1) and their _first forms (n = 1).
func replacer(n int) filterFunc {
	return func(r *renderer, in any, args []any, _ map[string]any) (any, error) {
		s, old, repl := toString(in), toString(args[0]), toString(arg(args, 1, ""))
		count := 1
		if n < 0 {
			if old == "" {
				count = utf8.RuneCountInString(s) + 1
			} else {
				count = strings.Count(s, old)
			}
		}
		if err := r.reserve(int64(len(s)) + int64(count)*int64(len(repl))); err != nil {
			return nil, err
		}
		return strings.Replace(s, old, repl, n), nil
	}
}

// fSplit splits like Ruby: " " splits on runs of whitespace, "" into
// characters, and trailing empty strings are dropped.
func fSplit(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
	s, sep := toString(in), toString(args[0])
	var parts []string
	switch {
	case s == "":
	case sep == " ":
		parts = strings.Fields(s)
	default:
		parts = strings.Split(s, sep)
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fJoin(r *renderer, in any, args []any, _ map[string]any) (any, error) {
	sep := toString(arg(args, 0, " "))
	list := items(in)
	strs := make([]string, len(list))
	total := int64(len(sep)) * int64(len(list))
	for i, v := range list {
		strs[i] = toString(v)
		total += int64(len(strs[i]))
	}
	if err := r.reserve(total); err != nil {
		return nil, err
	}
	return strings.Join(strs, sep), nil
}

// fFirst returns a list's first element or a string's first character.
func fFirst(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	if s, ok := in.(string); ok {
		if s == "" {
			return nil, nil
		}
		_, n := utf8.DecodeRuneInString(s)
		return s[:n], nil
	}
	l, _ := asList(in)
	return listProperty(l, "first"), nil
}

// fLast returns a list's last element or a string's last character.
func fLast(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	if s, ok := in.(string); ok {
		if s == "" {
			return nil, nil
		}
		_, n := utf8.DecodeLastRuneInString(s)
		return s[len(s)-n:], nil
	}
	l, _ := asList(in)
	return listProperty(l, "last"), nil
}

// fSize is the length of a list or map, the characters of a string, else 0.
func fSize(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	switch x := in.(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case map[string]any:
		return len(x), nil
	case []any:
		return len(x), nil
	}
	switch rv := reflect.ValueOf(in); rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len(), nil
	}
	return 0, nil
}

func fReverse(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	l, ok := asList(in)
	if !ok {
		return in, nil
	}
	out := make([]any, len(l))
	for i, v := range l {
		out[len(l)-1-i] = v
	}
	return out, nil
}

// typeRank orders mixed types in sort: numbers, strings, others, nil.
func typeRank(v any) int {
	if _, ok := numberOf(v); ok {
		return 0
	}
	switch v.(type) {
	case string:
		return 1
	case nil:
		return 3
	}
	return 2
}

func fSort(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	l := items(in)
	out := append([]any(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		if c, ok := compare(out[i], out[j]); ok {
			return c < 0
		}
		return typeRank(out[i]) < typeRank(out[j])
	})
	return out, nil
}

func fUniq(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	seen := make(map[string]bool)
	var out []any
	for _, v := range items(in) {
		k := fmt.Sprintf("%d:%s", typeRank(v), toString(v))
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out, nil
}

func fCompact(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	out := []any{}
	for _, v := range items(in) {
		if v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// fMap returns the named property of each element.
func fMap(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
	key := toString(args[0])
	l := items(in)
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = indexKey(v, key)
	}
	return out, nil
}

// fSlice returns length (default 1) characters or elements from offset;
// a negative offset counts from the end.
func fSlice(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
	off, length := toInt(args[0]), toInt(arg(args, 1, 1))
	span := func(n int) (int, int, bool) {
		if off < 0 {
			off += n
		}
		if off < 0 || off > n || length < 0 {
			return 0, 0, false
		}
		end := n
		if length < n-off {
			end = off + length
		}
		return off, end, true
	}
	if l, ok := asList(in); ok {
		a, b, ok := span(len(l))
		if !ok {
			return nil, nil
		}
		return append([]any{}, l[a:b]...), nil
	}
	if in == nil {
		return nil, nil
	}
	rs := []rune(toString(in))
	a, b, ok := span(len(rs))
	if !ok {
		return nil, nil
	}
	return string(rs[a:b]), nil
}

// arith implements plus, minus, times, divided_by and modulo. Two integers
// give an integer (division and modulo floor, as in Ruby); otherwise a float.
func arith(op byte) *filterDef {
	return &filterDef{min: 1, max: 1, fn: func(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
		a, b := toNumber(in), toNumber(args[0])
		if (op == '/' || op == '%') && b.float() == 0 {
			return nil, errDivZero
		}
		if !a.isFloat && !b.isFloat {
			x, y := a.i, b.i
			switch op {
			case '+':
				return x + y, nil
			case '-':
				return x - y, nil
			case '*':
				return x * y, nil
			case '/':
				q := x / y
				if x%y != 0 && (x < 0) != (y < 0) {
					q--
				}
				return q, nil
			default:
				m := x % y
				if m != 0 && (m < 0) != (y < 0) {
					m += y
				}
				return m, nil
			}
		}
		x, y := a.float(), b.float()
		switch op {
		case '+':
			return decimal(x + y), nil
		case '-':
			return decimal(x - y), nil
		case '*':
			return decimal(x * y), nil
		case '/':
			return decimal(x / y), nil
		default:
			m := math.Mod(x, y)
			if m != 0 && (m < 0) != (y < 0) {
				m += y
			}
			return decimal(m), nil
		}
	}}
}

func fAbs(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
	n := toNumber(in)
	if n.isFloat {
		return decimal(math.Abs(n.f)), nil
	}
	if n.i < 0 {
		return -n.i, nil
	}
	return n.i, nil
}

// floatToInt converts an integral float to int when it fits.
func floatToInt(f float64) any {
	if math.Abs(f) < 1<<62 {
		return int(f)
	}
	return decimal(f)
}

// roundFn implements ceil and floor, which return integers.
func roundFn(f func(float64) float64) filterFunc {
	return func(_ *renderer, in any, _ []any, _ map[string]any) (any, error) {
		n := toNumber(in)
		if !n.isFloat {
			return n.i, nil
		}
		return floatToInt(f(n.f)), nil
	}
}

// fRound rounds half away from zero to the given number of decimals
// (default 0, which gives an integer).
func fRound(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
	n, p := toNumber(in), toInt(arg(args, 0, 0))
	if !n.isFloat {
		return n.i, nil
	}
	if p <= 0 {
		return floatToInt(math.Round(n.f)), nil
	}
	pow := math.Pow10(min(p, 15))
	return decimal(math.Round(n.f*pow) / pow), nil
}

// bound implements at_least (sign 1) and at_most (sign -1).
func bound(sign int) filterFunc {
	return func(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
		a, b := toNumber(in), toNumber(args[0])
		if c, ok := a.compare(b); ok && c*sign < 0 {
			return b.value(), nil
		}
		return a.value(), nil
	}
}

// fTruncate shortens to length characters (default 50) including the
// ellipsis (default "...").
func fTruncate(_ *renderer, in any, args []any, _ map[string]any) (any, error) {
	if in == nil {
		return nil, nil
	}
	s := toString(in)
	length, ellipsis := toInt(arg(args, 0, 50)), toString(arg(args, 1, "..."))
	if utf8.RuneCountInString(s) <= length {
		return s, nil
	}
	l := max(length-utf8.RuneCountInString(ellipsis), 0)
	rs := []rune(s)
	return string(rs[:l]) + ellipsis, nil
}

func urlDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

var (
	newlineStripper = strings.NewReplacer("\r\n", "", "\n", "")
	newlineToBR     = strings.NewReplacer("\r\n", "<br />\n", "\n", "<br />\n")
)

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// fToJSON is Studio's to_json: the value as JSON (maps with sorted keys,
// strings quoted, nil as null).
func fToJSON(r *renderer, in any, _ []any, _ map[string]any) (any, error) {
	s, err := toJSON(in)
	if err != nil {
		return nil, err
	}
	return s, nil
}
