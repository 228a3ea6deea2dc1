package conversations

import (
	"strings"
	"testing"
	"time"
)

// TestTimerLimits: timers outside [minimum, 365 days], overflow included,
// are refused on every path with a 400 naming the parameter and the bound.
func TestTimerLimits(t *testing.T) {
	srv, e, _ := apiServer(t)
	conv := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	cases := []struct {
		param, value string
		want         string // message substring; "" for success
	}{
		{"Timers.Inactive", "P106752D", "Invalid Timers.Inactive: P106752D is longer than the maximum of 365 days"},
		{"Timers.Inactive", "PT9223372036854775807S", "Invalid Timers.Inactive: PT9223372036854775807S is longer than the maximum of 365 days"},
		{"Timers.Closed", "P99999999999999999999D", "Invalid Timers.Closed: P99999999999999999999D is longer than the maximum of 365 days"},
		{"Timers.Closed", "PT8761H", "Invalid Timers.Closed: PT8761H is longer than the maximum of 365 days"},
		{"Timers.Inactive", "-PT5M", "Invalid Timers.Inactive: \"-PT5M\" is negative"},
		{"Timers.Inactive", "PT59S", "Invalid Timers.Inactive: PT59S is shorter than the minimum of 1 minute"},
		{"Timers.Closed", "PT9M", "Invalid Timers.Closed: PT9M is shorter than the minimum of 10 minutes"},
		{"DefaultInactiveTimer", "P106752D", "Invalid DefaultInactiveTimer: P106752D is longer than the maximum of 365 days"},
		{"DefaultClosedTimer", "P366D", "Invalid DefaultClosedTimer: P366D is longer than the maximum of 365 days"},
		{"Timers.Inactive", "PT1M", ""},
		{"Timers.Inactive", "P365D", ""},
		{"Timers.Closed", "PT10M", ""},
		{"Timers.Closed", "P52WT24H", ""},
		{"DefaultClosedTimer", "P365D", ""},
	}
	for _, tc := range cases {
		paths := []string{"/v1/Conversations", "/v1/Conversations/" + conv}
		if strings.HasPrefix(tc.param, "Default") {
			paths = []string{"/v1/Configuration"}
		}
		for _, path := range paths {
			status, body := call(t, srv, "POST", path, encodeQuery(tc.param, tc.value))
			if tc.want == "" {
				if status >= 300 {
					t.Errorf("%s %s=%s: %d %v", path, tc.param, tc.value, status, body)
				}
				continue
			}
			if msg, _ := body["message"].(string); status != 400 || body["code"] != float64(20001) || !strings.Contains(msg, tc.want) {
				t.Errorf("%s %s=%s: %d %v, want 400/20001 %q", path, tc.param, tc.value, status, body, tc.want)
			}
		}
	}
	// The engine API bounds timers too (pre-event overrides and fixtures come this way).
	long := 366 * 24 * time.Hour
	if _, err := e.CreateConversation(CreateConversationParams{Timers: TimerParams{Closed: &long}}); err == nil ||
		!strings.Contains(err.Error(), "Timers.Closed: PT8784H is longer than the maximum of 365 days") {
		t.Errorf("engine create with a 366-day timer: %v", err)
	}
	if _, err := e.UpdateConfiguration(UpdateConfigurationParams{DefaultInactiveTimer: &long}); err == nil ||
		!strings.Contains(err.Error(), "DefaultInactiveTimer") {
		t.Errorf("engine configuration with a 366-day timer: %v", err)
	}
}

