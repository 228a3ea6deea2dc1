package twilio

import (
	"unicode/utf8"
)

// Bounds on the JSON clients store (Attributes, Parameters, Definition,
// Configuration, Interaction properties…). Every stored document is rendered
// again later, often nested inside a larger one (a Studio step's context, a
// page of executions), and encoding/json refuses documents nested 10,000
// levels deep: an unbounded document accepted at create would make every
// later list answer 500. See docs/fidelity.md, "Limits".
const (
	// MaxJSONDepth is the deepest nesting of objects and arrays accepted in
	// any JSON parameter. Twilio documents none.
	MaxJSONDepth = 32
	// MaxJSONBytes bounds a JSON parameter whose product documents no size
	// limit of its own.
	MaxJSONBytes = 64 << 10
)

// CheckJSON refuses, with a 400 (code 20001) naming param, JSON text longer
// than maxBytes bytes (0: no size bound) or nested deeper than MaxJSONDepth.
// It does not check that text is valid JSON: callers decode it anyway.
func CheckJSON(param, text string, maxBytes int) error {
	if maxBytes > 0 && len(text) > maxBytes {
		return TooLarge(CodeInvalidParameter, param, len(text), maxBytes, "bytes")
	}
	if JSONDepth(text, MaxJSONDepth) > MaxJSONDepth {
		return InvalidParam(param, "JSON is nested more than %d levels deep", MaxJSONDepth)
	}
	return nil
}

// CheckLength refuses, with a 400 carrying code and naming param, text of
// more than max characters (Unicode code points), the unit Twilio's
// "N characters" limits use.
func CheckLength(code int, param, text string, max int) error {
	if len(text) <= max { // bytes ≥ characters: the common case costs nothing
		return nil
	}
	if n := utf8.RuneCountInString(text); n > max {
		return TooLarge(code, param, n, max, "characters")
	}
	return nil
}

// TooLarge is the 400 for a parameter over a size limit: "Invalid Body: 1601
// characters; the maximum is 1600 characters".
func TooLarge(code int, param string, size, max int, unit string) *Error {
	return Fail(KindInvalid, code, "Invalid %s: %d %s; the maximum is %d %s", param, size, unit, max, unit)
}

// JSONDepth returns how deeply the objects and arrays of JSON text nest
// ("{}" is 1, "1" is 0), scanning no further once limit is exceeded. Brackets
// inside strings do not count; text need not be valid JSON.
func JSONDepth(text string, limit int) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > deepest {
				if deepest = depth; deepest > limit {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
