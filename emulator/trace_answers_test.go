package emulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/fixtures"
)

// What a flow does after an HTTP widget's answer (here: Send to Flex, the
// task, the reservation) is part of the customer message's trace: the
// answer is acted on as part of the delivery's cause, not of whatever holds
// the account lock when it arrives.
func TestTraceFollowsAnHTTPWidgetsAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"queue":"sales"}`))
	}))
	t.Cleanup(srv.Close)
	f, err := fixture.Parse("default.yaml", []byte(strings.Replace(string(fixtures.Default),
		"            - { event: incomingConversationMessage, next: SendConversationToAgent }",
		"            - { event: incomingConversationMessage, next: lookup }", 1)+`
`))
	if err != nil {
		t.Fatal(err)
	}
	def := f.StudioFlows[0].Definition
	text := strings.Replace(def.Text, `"states":[`, `"states":[{"name":"lookup","type":"make-http-request","transitions":[`+
		`{"event":"success","next":"SendConversationToAgent"},{"event":"failed"}],"properties":{"method":"GET","url":"`+
		srv.URL+`/crm","content_type":"application/x-www-form-urlencoded;charset=utf-8","offset":{"x":0,"y":100}}},`, 1)
	if text == def.Text {
		t.Fatalf("definition not in the expected JSON form: %.200s", def.Text)
	}
	f.StudioFlows[0].Definition.Text = text
	emu := emulatortest.Run(t, emulator.WithFixture(f))
	tr, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, e := range tr.Entries {
		types[e.Type] = true
	}
	for _, want := range []string{"execution.waiting", "task.created", "reservation.created"} {
		if !types[want] {
			t.Errorf("trace lacks %s: %v", want, types)
		}
	}
	if len(tr.Pending) != 0 {
		t.Errorf("pending %v", tr.Pending)
	}
}
