package studio

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// nested is a JSON object n levels deep.
func nested(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// TestExecutionParametersLimits: Parameters that could not be rendered again
// (9,999 levels deep, the regression) or are over 64 KiB are refused at
// create with a 400 naming Parameters, and the Executions and Steps lists
// keep answering 200.
func TestExecutionParametersLimits(t *testing.T) {
	f, srv, _ := newAPI(t)
	fl := f.publish(t, `{"initial_state":"Trigger","states":[
	 {"name":"Trigger","type":"trigger","transitions":[{"event":"incomingRequest","next":"set"}]},
	 {"name":"set","type":"set-variables","transitions":[{"event":"next"}],
	  "properties":{"variables":[{"key":"who","value":"{{flow.data.a.a}}"}]}}]}`)
	base := srv.URL + "/v2/Flows/" + fl.SID + "/Executions"
	do := func(method, target string, form url.Values) (int, map[string]any) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "POST" {
			resp, err = http.PostForm(target, form)
		} else {
			resp, err = http.Get(target)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: %d %.200s", method, target, resp.StatusCode, raw)
		}
		return resp.StatusCode, m
	}
	cases := []struct {
		name, params string
		want         string // message substring; "" for success
	}{
		{"9,999 levels deep", nested(9999), "Invalid Parameters: JSON is nested more than 32 levels deep"},
		{"33 levels deep", nested(33), "Invalid Parameters: JSON is nested more than 32 levels deep"},
		{"over 64 KiB", `{"a":"` + strings.Repeat("x", 64<<10) + `"}`, "Invalid Parameters: 65544 bytes; the maximum is 65536 bytes"},
		{"32 levels deep", nested(32), ""},
		{"just under 64 KiB", `{"a":"` + strings.Repeat("x", 64<<10-8) + `"}`, ""},
	}
	for _, tc := range cases {
		status, body := do("POST", base, url.Values{"To": {"+15557654321"}, "From": {proxy}, "Parameters": {tc.params}})
		if tc.want == "" {
			if status != http.StatusCreated {
				t.Errorf("%s: %d %.200v", tc.name, status, body)
			}
		} else if msg, _ := body["message"].(string); status != 400 || body["code"] != float64(20001) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %.300v, want 400/20001 %q", tc.name, status, body, tc.want)
		}
		// Whatever was stored, every list still renders.
		status, list := do("GET", base, nil)
		if status != 200 {
			t.Fatalf("%s: Executions list %d %.300v", tc.name, status, list)
		}
		for _, ex := range list["executions"].([]any) {
			sid := ex.(map[string]any)["sid"].(string)
			if status, steps := do("GET", base+"/"+sid+"/Steps", nil); status != 200 {
				t.Fatalf("%s: Steps list of %s: %d %.300v", tc.name, sid, status, steps)
			}
			if status, ctx := do("GET", base+"/"+sid+"/Context", nil); status != 200 {
				t.Fatalf("%s: Context of %s: %d %.300v", tc.name, sid, status, ctx)
			}
		}
	}
}

// TestDefinitionDepthLimit: a flow definition nested too deep to be
// rendered again is refused, naming Definition.
func TestDefinitionDepthLimit(t *testing.T) {
	def := `{"initial_state":"Trigger","states":[{"name":"Trigger","type":"trigger","properties":{"x":` + nested(40) +
		`},"transitions":[]}]}`
	if _, err := ParseDefinition(def); err == nil || !strings.Contains(err.Error(), "Invalid Definition: JSON is nested more than 32 levels deep") {
		t.Errorf("deep definition: %v", err)
	}
}

// TestHTTPBodyDepth: a make-http-request answer nested too deep is not
// parsed into the context (which every list renders).
func TestHTTPBodyDepth(t *testing.T) {
	if m := parseJSONObject("application/json", nested(9999)); m != nil {
		t.Error("a 9,999-deep body was parsed")
	}
	if m := parseJSONObject("application/json", nested(3)); m == nil {
		t.Error("a 3-deep body was not parsed")
	}
}

// TestDefinitionSizeLimits: a definition over 1 MiB, or with more than
// Twilio's 2,000 widgets, is refused naming Definition.
func TestDefinitionSizeLimits(t *testing.T) {
	head := `{"initial_state":"Trigger","description":"`
	tail := `","states":[{"name":"Trigger","type":"trigger","transitions":[]}]}`
	if _, err := ParseDefinition(head + strings.Repeat("x", 1<<20-len(head)-len(tail)) + tail); err != nil {
		t.Errorf("1 MiB definition: %v", err)
	}
	if _, err := ParseDefinition(head + strings.Repeat("x", 1<<20-len(head)-len(tail)+1) + tail); err == nil ||
		!strings.Contains(err.Error(), "Invalid Definition: 1048577 bytes; the maximum is 1048576 bytes") {
		t.Errorf("1 MiB + 1 definition: %v", err)
	}
	states := func(n int) string {
		s := make([]string, n)
		s[0] = `{"name":"Trigger","type":"trigger","transitions":[]}`
		for i := 1; i < n; i++ {
			s[i] = `{"name":"s` + strconv.Itoa(i) + `","type":"set-variables","transitions":[{"event":"next"}],"properties":{"variables":[]}}`
		}
		return `{"initial_state":"Trigger","states":[` + strings.Join(s, ",") + `]}`
	}
	if _, err := ParseDefinition(states(2000)); err != nil {
		t.Errorf("2,000 widgets: %v", err)
	}
	if _, err := ParseDefinition(states(2001)); err == nil || !strings.Contains(err.Error(), "a flow is limited to 2000 widgets; this one has 2001") ||
		twilio.AsError(err).Status != 400 {
		t.Errorf("2,001 widgets: %v", err)
	}
}
