package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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
		// The forged token that once panicked under the account lock and wedged it.
		{"GET", "/taskrouter/v1/Workspaces?PageToken=PT9223372036854775807", ""},
		{"GET", "/conversations/v1/Conversations?PageSize=50&Page=9223372036854775807&PageToken=PT1", ""},
		{"GET", "/studio/v2/Flows?PageSize=-1&PageToken=PT-9", ""},
		{"POST", "/conversations/v1/Conversations", "Timers.Inactive=P106752D&Timers.Closed=PT9223372036854775807S"},
		{"POST", "/taskrouter/v1/Workspaces/WS0a1b2c3d4e5f60718293a4b5c6d7e8f9/Tasks", "Timeout=9223372036854775807&Priority=-9223372036854775808"},
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
		serveFuzzed(t, h, method, path, body)
		// The fuzzer rarely invents a page token or a number near the
		// integer limits on its own: try every input again with them.
		hp, hb := hugeNumbers(method, path, body)
		serveFuzzed(t, h, method, hp, hb)
	})
}

// hugeNumbers rewrites every numeric parameter of a request (query and form
// body) to a number at the int64 limit, every page token to an overflowing
// one, and adds paging parameters to GETs.
func hugeNumbers(method, path, body string) (string, string) {
	huge := func(raw string) string {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return raw
		}
		for k, vs := range vals {
			for i, v := range vs {
				if _, err := strconv.ParseFloat(v, 64); err == nil {
					vs[i] = "9223372036854775807"
				} else if strings.HasPrefix(v, "PT") {
					vs[i] = "PT9223372036854775807"
				}
			}
			vals[k] = vs
		}
		if method == "GET" {
			vals.Set("PageToken", "PT9223372036854775807")
			vals.Set("PageSize", "9223372036854775807")
			vals.Set("Page", "9223372036854775807")
		}
		return vals.Encode()
	}
	p, q, _ := strings.Cut(path, "?")
	if strings.HasPrefix(body, "{") {
		return p + "?" + huge(q), body
	}
	return p + "?" + huge(q), huge(body)
}

func serveFuzzed(t *testing.T, h http.Handler, method, path, body string) {
	{
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
	}
}
