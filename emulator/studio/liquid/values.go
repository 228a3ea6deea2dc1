package liquid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// decimal is a float from a literal with a decimal point or from float
// arithmetic. A float64 from the context that is integral counts as an
// integer (JSON has no integer type); a decimal never does, so
// `x | times: 1.0 | divided_by: 3` divides as floats.
type decimal float64

// emptyValue and blankValue are the `empty` and `blank` keywords.
type (
	emptyValue struct{}
	blankValue struct{}
)

// number is a numeric value: an int, or a float when isFloat.
type number struct {
	i       int
	f       float64
	isFloat bool
}

func (n number) float() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

func (n number) value() any {
	if n.isFloat {
		return decimal(n.f)
	}
	return n.i
}

// compare orders two numbers; ok is false when either is NaN.
func (n number) compare(m number) (int, bool) {
	if !n.isFloat && !m.isFloat {
		return cmpInt(n.i, m.i), true
	}
	a, b := n.float(), m.float()
	switch {
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	case a == b:
		return 0, true
	}
	return 0, false
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func floatNumber(f float64) number {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return number{i: int(f)}
	}
	return number{f: f, isFloat: true}
}

// numberOf reports v as a number if it is of a numeric type.
func numberOf(v any) (number, bool) {
	switch x := v.(type) {
	case int:
		return number{i: x}, true
	case float64:
		return floatNumber(x), true
	case decimal:
		return number{f: float64(x), isFloat: true}, true
	case int64:
		return number{i: int(x)}, true
	case int32:
		return number{i: int(x)}, true
	case int16:
		return number{i: int(x)}, true
	case int8:
		return number{i: int(x)}, true
	case uint:
		return uintNumber(uint64(x)), true
	case uint64:
		return uintNumber(x), true
	case uint32:
		return number{i: int(x)}, true
	case uint16:
		return number{i: int(x)}, true
	case uint8:
		return number{i: int(x)}, true
	case float32:
		return floatNumber(float64(x)), true
	case json.Number:
		return parseNumberString(string(x)), true
	}
	return number{}, false
}

func uintNumber(u uint64) number {
	if u > math.MaxInt {
		return number{f: float64(u), isFloat: true}
	}
	return number{i: int(u)}
}

// toNumber coerces v for arithmetic like Ruby Liquid: numeric strings are
// parsed, anything else is 0.
func toNumber(v any) number {
	if n, ok := numberOf(v); ok {
		return n
	}
	if s, ok := v.(string); ok {
		return parseNumberString(s)
	}
	return number{}
}

// parseNumberString parses "-12.5" as a float, otherwise the leading integer
// ("12abc" is 12, "abc" is 0), as Ruby Liquid's to_number does.
func parseNumberString(s string) number {
	s = strings.Trim(s, whitespace)
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == d {
		return number{}
	}
	intEnd := i
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == len(s) {
			f, _ := strconv.ParseFloat(s, 64)
			return number{f: f, isFloat: true}
		}
	}
	if n, err := strconv.Atoi(s[:intEnd]); err == nil {
		return number{i: n}
	}
	f, _ := strconv.ParseFloat(s[:intEnd], 64)
	return number{f: f, isFloat: true}
}

// toInt coerces v to an int, truncating floats and clamping huge ones.
func toInt(v any) int {
	n := toNumber(v)
	if !n.isFloat {
		return n.i
	}
	switch {
	case n.f != n.f:
		return 0
	case n.f >= 1<<62:
		return 1 << 62
	case n.f <= -(1 << 62):
		return -(1 << 62)
	}
	return int(n.f)
}

// isTruthy is Liquid truthiness: only nil and false are falsy.
func isTruthy(v any) bool { return v != nil && v != false }

// isEmpty reports an empty string, list or map (the `empty` keyword).
func isEmpty(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case nil, bool:
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len() == 0
	}
	return false
}

// isBlank reports nil, false, a whitespace-only string or an empty list or
// map (the `blank` keyword).
func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return strings.Trim(x, whitespace) == ""
	}
	return isEmpty(v)
}

