package flex

import (
	"math"
	"slices"
	"strconv"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// appendJSON appends v as encoding/json.Marshal encodes it, byte for byte,
// for the values decodesTo accepts (maps, lists, valid UTF-8 strings,
// finite float64, bool, nil): keys sorted, HTML characters and U+2028/9
// escaped, floats formatted as encoding/json formats them. It saves the
// reflection of json.Marshal on every task Flex creates.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return twilio.AppendJSONString(b, x)
	case float64:
		return appendJSONFloat(b, x)
	case map[string]any:
		var small [16]string
		keys := small[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = twilio.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendJSON(b, x[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	}
	panic("flex: appendJSON of a value decodesTo refuses")
}

// appendJSONFloat is encoding/json's float64 encoding (finite values).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
