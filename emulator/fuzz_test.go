package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator"
)

// FuzzServer sends arbitrary requests through the whole server (every
// product, the control API) and checks the wire promise: never a panic or a
// 500, and every error is Twilio's error JSON whose status matches HTTP's.
func FuzzServer(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9/Tasks", "Attributes=%7B%22a%22%3A1%7D&TaskChannel=chat"},
		{"POST", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9/Workflows", "FriendlyName=x&Configuration=%7B%7D"},
		{"POST", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9/TaskQueues", "FriendlyName=q&TargetWorkers=skills+HAS"},
		{"GET", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9/Workers?TargetWorkersExpression=(((", ""},
		{"POST", "/conversations/v1/Conversations", "Attributes=%5B&UniqueName=u"},
		{"POST", "/conversations/v1/Configuration/Addresses", "Type=whatsapp&Address=whatsapp%3A%2B1&AutoCreation.Enabled=true&AutoCreation.Type=studio"},
		{"POST", "/flex-api/v1/Interactions", "Channel=%7B%22type%22%3A%22sms%22%7D&Routing=%7B%7D"},
		{"POST", "/studio/v2/Flows", "FriendlyName=f&Status=published&Definition=%7B%22states%22%3A%5B%5D%7D"},
		{"POST", "/studio/v2/Flows/Validate", "FriendlyName=f&Status=draft&Definition=nope"},
		{"POST", "/emulator/v1/inbound", `{"body":"hi","to":"whatsapp:+14155238886"}`},
		{"POST", "/emulator/v1/clock/advance", `{"duration":"-5s"}`},
		{"GET", "/emulator/v1/conversations/CHx/messages?after=-1&wait=1ms", ""},
		{"DELETE", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	emu, err := emulator.New()
	if err != nil {
		f.Fatal(err)
	}
	defer emu.Close()
	h := emu.Handler()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		switch method {
		case "GET", "POST", "DELETE":
		default:
			return
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") || len(body) > 1<<16 {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:7070"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		if strings.HasPrefix(path, "/emulator/") && strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q → %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasSuffix(path, "/stream") {
			var e struct {
				Code     int    `json:"code"`
				Message  string `json:"message"`
				MoreInfo string `json:"more_info"`
				Status   int    `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Status != rec.Code || e.Code == 0 || e.Message == "" || e.MoreInfo == "" {
				t.Fatalf("%s %s %q → %d with a non-Twilio error body %q", method, path, body, rec.Code, rec.Body)
			}
		}
	})
}
