package twilio

import (
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	type shape struct {
		A int `json:"a"`
	}
	for _, tc := range []struct {
		in, wantErr string
	}{
		{`{"a":1}`, ""},
		{" {\"a\":1}\n", ""},
		{`{"a":1,"b":2}`, "unknown field"},
		{`{"a":1} {}`, "trailing data"},
		{`{"a":1} }`, "trailing data"},
		{`{"a":"x"}`, "cannot unmarshal"},
		{`{"a":`, "unexpected EOF"},
	} {
		var v shape
		err := DecodeStrict([]byte(tc.in), &v)
		if tc.wantErr == "" {
			if err != nil || v.A != 1 {
				t.Errorf("DecodeStrict(%q) = %v, %+v; want a=1", tc.in, err, v)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("DecodeStrict(%q) = %v; want an error with %q", tc.in, err, tc.wantErr)
		}
	}
}
