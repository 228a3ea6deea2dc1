package flex

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// TestDecodesTo checks that decodesTo holds exactly when marshalling and
// decoding again gives a deeply equal value, so TaskRouter may keep the map.
func TestDecodesTo(t *testing.T) {
	var user map[string]any
	if err := json.Unmarshal([]byte(`{"name":"Ann","n":1.5,"big":1e300,"neg":-0,"ok":true,"nil":null,"l":[1,"<&>",{"x":[]}],"customers":{"email":"a@b"},"é":"ü"}`), &user); err != nil {
		t.Fatal(err)
	}
	conv := ConversationInfo{SID: "CH1", CustomerAddress: "whatsapp:+15550001"}
	ch := ChannelParams{Type: "whatsapp", InitiatedBy: "customer"}
	attrs := mergeAttributes(flexAttributes(conv, ch), user)
	setSIDAttributes(attrs, "CH1", "KD1", "UO1", "KG1")
	cases := []struct {
		v    any
		want bool
	}{
		{attrs, true},
		{map[string]any{}, true},
		{map[string]any{"a": "\xff"}, false},
		{map[string]any{"\xff": "a"}, false},
		{map[string]any{"a": 1}, false},
		{map[string]any{"a": math.Inf(1)}, false},
		{map[string]any{"a": map[string]any(nil)}, false},
		{map[string]any{"a": []any(nil)}, false},
		{map[string]any{"a": []string{"x"}}, false},
	}
	for i, c := range cases {
		if got := decodesTo(c.v); got != c.want {
			t.Errorf("case %d: decodesTo = %v, want %v", i, got, c.want)
		}
		if !c.want {
			continue
		}
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c.v) {
			t.Errorf("case %d: %s decodes to %#v, not %#v", i, b, back, c.v)
		}
	}
}
