package taskrouter

import (
	"net/url"
	"strings"
	"testing"
)

// limitsWorkspace makes a workspace with one queue and returns its path and the queue SID.
func limitsWorkspace(c apiClient) (string, string) {
	ws := c.call("POST", "/v1/Workspaces", url.Values{"FriendlyName": {"Limits"}}, 201)
	base := "/v1/Workspaces/" + ws["sid"].(string)
	q := c.call("POST", base+"/TaskQueues", url.Values{"FriendlyName": {"Everyone"}}, 201)
	return base, q["sid"].(string)
}

// TestTimeoutLimits: seconds parameters past their documented maximum, or
// past int range, are 400s naming the parameter and the range.
func TestTimeoutLimits(t *testing.T) {
	srv, _ := apiServer(t)
	c := apiClient{t, srv}
	base, q := limitsWorkspace(c)
	wf := c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"},
		"Configuration": {`{"task_routing":{"default_filter":{"queue":"` + q + `"}}}`}}, 201)["sid"].(string)
	target := func(timeout string) url.Values {
		return url.Values{"FriendlyName": {"T"}, "Configuration": {`{"task_routing":{"filters":[{"expression":"1==1",` +
			`"targets":[{"queue":"` + q + `","timeout":` + timeout + `}]}]}}`}}
	}
	cases := []struct {
		path string
		form url.Values
		want string // message substring; "" for success
	}{
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Timeout": {"9223372036854775808"}}, "Invalid Timeout: 9223372036854775808 is out of range [1, 1209600]"},
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Timeout": {"1209601"}}, "Invalid Timeout: 1209601 is out of range [1, 1209600]"},
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Timeout": {"-1"}}, "Invalid Timeout: -1 is out of range [1, 1209600]"},
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Timeout": {"1209600"}}, ""},
		{base + "/Workflows", url.Values{"FriendlyName": {"R"}, "Configuration": {`{"task_routing":{"default_filter":{"queue":"` + q + `"}}}`},
			"TaskReservationTimeout": {"99999999999999999999"}}, "Invalid TaskReservationTimeout: 99999999999999999999 is out of range [1, 86400]"},
		{base + "/Workflows", target("9223372036854775807"), "timeout: 9223372036854775807 is out of range"},
		{base + "/Workflows", target("1e400"), "timeout: 1e400 is out of range"},
		{base + "/Workflows", target("1209601"), "timeout 1209601 is out of range [1, 1209600] seconds"},
		{base + "/Workflows", target("1209600"), ""},
	}
	for _, tc := range cases {
		if tc.want == "" {
			c.call("POST", tc.path, tc.form, 201)
			continue
		}
		e := c.call("POST", tc.path, tc.form, 400)
		if msg, _ := e["message"].(string); e["code"] != float64(20001) || !strings.Contains(msg, tc.want) {
			t.Errorf("POST %s %v: %v, want %q", tc.path, tc.form, e, tc.want)
		}
	}
}

