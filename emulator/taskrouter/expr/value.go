package expr

import (
	"encoding/json"
	"strconv"
	"strings"
)

// kind classifies an operand value at evaluation time.
type kind uint8

const (
	kNull   kind = iota // missing reference or JSON null
	kBool               // true / false
	kNumber             // all numbers compare as float64
	kString             // string
	kArray              // list literal or JSON array
	kObject             // JSON object or any other non-scalar; never equal to anything
)

// value is an operand resolved for one evaluation. It is passed by value and
// never escapes, which is what keeps Eval allocation-free: JSON arrays and
// objects stay in raw (already an interface, so no boxing); list literals are
// boxed as []value once, at parse time.
type value struct {
	kind kind
	b    bool
	num  float64
	str  string
	raw  any // []value (list literal), []any, []string, map[string]any, ...
}

var null = value{}

func numberValue(f float64) value { return value{kind: kNumber, num: f} }
func stringValue(s string) value  { return value{kind: kString, str: s} }

// fromAny converts a value decoded by encoding/json (plus common Go numeric
// and slice types callers may build by hand) without allocating.
func fromAny(x any) value {
	switch t := x.(type) {
	case nil:
		return null
	case string:
		return stringValue(t)
	case float64:
		return numberValue(t)
	case bool:
		return value{kind: kBool, b: t}
	case int:
		return numberValue(float64(t))
	case int64:
		return numberValue(float64(t))
	case int32:
		return numberValue(float64(t))
	case float32:
		return numberValue(float64(t))
	case uint:
		return numberValue(float64(t))
	case uint64:
		return numberValue(float64(t))
	case uint32:
		return numberValue(float64(t))
	case json.Number:
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return numberValue(f)
		}
		return value{kind: kObject, raw: x}
	case []any, []string:
		return value{kind: kArray, raw: x}
	default:
		return value{kind: kObject, raw: x}
	}
}

func (v value) scalar() bool { return v.kind == kBool || v.kind == kNumber || v.kind == kString }

// scalarEqual reports (equal, comparable). Values of different kinds, NULL,
// arrays and objects are not comparable: TaskRouter documents that mixing
// types "should be avoided" and that scalar operators on arrays are false.
func scalarEqual(a, b value) (eq, ok bool) {
	if a.kind != b.kind || !a.scalar() {
		return false, false
	}
	switch a.kind {
	case kBool:
		return a.b == b.b, true
	case kNumber:
		return a.num == b.num, true
	default:
		return a.str == b.str, true
	}
}

// order returns -1, 0 or +1 for numbers or strings of the same kind; ok is
// false for anything else (booleans are not ordered).
func order(a, b value) (c int, ok bool) {
	if a.kind != b.kind {
		return 0, false
	}
	switch a.kind {
	case kNumber:
		switch {
		case a.num < b.num:
			return -1, true
		case a.num > b.num:
			return 1, true
		case a.num == b.num:
			return 0, true
		}
		return 0, false // NaN
	case kString:
		return strings.Compare(a.str, b.str), true
	}
	return 0, false
}

// member reports whether scalar x equals an element of array arr. NULL
// elements never match.
func member(arr, x value) bool {
	switch t := arr.raw.(type) {
	case []value:
		for i := range t {
			if eq, _ := scalarEqual(t[i], x); eq {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if eq, _ := scalarEqual(fromAny(e), x); eq {
				return true
			}
		}
	case []string:
		if x.kind != kString {
			return false
		}
		for _, e := range t {
			if e == x.str {
				return true
			}
		}
	}
	return false
}
