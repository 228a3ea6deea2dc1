package twilio

import (
	"encoding/json"
	"testing"
)

// AppendJSONString writes encoding/json's bytes for every single byte, the
// runes it treats specially, and invalid UTF-8.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", "é 💬", "\u2028\u2029", "a\xffb", "\xe2\x82", "<a href=\"x\">&amp;</a>", "tab\tnl\nbs\bff\f\\"}
	for c := 0; c < 256; c++ {
		cases = append(cases, "x"+string(rune(c))+"y", "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := AppendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