// equal is Liquid ==: numbers compare by value, a number never equals a
// string, lists and maps compare deeply.
func equal(a, b any) bool {
	switch a.(type) {
	case emptyValue:
		return isEmpty(b)
	case blankValue:
		return isBlank(b)
	}
	switch b.(type) {
	case emptyValue:
		return isEmpty(a)
	case blankValue:
		return isBlank(a)
	}
	an, aok := numberOf(a)
	bn, bok := numberOf(b)
	if aok || bok {
		if !aok || !bok {
			return false
		}
		c, ok := an.compare(bn)
		return ok && c == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

// compare orders two numbers or two strings; ok is false for other pairs.
func compare(a, b any) (int, bool) {
	if an, ok := numberOf(a); ok {
		if bn, ok := numberOf(b); ok {
			return an.compare(bn)
		}
		return 0, false
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	}
	return 0, false
}

// contains is Liquid's contains: substring, list element or map key.
func contains(l, r any) bool {
	switch x := l.(type) {
	case nil:
		return false
	case string:
		return r != nil && strings.Contains(x, toString(r))
	case map[string]any:
		_, ok := x[toString(r)]
		return ok
	}
	if list, ok := asList(l); ok {
		for _, e := range list {
			if equal(e, r) {
				return true
			}
		}
		return false
	}
	return indexKey(l, toString(r)) != nil
}

// indexKey returns v.key: a map entry, or size/first/last of a list.
func indexKey(v any, key string) any {
	switch c := v.(type) {
	case map[string]any:
		if x, ok := c[key]; ok {
			return x
		}
		if key == "size" {
			return len(c)
		}
		return nil
	case []any:
		return listProperty(c, key)
	case string:
		if key == "size" {
			return utf8.RuneCountInString(c)
		}
		return nil
	case nil:
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if kt := rv.Type().Key(); kt.Kind() == reflect.String {
			if x := rv.MapIndex(reflect.ValueOf(key).Convert(kt)); x.IsValid() {
				return x.Interface()
			}
			if key == "size" {
				return rv.Len()
			}
		}
	case reflect.Slice, reflect.Array:
		list, _ := asList(v)
		return listProperty(list, key)
	}
	return nil
}

func listProperty(l []any, key string) any {
	switch key {
	case "size":
		return len(l)
	case "first":
		if len(l) > 0 {
			return l[0]
		}
	case "last":
		if len(l) > 0 {
			return l[len(l)-1]
		}
	}
	return nil
}

// indexInt returns v[i]; negative i counts from the end. On a map it looks
// up the key "i".
func indexInt(v any, i int) any {
	list, ok := v.([]any)
	if !ok {
		if list, ok = asList(v); !ok {
			return indexKey(v, strconv.Itoa(i))
		}
	}
	if i < 0 {
		i += len(list)
	}
	if i < 0 || i >= len(list) {
		return nil
	}
	return list[i]
}

// index returns v[k] for a dynamic key.
func index(v, k any) any {
	if n, ok := numberOf(k); ok && !n.isFloat {
		return indexInt(v, n.i)
	}
	return indexKey(v, toString(k))
}

// asList returns v as a list if it is a slice or array.
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case nil, string, map[string]any:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// items returns what filters such as join and map iterate: a list as is,
// nil as nothing, anything else as a one-element list.
func items(v any) []any {
	if l, ok := asList(v); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// mapPairs returns a map's [key, value] pairs in key order, or false if v is
// not a map with string keys.
func mapPairs(v any) ([]any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	keys := rv.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = []any{k.String(), rv.MapIndex(k).Interface()}
	}
	return out, true
}

// toString renders a value: nil as "", integral numbers without a decimal
// point, maps and lists as JSON.
func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil, emptyValue, blankValue:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return formatFloat(x)
	case decimal:
		return formatFloat(float64(x))
	case time.Time:
		return x.Format("2006-01-02 15:04:05 -0700")
	case json.Number:
		return string(x)
	}
	if n, ok := numberOf(v); ok {
		if n.isFloat {
			return formatFloat(n.f)
		}
		return strconv.Itoa(n.i)
	}
	if s, err := toJSON(v); err == nil {
		return s
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// toJSON serialises v as compact JSON: map keys sorted, no HTML escaping.
func toJSON(v any) (string, error) {
	switch v.(type) {
	case emptyValue, blankValue:
		v = ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
