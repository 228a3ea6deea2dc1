package studio

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

type opaque struct{ n int }

func TestFrozenRoundTrip(t *testing.T) {
	long := strings.Repeat("x", inlineString+1)
	var nilMap map[string]any
	var nilList []any
	m := map[string]any{
		"nil": nil, "t": true, "f": false, "s": "héllo <&>", "empty": "", "long": long,
		"float": 3.25, "negzero": math.Copysign(0, -1), "neginf": math.Inf(-1), "big": 12345678901234567.0,
		"int": 200, "negint": -7, "int64": int64(math.MaxInt64), "num": json.Number("1e400"),
		"map": map[string]any{"k": map[string]any{}, "l": []any{}}, "nilmap": nilMap, "nillist": nilList,
		"list":  []any{1.0, "x", nil, []any{true}, map[string]any{"a": "b"}},
		"other": []string{"kept"}, "ptr": &opaque{3}, "ints": map[string]string{"a": "b"},
		"": "empty key", strings.Repeat("k", 300): "long key",
	}
	f := freeze(m)
	got := f.thaw()
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("thaw = %#v\nwant %#v", got, m)
	}
	if got["long"].(string) != long || len(f.strs) != 1 {
		t.Errorf("long strings should be shared, strs = %d", len(f.strs))
	}
	if got["ptr"] != m["ptr"] {
		t.Errorf("values of unknown types should be shared")
	}
	// Thawing again gives another, independent copy.
	got["map"].(map[string]any)["k"] = "changed"
	if again := f.thaw(); !reflect.DeepEqual(again, m) {
		t.Errorf("thaw after changing a thawed copy = %#v", again)
	}
	if freeze(nil) != nil || freeze(map[string]any{}) != nil {
		t.Errorf("empty maps should freeze to nil")
	}
	if got := (*frozen)(nil).thaw(); got == nil || len(got) != 0 {
		t.Errorf("nil thaws to %#v, want an empty map", got)
	}
}
