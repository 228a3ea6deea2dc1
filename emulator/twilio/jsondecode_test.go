package twilio

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeValidJSONMatchesUnmarshal compares DecodeValidJSON with
// encoding/json on valid texts of every kind (the taskrouter attribute tests
// cover objects in depth).
func TestDecodeValidJSONMatchesUnmarshal(t *testing.T) {
	for _, text := range []string{`null`, `true`, ` false `, `0`, `-1.5e3`, `"x\u00e9\n"`, "\"\xff\"", `[]`, `[1,[2,{}]]`, `{}`,
		`{"a":1,"a":2}`, `{"k":{"n":null,"l":[true,"<&>"]}}`, `1e400`, `{"big":-1e999}`} {
		if !json.Valid([]byte(text)) {
			t.Fatalf("%s is not valid", text)
		}
		var want any
		wantErr := json.Unmarshal([]byte(text), &want)
		got, ok := DecodeValidJSON(text)
		if ok != (wantErr == nil) || (ok && !reflect.DeepEqual(got, want)) {
			t.Errorf("DecodeValidJSON(%s) = %#v, %v; encoding/json: %#v, %v", text, got, ok, want, wantErr)
		}
	}
}
