package taskrouter

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/internal/oaicheck"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// The contract test: every route in Routes() is exercised over HTTP on a
// realistic workspace, and every response is checked against the OpenAPI
// spec (testdata/twilio_taskrouter_v1.trimmed.json): the status code, every
// field name (no field the spec lacks, none it has missing), nested objects
// the spec describes, and JSON types. List endpoints are also called once
// per spec query parameter, so each documented filter is accepted. Adding
// a route, a field or a filter the spec does not know fails here.

func loadTaskRouterSpec(t *testing.T) *oaicheck.Doc {
	return oaicheck.MustLoad(t, "testdata/twilio_taskrouter_v1.trimmed.json")
}

// contractEnv is the realistic workspace the routes run against.
type contractEnv struct {
	t   *testing.T
	srv *httptest.Server
	e   *Engine
	ids map[string]string
	n   int
}

// do sends a request and returns the status and the decoded body.
func (ce *contractEnv) do(method, path string, form url.Values) (int, any, []byte) {
	ce.t.Helper()
	var body io.Reader
	if form != nil && method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		path += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, ce.srv.URL+path, body)
	if err != nil {
		ce.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ce.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			ce.t.Fatalf("%s %s: invalid JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode, v, raw
}

// post is do for setup steps that must succeed; it returns the new SID.
func (ce *contractEnv) post(path string, form url.Values) string {
	ce.t.Helper()
	status, v, raw := ce.do(http.MethodPost, path, form)
	if status >= 300 {
		ce.t.Fatalf("POST %s = %d %s", path, status, raw)
	}
	sid, _ := v.(map[string]any)["sid"].(string)
	return sid
}

func (ce *contractEnv) unique(prefix string) string { ce.n++; return fmt.Sprintf("%s%d", prefix, ce.n) }

// newContractEnv builds, over REST, a workspace with a queue, a workflow,
// workers in several states and tasks pending, reserved, assigned,
// wrapping and completed, so lists are non-empty and optional fields are set.
func newContractEnv(t *testing.T) *contractEnv {
	srv, e := apiServer(t)
	ce := &contractEnv{t: t, srv: srv, e: e, ids: map[string]string{}}
	ids := ce.ids
	ids["ws"] = ce.post("/v1/Workspaces", url.Values{"FriendlyName": {"Contract"}})
	base := "/v1/Workspaces/" + ids["ws"]
	avail, err := e.ActivityByName(ids["ws"], "Available")
	if err != nil {
		t.Fatal(err)
	}
	ids["avail"] = avail.SID
	ids["break"] = ce.post(base+"/Activities", url.Values{"FriendlyName": {"Break"}, "Available": {"false"}})
	ids["tc"] = ce.post(base+"/TaskChannels", url.Values{"FriendlyName": {"Email"}, "UniqueName": {"email"}})
	ids["q"] = ce.post(base+"/TaskQueues", url.Values{"FriendlyName": {"Support"}, "TargetWorkers": {"skills HAS 'support'"},
		"MaxReservedWorkers": {"2"}, "ReservationActivitySid": {ids["avail"]}, "AssignmentActivitySid": {ids["avail"]}})
	ids["wf"] = ce.post(base+"/Workflows", url.Values{"FriendlyName": {"Main"}, "TaskReservationTimeout": {"300"},
		"Configuration": {fmt.Sprintf(`{"task_routing":{"filters":[{"filter_friendly_name":"support","expression":"type == 'support'",`+
			`"targets":[{"queue":%q,"priority":3}]}],"default_filter":{"queue":%q}}}`, ids["q"], ids["q"])}})
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		ids[name] = ce.post(base+"/Workers", url.Values{"FriendlyName": {name}, "ActivitySid": {ids["avail"]},
			"Attributes": {`{"skills":["support"],"languages":["en"]}`}})
	}
	ids["erin"] = ce.post(base+"/Workers", url.Values{"FriendlyName": {"erin"}, "Attributes": {`{"skills":["sales"]}`}})
	// Four tasks, two workers each (MaxReservedWorkers 2): every worker gets
	// one reservation on the first two; then accept, wrap and complete.
	task := func(key, attrs string) {
		ids[key] = ce.post(base+"/Tasks", url.Values{"Attributes": {attrs}, "TaskChannel": {"voice"}, "Priority": {"1"}})
	}
	task("done", `{"type":"support","customer":{"name":"Ann"}}`)
	task("wrap", `{"type":"support","customer":{"name":"Bo"}}`)
	resOf := func(taskKey string) []string {
		_, v, _ := ce.do(http.MethodGet, base+"/Tasks/"+ids[taskKey]+"/Reservations", url.Values{"ReservationStatus": {"pending"}})
		var out []string
		for _, r := range v.(map[string]any)["reservations"].([]any) {
			out = append(out, r.(map[string]any)["sid"].(string))
		}
		return out
	}
	done := resOf("done")
	ce.post(base+"/Tasks/"+ids["done"]+"/Reservations/"+done[0], url.Values{"ReservationStatus": {"accepted"}})
	ce.post(base+"/Tasks/"+ids["done"], url.Values{"AssignmentStatus": {"completed"}, "Reason": {"resolved"}})
	wrap := resOf("wrap")
	ce.post(base+"/Tasks/"+ids["wrap"]+"/Reservations/"+wrap[0], url.Values{"ReservationStatus": {"accepted"}})
	ce.post(base+"/Tasks/"+ids["wrap"], url.Values{"AssignmentStatus": {"wrapping"}})
	task("pending1", `{"type":"support","customer":{"name":"Cy"}}`) // reserved by the freed workers
	task("pending2", `{"type":"billing"}`)
	task("pending3", `{"type":"support"}`)
	for _, k := range []string{"pending1", "pending2", "pending3"} {
		if r := resOf(k); len(r) > 0 {
			ids["res"] = r[0]
			ids["resTask"] = ids[k]
			tk, _ := e.Task(ids["ws"], ids[k])
			ids["resWorker"] = tk.resList[0].WorkerSID
		}
	}
	if ids["res"] == "" {
		t.Fatal("setup left no pending reservation")
	}
	t.Logf("contract workspace: %v", ids)
	return ce
}

