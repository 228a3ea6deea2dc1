package flex

import (
	"encoding/json"
	"math"
	"math/rand/v2"
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
	attrs := mergeAttributes(flexAttributes(conv, ch, len(user)+4), user)
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

// TestAppendJSONMatchesMarshal checks the hand-written encoder byte for byte
// against encoding/json.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	var all []byte
	for c := 0; c < 128; c++ {
		all = append(all, byte(c))
	}
	strs := []string{"", "plain", string(all), "é ü 日本 😀", "\u2028\u2029\u2027\u202a", "<a href=\"x\">&amp;</a>", "\\\"", "\x7f\u0080"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 1.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789012345678901234.0,
		-1e-300, 1e300, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1, 1.0 / 3, 3600, 2147483647, 1e-10, 5e-324}
	var vals []any
	for _, s := range strs {
		vals = append(vals, s, map[string]any{s: s})
	}
	for _, f := range floats {
		vals = append(vals, f, []any{f, -f})
	}
	vals = append(vals, nil, true, false, map[string]any{}, []any{}, map[string]any{"b": 1.0, "a": []any{nil, "x", map[string]any{"z": false, "y": true}}, "": "empty"})
	var user any
	_ = json.Unmarshal([]byte(`{"name":"Ann","k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"l":[1,{"a":"<b>"}]}`), &user)
	vals = append(vals, user)
	for i, v := range vals {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !decodesTo(v) {
			if _, isMap := v.(map[string]any); isMap {
				t.Errorf("case %d: decodesTo refuses %#v", i, v)
			}
		}
		if got := appendJSON(nil, v); string(got) != string(want) {
			t.Errorf("case %d: appendJSON = %s, want %s", i, got, want)
		}
	}
}

func TestAppendJSONRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{0, 1, 8, 9, 10, 12, 13, 31, ' ', '"', '\\', '/', '<', '>', '&', 'a', 'Z', 0x7f, 0x80, 0xe9, 0x2028, 0x2029, 0xfeff, 0xfffd, 0x1f600}
	for i := 0; i < 2000; i++ {
		rs := make([]rune, rng.IntN(12))
		for j := range rs {
			rs[j] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(rs)
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
		}
		v := map[string]any{s: []any{s, f, map[string]any{"k": s}}}
		want, _ := json.Marshal(v)
		if got := appendJSON(nil, v); string(got) != string(want) {
			t.Fatalf("appendJSON = %s, want %s", got, want)
		}
	}
}