// nested is a JSON object n levels deep.
func nested(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// TestAttributesLimits: Attributes nested too deep to render again are
// refused on every resource that stores them, on create and update, and the
// lists keep answering 200.
func TestAttributesLimits(t *testing.T) {
	srv, _, _ := apiServer(t)
	conv := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	part := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+conv+"/Participants", encodeQuery("Identity", "alice"))["sid"].(string)
	msg := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+conv+"/Messages", encodeQuery("Body", "hi"))["sid"].(string)
	user := mustCall(t, srv, 201, "POST", "/v1/Users", encodeQuery("Identity", "bob"))["sid"].(string)
	type target struct{ create, update, list string }
	targets := map[string]target{
		"conversation": {"/v1/Conversations", "/v1/Conversations/" + conv, "/v1/Conversations"},
		"participant":  {"/v1/Conversations/" + conv + "/Participants", "/v1/Conversations/" + conv + "/Participants/" + part, "/v1/Conversations/" + conv + "/Participants"},
		"message":      {"/v1/Conversations/" + conv + "/Messages", "/v1/Conversations/" + conv + "/Messages/" + msg, "/v1/Conversations/" + conv + "/Messages"},
		"user":         {"/v1/Users", "/v1/Users/" + user, "/v1/Users"},
	}
	cases := []struct {
		resource, attrs string
		status, code    int
		want            string
	}{
		{"conversation", nested(9999), 400, 0, "Invalid Attributes"}, // over the size limit too
		{"message", nested(9999), 400, 0, "Invalid Attributes"},
		{"conversation", nested(40), 400, 20001, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{"participant", nested(33), 400, 20001, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{"message", nested(40), 400, 20001, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{"user", nested(40), 400, 20001, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{"conversation", nested(32), 201, 0, ""},
		{"message", `"` + strings.Repeat("[", 4000) + `"`, 201, 0, ""}, // brackets in a string are text
	}
	n := 0
	for _, tc := range cases {
		tg := targets[tc.resource]
		for _, path := range []string{tg.create, tg.update} {
			form := encodeQuery("Attributes", tc.attrs)
			if path == tg.create {
				n++
				switch tc.resource {
				case "participant":
					form.Set("Identity", "p"+strings.Repeat("x", n))
				case "user":
					form.Set("Identity", "u"+strings.Repeat("x", n))
				case "message":
					form.Set("Body", "b")
				}
			}
			status, body := call(t, srv, "POST", path, form)
			want := tc.status
			if path == tg.update && want == 201 {
				want = 200
			}
			if msg, _ := body["message"].(string); status != want || (tc.want != "" && ((tc.code != 0 && body["code"] != float64(tc.code)) || !strings.Contains(msg, tc.want))) {
				t.Errorf("POST %s (%s): %d %.300v, want %d %d %q", path, tc.resource, status, body, want, tc.code, tc.want)
			}
			if status, body := call(t, srv, "GET", tg.list, nil); status != 200 {
				t.Fatalf("GET %s: %d %.300v", tg.list, status, body)
			}
		}
	}
}

// attrsOf is a JSON object of exactly n bytes.
func attrsOf(n int) string { return `{"a":"` + strings.Repeat("x", n-8) + `"}` }

// TestSizeLimits: Attributes and Body over Twilio's documented sizes are
// 400s with Twilio's codes (50303 conversation attributes, 50504 body,
// 20001 otherwise); values at the limit pass.
func TestSizeLimits(t *testing.T) {
	srv, _, _ := apiServer(t)
	chat := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	sms := mustCall(t, srv, 201, "POST", "/v1/Conversations", nil)["sid"].(string)
	mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sms+"/Participants",
		encodeQuery("MessagingBinding.Address", "+15550001111", "MessagingBinding.ProxyAddress", "+15550002222"))
	smsMsg := mustCall(t, srv, 201, "POST", "/v1/Conversations/"+sms+"/Messages", encodeQuery("Body", "hi"))["sid"].(string)
	cases := []struct {
		name, path string
		form       []string
		code       int // 0: success
		want       string
	}{
		{"conversation attributes 16 KB", "/v1/Conversations", []string{"Attributes", attrsOf(16384)}, 0, ""},
		{"conversation attributes over 16 KB", "/v1/Conversations", []string{"Attributes", attrsOf(16385)}, 50303,
			"Invalid Attributes: 16385 bytes; the maximum is 16384 bytes"},
		{"conversation attributes update over 16 KB", "/v1/Conversations/" + chat, []string{"Attributes", attrsOf(16385)}, 50303, "16384 bytes"},
		{"user attributes 16 KB", "/v1/Users", []string{"Identity", "u1", "Attributes", attrsOf(16384)}, 0, ""},
		{"user attributes over 16 KB", "/v1/Users", []string{"Identity", "u2", "Attributes", attrsOf(16385)}, 20001, "16384 bytes"},
		{"participant attributes 4 KB", "/v1/Conversations/" + chat + "/Participants", []string{"Identity", "p1", "Attributes", attrsOf(4096)}, 0, ""},
		{"participant attributes over 4 KB", "/v1/Conversations/" + chat + "/Participants", []string{"Identity", "p2", "Attributes", attrsOf(4097)}, 20001,
			"Invalid Attributes: 4097 bytes; the maximum is 4096 bytes"},
		{"message attributes 4 KB", "/v1/Conversations/" + chat + "/Messages", []string{"Body", "b", "Attributes", attrsOf(4096)}, 0, ""},
		{"message attributes over 4 KB", "/v1/Conversations/" + chat + "/Messages", []string{"Body", "b", "Attributes", attrsOf(4097)}, 20001, "4096 bytes"},
		{"chat body 32 KB", "/v1/Conversations/" + chat + "/Messages", []string{"Body", strings.Repeat("x", 32768)}, 0, ""},
		{"chat body over 32 KB", "/v1/Conversations/" + chat + "/Messages", []string{"Body", strings.Repeat("x", 32769)}, 50504,
			"Invalid Body: 32769 bytes; the maximum is 32768 bytes"},
		{"sms body 1,600 characters", "/v1/Conversations/" + sms + "/Messages", []string{"Body", strings.Repeat("é", 1600)}, 0, ""},
		{"sms body 1,601 characters", "/v1/Conversations/" + sms + "/Messages", []string{"Body", strings.Repeat("x", 1601)}, 50504,
			"Invalid Body: 1601 characters; the maximum is 1600 characters in a conversation with SMS participants"},
		{"sms body update 1,601 characters", "/v1/Conversations/" + sms + "/Messages/" + smsMsg, []string{"Body", strings.Repeat("x", 1601)}, 50504, "1600 characters"},
	}
	for _, tc := range cases {
		status, body := call(t, srv, "POST", tc.path, encodeQuery(tc.form...))
		if tc.code == 0 {
			if status >= 300 {
				t.Errorf("%s: %d %.300v", tc.name, status, body)
			}
			continue
		}
		if msg, _ := body["message"].(string); status != 400 || body["code"] != float64(tc.code) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %.300v, want 400/%d %q", tc.name, status, body, tc.code, tc.want)
		}
	}
}
