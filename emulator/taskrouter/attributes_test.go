package taskrouter

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// attributeSamples are JSON texts parseJSONObject must decode exactly as
// twilio.ParseJSONObject does, or refuse alike.
var attributeSamples = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":"b","c":[1,2.5,-3e2,"x",true,false,null,{"d":{}}],"e":{"f":[[]]}}`,
	`{"esc":"quote \" backslash \\ slash \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u0000","é":"ü"}`,
	`{"bad utf8":"` + "\xff\xfe" + `","` + "\xc3" + `":1}`, `{"lone":"\ud800"}`,
	`{"dup":1,"dup":2,"n":{"dup":"a","dup":"b"}}`, `{"big":1e308,"small":-1e-320,"int":12345678901234567890}`,
	"{\n\t\"ws\" :\r [ 1 , 2 ] \n}", `{"deep":{"a":{"b":{"c":[{"d":[1]}]}}}}`, `{"":""}`,
	`{"channelType":"whatsapp","conversations":{"media":[{"sid":"CH1","type":"ChatTranscript"}]}}`,
	// refused
	`{"huge":1e400}`, `{"neg":-1e999}`, `[]`, `[1]`, `null`, `"s"`, `1`, `true`, `{`, `{"a":}`, `{"a":1,}`,
	`{"a":1} x`, `{'a':1}`, ``, `   `, `{"a":"` + "\x01" + `"}`, strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40),
}

func TestParseJSONObjectMatchesEncodingJSON(t *testing.T) {
	for _, text := range attributeSamples {
		want, wantErr := twilio.ParseJSONObject("Attributes", text)
		got, err := parseJSONObject("Attributes", text)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%q: error %v, want %v", text, err, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %#v\nwant %#v", text, got, want)
		}
	}
}

func FuzzParseJSONObject(f *testing.F) {
	for _, s := range attributeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, wantErr := twilio.ParseJSONObject("Attributes", text)
		got, err := parseJSONObject("Attributes", text)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, want %v", text, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("%q:\n got %s\nwant %s", text, g, w)
		}
	})
}
