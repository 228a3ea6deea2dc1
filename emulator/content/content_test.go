package content

import (
	"encoding/json"
	"testing"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

func TestEngine(t *testing.T) {
	e, _ := env.ForTest()
	c := New(e)
	a, err := c.Create(CreateParams{FriendlyName: "menu", Language: "en", Variables: map[string]string{"1": "name"},
		Types: json.RawMessage(`{ "twilio/quick-reply": {"body": "Hi {{1}}?", "actions": [{"title": "Yes"}]},
		"twilio/text": {"body": "Hi {{1}}"} }`)})
	if err != nil {
		t.Fatal(err)
	}
	if !twilio.IsSID(a.SID, "HX") || a.AccountSID != e.AccountSID || a.Body() != "Hi {{1}}" ||
		string(a.Types) != `{"twilio/quick-reply":{"body":"Hi {{1}}?","actions":[{"title":"Yes"}]},"twilio/text":{"body":"Hi {{1}}"}}` {
		t.Fatalf("created %+v body %q types %s", a, a.Body(), a.Types)
	}
	// Without twilio/text, the first type with a body.
	b, err := c.Create(CreateParams{SID: "HX0123456789abcdef0123456789abcdef", Language: "es",
		Types: json.RawMessage(`{"twilio/media":{"media":["https://x/y.png"]},"twilio/quick-reply":{"body":"¿Sí?","actions":[]}}`)})
	if err != nil || b.Body() != "¿Sí?" {
		t.Fatalf("second = %+v, %v", b, err)
	}
	if _, err := c.Create(CreateParams{SID: b.SID, Language: "es", Types: json.RawMessage(`{"twilio/text":{"body":"x"}}`)}); err == nil {
		t.Fatal("duplicate SID accepted")
	}
	if l := c.List(); len(l) != 2 || l[0].SID != b.SID {
		t.Fatalf("list = %v (newest first)", l)
	}
	up, err := c.Update(a.SID, CreateParams{FriendlyName: "menu2", Language: "en", Types: json.RawMessage(`{"twilio/text":{"body":"Hello"}}`)})
	if err != nil || up.FriendlyName != "menu2" || up.Body() != "Hello" || len(up.Variables) != 0 {
		t.Fatalf("update = %+v, %v", up, err)
	}
	if err := c.Delete(a.SID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Template(a.SID); twilio.AsError(err).Status != 404 {
		t.Fatalf("after delete: %v", err)
	}
	if err := c.Delete(a.SID); twilio.AsError(err).Status != 404 {
		t.Fatalf("second delete: %v", err)
	}

	for name, p := range map[string]CreateParams{
		"no language":   {Types: json.RawMessage(`{"twilio/text":{"body":"x"}}`)},
		"no types":      {Language: "en"},
		"empty types":   {Language: "en", Types: json.RawMessage(`{}`)},
		"types array":   {Language: "en", Types: json.RawMessage(`[]`)},
		"unknown type":  {Language: "en", Types: json.RawMessage(`{"twilio/sticker":{}}`)},
		"type not obj":  {Language: "en", Types: json.RawMessage(`{"twilio/text":"x"}`)},
		"text no body":  {Language: "en", Types: json.RawMessage(`{"twilio/text":{}}`)},
		"bad SID":       {SID: "HX1", Language: "en", Types: json.RawMessage(`{"twilio/text":{"body":"x"}}`)},
		"null type obj": {Language: "en", Types: json.RawMessage(`{"twilio/text":null}`)},
	} {
		if _, err := c.Create(p); err == nil || twilio.AsError(err).Status != 400 {
			t.Errorf("%s: error %v, want a 400", name, err)
		}
	}
}
