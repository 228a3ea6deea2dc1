package steps

import (
	"encoding/json"
	"fmt"
	"strings"
)

// attribute reads a dotted key ("customers.phone") from JSON attributes text.
func attribute(text, key string) (string, bool) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return "", false
	}
	for _, part := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[part]; !ok {
			return "", false
		}
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	return fmt.Sprint(v), true
}