// pendingReservation returns a pending reservation (task, worker, SID),
// making one if needed: a new worker for a new task.
func (ce *contractEnv) pendingReservation() (string, string, string) {
	ce.t.Helper()
	base := "/v1/Workspaces/" + ce.ids["ws"]
	ws, _ := ce.e.Workspace(ce.ids["ws"])
	for _, r := range ws.reservations.list {
		if r.ReservationStatus == StatusPending {
			return r.TaskSID, r.WorkerSID, r.SID
		}
	}
	ce.post(base+"/Workers", url.Values{"FriendlyName": {ce.unique("extra")}, "ActivitySid": {ce.ids["avail"]},
		"Attributes": {`{"skills":["support"]}`}})
	ce.post(base+"/Tasks", url.Values{"WorkflowSid": {ce.ids["wf"]}, "Attributes": {`{"type":"support"}`}})
	for _, r := range ws.reservations.list {
		if r.ReservationStatus == StatusPending {
			return r.TaskSID, r.WorkerSID, r.SID
		}
	}
	ce.t.Fatal("could not make a pending reservation")
	return "", "", ""
}

// routeCall is one concrete request for a route.
type routeCall struct {
	path string
	form url.Values
}

// callFor builds the request exercising a route: path parameters filled
// from the workspace, a form for POSTs, a throwaway object for DELETEs.
func (ce *contractEnv) callFor(rt route) (routeCall, error) {
	ids := ce.ids
	ws := "/v1/Workspaces/" + ids["ws"]
	key := rt.Method + " " + rt.Path
	switch key {
	// creates
	case "POST /v1/Workspaces":
		return routeCall{rt.Path, url.Values{"FriendlyName": {ce.unique("Other")}, "Template": {"FIFO"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Activities":
		return routeCall{ws + "/Activities", url.Values{"FriendlyName": {ce.unique("Lunch")}, "Available": {"false"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/TaskChannels":
		return routeCall{ws + "/TaskChannels", url.Values{"FriendlyName": {"SMS 2"}, "UniqueName": {ce.unique("sms")},
			"ChannelOptimizedRouting": {"true"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workers":
		return routeCall{ws + "/Workers", url.Values{"FriendlyName": {ce.unique("frank")}, "Attributes": {`{"skills":["sales"]}`}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/TaskQueues":
		return routeCall{ws + "/TaskQueues", url.Values{"FriendlyName": {ce.unique("Sales")}, "TargetWorkers": {"skills HAS 'sales'"},
			"TaskOrder": {"LIFO"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workflows":
		return routeCall{ws + "/Workflows", url.Values{"FriendlyName": {ce.unique("Overflow")},
			"AssignmentCallbackUrl": {"https://example.com/assign"},
			"Configuration":         {fmt.Sprintf(`{"task_routing":{"default_filter":{"queue":%q}}}`, ids["q"])}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Tasks":
		return routeCall{ws + "/Tasks", url.Values{"WorkflowSid": {ids["wf"]}, "Attributes": {`{"type":"billing"}`},
			"Timeout": {"3600"}, "TaskChannel": {"email"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/TaskQueues/RealTimeStatistics": // bulk statistics
		return routeCall{ws + "/TaskQueues/RealTimeStatistics", url.Values{"QueueSids": {ids["q"]}}}, nil
	// updates
	case "POST /v1/Workspaces/{Sid}":
		return routeCall{ws, url.Values{"FriendlyName": {"Contract 2"}, "PrioritizeQueueOrder": {"FIFO"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Activities/{Sid}":
		return routeCall{ws + "/Activities/" + ids["break"], url.Values{"FriendlyName": {"Coffee"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/TaskChannels/{Sid}":
		return routeCall{ws + "/TaskChannels/" + ids["tc"], url.Values{"FriendlyName": {"E-mail"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workers/{Sid}":
		return routeCall{ws + "/Workers/" + ids["erin"], url.Values{"Attributes": {`{"skills":["sales","billing"]}`}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Channels/{Sid}":
		return routeCall{ws + "/Workers/" + ids["erin"] + "/Channels/chat", url.Values{"Capacity": {"3"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/TaskQueues/{Sid}":
		return routeCall{ws + "/TaskQueues/" + ids["q"], url.Values{"FriendlyName": {"Support Tier 1"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workflows/{Sid}":
		return routeCall{ws + "/Workflows/" + ids["wf"], url.Values{"TaskReservationTimeout": {"240"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Tasks/{Sid}":
		return routeCall{ws + "/Tasks/" + ids["pending2"], url.Values{"Priority": {"5"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Workers/{WorkerSid}/Reservations/{Sid}":
		_, wk, res := ce.pendingReservation()
		return routeCall{ws + "/Workers/" + wk + "/Reservations/" + res, url.Values{"ReservationStatus": {"accepted"}}}, nil
	case "POST /v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}/Reservations/{Sid}":
		tk, _, res := ce.pendingReservation()
		return routeCall{ws + "/Tasks/" + tk + "/Reservations/" + res, url.Values{"ReservationStatus": {"rejected"}}}, nil
	// deletes: a throwaway object each
	case "DELETE /v1/Workspaces/{Sid}":
		return routeCall{"/v1/Workspaces/" + ce.post("/v1/Workspaces", url.Values{"FriendlyName": {"Doomed"}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/Activities/{Sid}":
		return routeCall{ws + "/Activities/" + ce.post(ws+"/Activities", url.Values{"FriendlyName": {"Doomed"}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/TaskChannels/{Sid}":
		return routeCall{ws + "/TaskChannels/" + ce.post(ws+"/TaskChannels", url.Values{"FriendlyName": {"Fax"}, "UniqueName": {"fax"}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/Workers/{Sid}":
		return routeCall{ws + "/Workers/" + ce.post(ws+"/Workers", url.Values{"FriendlyName": {"doomed"}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/TaskQueues/{Sid}":
		return routeCall{ws + "/TaskQueues/" + ce.post(ws+"/TaskQueues", url.Values{"FriendlyName": {"Doomed"}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/Workflows/{Sid}":
		return routeCall{ws + "/Workflows/" + ce.post(ws+"/Workflows", url.Values{"FriendlyName": {"Doomed"},
			"Configuration": {fmt.Sprintf(`{"task_routing":{"default_filter":{"queue":%q}}}`, ids["q"])}}), nil}, nil
	case "DELETE /v1/Workspaces/{WorkspaceSid}/Tasks/{Sid}":
		return routeCall{ws + "/Tasks/" + ce.post(ws+"/Tasks", url.Values{"WorkflowSid": {ids["wf"]}, "Attributes": {`{"type":"spam"}`}}), nil}, nil
	}
	if rt.Method != http.MethodGet {
		return routeCall{}, fmt.Errorf("no request recipe for %s: add one to callFor", key)
	}
	path, err := ce.fillPath(rt.Path)
	return routeCall{path: path}, err
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// fillPath substitutes path parameters; {Sid} takes the SID of the
// collection it follows, or (for collections the setup does not name) the
// first item of that collection's list.
func (ce *contractEnv) fillPath(pattern string) (string, error) {
	ids := ce.ids
	named := map[string]string{"WorkspaceSid": ids["ws"], "WorkerSid": ids["alice"], "TaskSid": ids["wrap"],
		"TaskQueueSid": ids["q"], "WorkflowSid": ids["wf"]}
	bySegment := map[string]string{"Workspaces": ids["ws"], "Activities": ids["break"], "TaskChannels": ids["tc"],
		"Workers": ids["alice"], "TaskQueues": ids["q"], "Workflows": ids["wf"], "Tasks": ids["wrap"]}
	var err error
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		m := pathParam.FindStringSubmatch(seg)
		if m == nil {
			continue
		}
		name, prev := m[1], segs[i-1]
		v := named[name]
		switch {
		case name != "Sid":
		case prev == "Channels":
			wc, _ := ce.e.WorkerChannel(ids["ws"], ids["alice"], "voice")
			v = wc.SID
		case prev == "Reservations" && segs[i-2] == "{WorkerSid}":
			v = ce.firstSID(strings.Join(segs[:i], "/"), named, "reservations")
		case prev == "Reservations":
			v = ce.firstSID(strings.Join(segs[:i], "/"), named, "reservations")
		default:
			if v = bySegment[prev]; v == "" {
				v = ce.firstSID(strings.Join(segs[:i], "/"), named, "")
			}
		}
		if v == "" {
			err = fmt.Errorf("cannot fill {%s} in %s", name, pattern)
		}
		segs[i] = v
	}
	return strings.Join(segs, "/"), err
}

// firstSID lists a collection and returns its first item's sid.
func (ce *contractEnv) firstSID(listPattern string, named map[string]string, key string) string {
	path := pathParam.ReplaceAllStringFunc(listPattern, func(m string) string { return named[m[1:len(m)-1]] })
	status, v, _ := ce.do(http.MethodGet, path, nil)
	if status != http.StatusOK {
		return ""
	}
	body := v.(map[string]any)
	if key == "" {
		meta, _ := body["meta"].(map[string]any)
		key, _ = meta["key"].(string)
	}
	items, _ := body[key].([]any)
	if len(items) == 0 {
		return ""
	}
	sid, _ := items[0].(map[string]any)["sid"].(string)
	return sid
}

// querySample is a valid value for each list filter in the spec, by
// parameter name, overridden per list where the meaning differs.
func (ce *contractEnv) querySample(path, name string) (string, bool) {
	ids := ce.ids
	now := ce.e.Now()
	switch path + " " + name {
	case "/v1/Workspaces/{WorkspaceSid}/Tasks Ordering":
		return "Priority:desc,DateCreated:asc", true
	case "/v1/Workspaces/{WorkspaceSid}/Workers Ordering":
		return "DateStatusChanged:desc", true
	case "/v1/Workspaces/{WorkspaceSid}/TaskQueues Ordering":
		return "DateUpdated:asc", true
	case "/v1/Workspaces/{WorkspaceSid}/Workers FriendlyName":
		return "alice", true
	case "/v1/Workspaces/{WorkspaceSid}/Workers/Statistics FriendlyName":
		return "alice", true
	case "/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics FriendlyName":
		return "Support", true
	}
	v, ok := map[string]string{
		"FriendlyName": "Main", "Available": "true", "ActivityName": "Available", "ActivitySid": ids["avail"],
		"TargetWorkersExpression": "skills HAS 'support' AND languages HAS 'en'", "TaskQueueName": "Support",
		"TaskQueueSid": ids["q"], "EvaluateWorkerAttributes": `{"skills":["support"]}`, "WorkerSid": ids["resWorker"],
		"Priority": "1", "AssignmentStatus": "pending,reserved", "WorkflowSid": ids["wf"], "WorkflowName": "Main",
		"EvaluateTaskAttributes": "customer.name == 'Cy' OR type == 'billing'", "RoutingTarget": ids["alice"],
		"HasAddons": "false", "ReservationStatus": "pending", "PageSize": "2", "Page": "0", "PageToken": "PT0",
		"Minutes": "60", "StartDate": twilio.Time(now.Add(-time.Hour)), "EndDate": twilio.Time(now.Add(time.Minute)),
		"TaskChannel": "voice", "SplitByWaitTime": "5,30", "EventType": "task.created", "ReservationSid": ids["res"],
		"TaskSid": ids["resTask"], "Sid": "",
	}[name]
	if name == "Sid" { // an Event SID, from the list itself
		named := map[string]string{"WorkspaceSid": ids["ws"]}
		v = ce.firstSID(path, named, "")
	}
	return v, ok
}

// TestContractResponsesMatchSpec exercises every TaskRouter route and
// checks each answer against the OpenAPI spec.
func TestContractResponsesMatchSpec(t *testing.T) {
	doc := loadTaskRouterSpec(t)
	ce := newContractEnv(t)
	fields := map[string]bool{} // "METHOD path.field" names verified
	var violations []string
	served := map[string]bool{}
	requests, filters := 0, 0
	routes := Routes()
	// Reads first, then writes, deletes last, so each step sees the
	// workspace in its realistic state.
	order := map[string]int{http.MethodGet: 0, http.MethodPost: 1, http.MethodDelete: 2}
	sort.SliceStable(routes, func(i, j int) bool { return order[routes[i].Method] < order[routes[j].Method] })
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		served[key] = true
		op := doc.Operation(rt.Method, rt.Path)
		if op == nil {
			t.Errorf("%s is not a TaskRouter operation in the spec", key)
			continue
		}
		status, schema, err := doc.Success(rt.Method, rt.Path)
		if err != nil {
			t.Error(err)
			continue
		}
		if want := rt.Status; (want == 0 && status != http.StatusOK) || (want != 0 && want != status) {
			t.Errorf("%s answers %d, spec says %d", key, max(want, 200), status)
		}
		call, err := ce.callFor(rt)
		if err != nil {
			t.Error(err)
			continue
		}
		queries := []url.Values{call.form}
		if rt.Method == http.MethodGet {
			// One request per documented query parameter.
			var missing []string
			for _, p := range op.Parameters {
				if p.In != "query" {
					continue
				}
				v, ok := ce.querySample(rt.Path, p.Name)
				if !ok || v == "" {
					missing = append(missing, p.Name)
					continue
				}
				queries = append(queries, url.Values{p.Name: {v}})
				filters++
			}
			if len(missing) > 0 {
				t.Errorf("%s: no sample value for query parameters %v (add them to querySample)", key, missing)
			}
		}
		for _, q := range queries {
			got, v, raw := ce.do(rt.Method, call.path, q)
			requests++
			where := key
			if rt.Method == http.MethodGet && len(q) > 0 {
				where += "?" + q.Encode()
			}
			if got != status {
				t.Errorf("%s = %d %s, spec says %d", where, got, raw, status)
				continue
			}
			if status == http.StatusNoContent {
				if len(raw) != 0 {
					t.Errorf("%s: 204 with a body %q", where, raw)
				}
				continue
			}
			if schema == nil {
				t.Errorf("%s: the spec has no response schema", where)
				continue
			}
			c := &oaicheck.Checker{Doc: doc, Visit: func(f string) { fields[key+f] = true }}
			violations = append(violations, c.Check(key, v, schema)...)
		}
	}
	for _, e := range violations {
		t.Error(e)
	}
	// Every spec operation on the resources a Flex setup touches is served.
	flex := regexp.MustCompile(`^/v1/Workspaces(/\{Sid\}|/\{WorkspaceSid\}/(Activities|TaskChannels|Workers|TaskQueues|Workflows|Tasks)(/\{[A-Za-z]+\}(/(Channels|Reservations)(/\{Sid\})?)?)?)?$`)
	var specOps, unserved []string
	for path, ops := range doc.Paths {
		for m := range ops {
			key := strings.ToUpper(m) + " " + path
			specOps = append(specOps, key)
			if !served[key] {
				unserved = append(unserved, key)
				if flex.MatchString(path) {
					t.Errorf("spec operation %s is not served", key)
				}
			}
		}
	}
	sort.Strings(unserved)
	names := map[string]bool{}
	for f := range fields {
		_, field, _ := strings.Cut(f, ".")
		names[strings.ReplaceAll(field, "[]", "")] = true
	}
	t.Logf("contract: %d routes (of %d spec operations; unserved: %v), %d requests incl. %d filter variants; "+
		"%d (route, field) pairs, %d distinct field paths checked", len(routes), len(specOps), unserved, requests, filters,
		len(fields), len(names))
}

// TestContractCheckCatchesDrift makes sure the checker itself fails on a
// field the spec lacks, a missing field, a renamed one and a wrong type.
func TestContractCheckCatchesDrift(t *testing.T) {
	doc := loadTaskRouterSpec(t)
	schema, err := doc.Response(http.MethodGet, "/v1/Workspaces/{WorkspaceSid}/Activities/{Sid}", http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{"account_sid": "AC1", "available": true, "date_created": "x", "date_updated": "x",
		"friendly_name": "Available", "links": map[string]any{}, "sid": "WA1", "url": "u", "workspace_sid": "WS1"}
	doc.ExpectDrift(t, "activity", schema, good, map[string]func(m map[string]any){
		"extra":   func(m map[string]any) { m["color"] = "red" },
		"missing": func(m map[string]any) { delete(m, "available") },
		"renamed": func(m map[string]any) { m["is_available"] = m["available"]; delete(m, "available") },
		"type":    func(m map[string]any) { m["available"] = "yes" },
	})
}