// deepJSON is a JSON object n levels deep.
func deepJSON(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// TestJSONLimits: task and worker Attributes and workflow Configuration
// nested too deep to render again are refused naming the parameter, and the
// lists keep answering 200.
func TestJSONLimits(t *testing.T) {
	srv, _ := apiServer(t)
	c := apiClient{t, srv}
	base, q := limitsWorkspace(c)
	wf := c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"},
		"Configuration": {`{"task_routing":{"default_filter":{"queue":"` + q + `"}}}`}}, 201)["sid"].(string)
	task := c.call("POST", base+"/Tasks", url.Values{"WorkflowSid": {wf}}, 201)["sid"].(string)
	worker := c.call("POST", base+"/Workers", url.Values{"FriendlyName": {"w"}}, 201)["sid"].(string)
	cases := []struct {
		path string
		form url.Values
		want string
	}{
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Attributes": {deepJSON(9999)}}, "Invalid Attributes"},
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Attributes": {deepJSON(33)}}, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{base + "/Tasks/" + task, url.Values{"Attributes": {deepJSON(40)}}, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{base + "/Workers", url.Values{"FriendlyName": {"x"}, "Attributes": {deepJSON(40)}}, "Invalid Attributes: JSON is nested more than 32 levels deep"},
		{base + "/Workers/" + worker, url.Values{"Attributes": {deepJSON(9999)}}, "Invalid Attributes"},
		{base + "/Workflows", url.Values{"FriendlyName": {"D"}, "Configuration": {`{"task_routing":{"default_filter":{"queue":"` + q + `"}},"x":` + deepJSON(40) + `}`}},
			"Invalid Configuration: JSON is nested more than 32 levels deep"},
	}
	for _, tc := range cases {
		e := c.call("POST", tc.path, tc.form, 400)
		if msg, _ := e["message"].(string); e["code"] != float64(20001) || !strings.Contains(msg, tc.want) {
			t.Errorf("POST %s: %v, want %q", tc.path, e, tc.want)
		}
	}
	c.call("POST", base+"/Tasks", url.Values{"WorkflowSid": {wf}, "Attributes": {deepJSON(32)}}, 201)
	for _, list := range []string{"/Tasks", "/Workers", "/Workflows"} {
		c.call("GET", base+list, nil, 200)
	}
}

// TestSizeLimits: Task and Worker Attributes over TaskRouter's documented
// 4,096 characters and a workflow Configuration over 1 MiB are refused
// naming the parameter; values at the limit pass.
func TestSizeLimits(t *testing.T) {
	srv, _ := apiServer(t)
	c := apiClient{t, srv}
	base, q := limitsWorkspace(c)
	config := `{"task_routing":{"default_filter":{"queue":"` + q + `"}}}`
	wf := c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"}, "Configuration": {config}}, 201)["sid"].(string)
	task := c.call("POST", base+"/Tasks", url.Values{"WorkflowSid": {wf}}, 201)["sid"].(string)
	worker := c.call("POST", base+"/Workers", url.Values{"FriendlyName": {"w"}}, 201)["sid"].(string)
	attrs := func(chars int, fill string) string { return `{"a":"` + strings.Repeat(fill, chars-8) + `"}` }
	padded := func(n int) string {
		return config[:len(config)-1] + `,"pad":"` + strings.Repeat("x", n-len(config)-9) + `"}`
	}
	cases := []struct {
		path   string
		form   url.Values
		status int
		want   string
	}{
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Attributes": {attrs(4096, "é")}}, 201, ""},
		{base + "/Tasks", url.Values{"WorkflowSid": {wf}, "Attributes": {attrs(4097, "x")}}, 400, "Invalid Attributes: 4097 characters; the maximum is 4096 characters"},
		{base + "/Tasks/" + task, url.Values{"Attributes": {attrs(4097, "é")}}, 400, "Invalid Attributes: 4097 characters; the maximum is 4096 characters"},
		{base + "/Workers", url.Values{"FriendlyName": {"x"}, "Attributes": {attrs(4096, "x")}}, 201, ""},
		{base + "/Workers/" + worker, url.Values{"Attributes": {attrs(5000, "x")}}, 400, "Invalid Attributes: 5000 characters; the maximum is 4096 characters"},
		{base + "/Workflows", url.Values{"FriendlyName": {"Big"}, "Configuration": {padded(1 << 20)}}, 201, ""},
		{base + "/Workflows", url.Values{"FriendlyName": {"Bigger"}, "Configuration": {padded(1<<20 + 1)}}, 400,
			"Invalid Configuration: 1048577 bytes; the maximum is 1048576 bytes"},
	}
	for _, tc := range cases {
		e := c.call("POST", tc.path, tc.form, tc.status)
		if msg, _ := e["message"].(string); tc.want != "" && (e["code"] != float64(20001) || !strings.Contains(msg, tc.want)) {
			t.Errorf("POST %s: %v, want %q", tc.path, e, tc.want)
		}
	}
}
