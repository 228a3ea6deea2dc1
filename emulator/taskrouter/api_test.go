package taskrouter

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// apiServer serves one engine's routes the way the emulator does.
func apiServer(t *testing.T) (*httptest.Server, *Engine) {
	t.Helper()
	en, _ := env.ForTest()
	e := New(en)
	return twiliotest.Serve(t, Product, e, Routes()), e
}

type apiClient struct {
	t   *testing.T
	srv *httptest.Server
}

// call sends a form request and decodes the JSON answer (nil for 204).
func (c apiClient) call(method, path string, form url.Values, wantStatus int) map[string]any {
	c.t.Helper()
	_, m := c.send(method, path, form, nil, wantStatus)
	return m
}

func TestAPIWorkspaceLifecycle(t *testing.T) {
	srv, _ := apiServer(t)
	c := apiClient{t, srv}
	ws := c.call("POST", "/v1/Workspaces", url.Values{"FriendlyName": {"Support"}}, 201)
	wsSID := ws["sid"].(string)
	if !twilio.IsSID(wsSID, "WS") || ws["default_activity_name"] != "Offline" || ws["multi_task_enabled"] != true ||
		ws["prioritize_queue_order"] != "FIFO" || ws["event_callback_url"] != nil {
		t.Fatalf("workspace %v", ws)
	}
	if !strings.HasSuffix(ws["url"].(string), "/taskrouter/v1/Workspaces/"+wsSID) {
		t.Fatalf("url %v", ws["url"])
	}
	base := "/v1/Workspaces/" + wsSID

	acts := c.call("GET", base+"/Activities?Available=true", nil, 200)
	if meta := acts["meta"].(map[string]any); meta["key"] != "activities" {
		t.Fatalf("meta %v", meta)
	}
	list := acts["activities"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["friendly_name"] != "Available" {
		t.Fatalf("available activities %v", list)
	}
	available := list[0].(map[string]any)["sid"].(string)
	chans := c.call("GET", base+"/TaskChannels", nil, 200)
	if n := len(chans["channels"].([]any)); n != 5 || chans["meta"].(map[string]any)["key"] != "channels" {
		t.Fatalf("%d channels", n)
	}

	// TaskQueue: expression errors name the parameter and position.
	e := c.call("POST", base+"/TaskQueues", url.Values{"FriendlyName": {"Q"}, "TargetWorkers": {"skills HAS"}}, 400)
	if e["code"].(float64) != 20001 || !strings.Contains(e["message"].(string), "TargetWorkers") || !strings.Contains(e["message"].(string), "position") {
		t.Fatalf("error %v", e)
	}
	q := c.call("POST", base+"/TaskQueues", url.Values{"FriendlyName": {"Everyone"}}, 201)
	if q["target_workers"] != "1==1" || q["max_reserved_workers"].(float64) != 1 || q["task_order"] != "FIFO" || q["reservation_activity_sid"] != nil {
		t.Fatalf("queue %v", q)
	}
	qSID := q["sid"].(string)
	e = c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"W"}}, 400)
	if !strings.Contains(e["message"].(string), "Configuration") {
		t.Fatalf("error %v", e)
	}
	wf := c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"},
		"Configuration": {`{"task_routing":{"default_filter":{"queue":"` + qSID + `"}}}`}}, 201)
	if wf["task_reservation_timeout"].(float64) != 120 || wf["document_content_type"] != "application/json" {
		t.Fatalf("workflow %v", wf)
	}

	w := c.call("POST", base+"/Workers", url.Values{"FriendlyName": {"alice"}, "Attributes": {`{"skills":["x"]}`}, "ActivitySid": {available}}, 201)
	wkSID := w["sid"].(string)
	if w["available"] != true || w["activity_name"] != "Available" || w["attributes"] != `{"skills":["x"]}` {
		t.Fatalf("worker %v", w)
	}
	wc := c.call("POST", base+"/Workers/"+wkSID+"/Channels/chat", url.Values{"Capacity": {"3"}}, 200)
	if wc["configured_capacity"].(float64) != 3 || wc["task_channel_unique_name"] != "chat" || wc["available_capacity_percentage"].(float64) != 100 {
		t.Fatalf("worker channel %v", wc)
	}
	e = c.call("POST", base+"/Workers/"+wkSID+"/Channels/chat", url.Values{"Capacity": {"-1"}}, 400)
	if !strings.Contains(e["message"].(string), "Capacity") {
		t.Fatalf("error %v", e)
	}

	task := c.call("POST", base+"/Tasks", url.Values{"Attributes": {`{"type":"support"}`}, "TaskChannel": {"chat"}, "Priority": {"4"}}, 201)
	tSID := task["sid"].(string)
	if task["assignment_status"] != "reserved" || task["task_queue_friendly_name"] != "Everyone" || task["workflow_friendly_name"] != "Main" ||
		task["timeout"].(float64) != 86400 || task["priority"].(float64) != 4 || task["age"].(float64) != 0 || task["reason"] != nil ||
		task["addons"] != "{}" || task["task_channel_unique_name"] != "chat" {
		t.Fatalf("task %v", task)
	}
	e = c.call("POST", base+"/Tasks", url.Values{"Timeout": {"9999999"}}, 400)
	if !strings.Contains(e["message"].(string), "Timeout") {
		t.Fatalf("error %v", e)
	}

	tasks := c.call("GET", base+"/Tasks?AssignmentStatus=reserved&TaskQueueSid="+qSID, nil, 200)
	if n := len(tasks["tasks"].([]any)); n != 1 || tasks["meta"].(map[string]any)["key"] != "tasks" {
		t.Fatalf("%d tasks", n)
	}
	tasks = c.call("GET", base+"/Tasks?AssignmentStatus=pending", nil, 200)
	if n := len(tasks["tasks"].([]any)); n != 0 {
		t.Fatalf("%d pending tasks", n)
	}
	res := c.call("GET", base+"/Tasks/"+tSID+"/Reservations?ReservationStatus=pending", nil, 200)
	rl := res["reservations"].([]any)
	if len(rl) != 1 || res["meta"].(map[string]any)["key"] != "reservations" {
		t.Fatalf("reservations %v", res)
	}
	rSID := rl[0].(map[string]any)["sid"].(string)
	byWorker := c.call("GET", base+"/Workers/"+wkSID+"/Reservations/"+rSID, nil, 200)
	if byWorker["worker_name"] != "alice" || !strings.HasSuffix(byWorker["url"].(string), "/Workers/"+wkSID+"/Reservations/"+rSID) {
		t.Fatalf("worker view %v", byWorker)
	}
	acc := c.call("POST", base+"/Workers/"+wkSID+"/Reservations/"+rSID, url.Values{"ReservationStatus": {"accepted"}}, 200)
	if acc["reservation_status"] != "accepted" {
		t.Fatalf("accept %v", acc)
	}
	e = c.call("POST", base+"/Tasks/"+tSID+"/Reservations/"+rSID, url.Values{"ReservationStatus": {"accepted"}}, 400)
	if e["code"].(float64) != 20001 || !strings.Contains(e["message"].(string), "ReservationStatus") {
		t.Fatalf("error %v", e)
	}
	e = c.call("POST", base+"/Tasks/"+tSID, url.Values{"AssignmentStatus": {"completed"}}, 400)
	if !strings.Contains(e["message"].(string), "Reason") {
		t.Fatalf("error %v", e)
	}
	done := c.call("POST", base+"/Tasks/"+tSID, url.Values{"AssignmentStatus": {"completed"}, "Reason": {"resolved"}}, 200)
	if done["assignment_status"] != "completed" || done["reason"] != "resolved" {
		t.Fatalf("task %v", done)
	}

	// 404s carry Twilio's code and the resource path.
	for _, p := range []string{base + "/Tasks/WT00000000000000000000000000000000", "/v1/Workspaces/WS00000000000000000000000000000000",
		base + "/Workers/" + wkSID + "/Reservations/WR00000000000000000000000000000000", base + "/Workers/" + wkSID + "/Channels/fax"} {
		e = c.call("GET", p, nil, 404)
		if e["code"].(float64) != 20404 || !strings.Contains(e["message"].(string), strings.TrimPrefix(p, "/v1")) {
			t.Fatalf("GET %s: %v", p, e)
		}
	}

	if c.call("DELETE", base+"/Tasks/"+tSID, nil, 204) != nil {
		t.Fatal("delete returned a body")
	}
	c.call("GET", base+"/Tasks/"+tSID, nil, 404)
	c.call("DELETE", base+"/Workers/"+wkSID, nil, 204)
	c.call("DELETE", base, nil, 204)
	c.call("GET", base, nil, 404)
}

func TestAPIPagination(t *testing.T) {
	srv, e := apiServer(t)
	c := apiClient{t, srv}
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "P"}))(t)
	for _, n := range []string{"a", "b", "c"} {
		must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: n}))(t)
	}
	page := c.call("GET", "/v1/Workspaces/"+ws.SID+"/Workers?PageSize=2", nil, 200)
	meta := page["meta"].(map[string]any)
	if len(page["workers"].([]any)) != 2 || meta["next_page_url"] == nil || meta["page_size"].(float64) != 2 {
		t.Fatalf("page %v", page)
	}
	next, _ := url.Parse(meta["next_page_url"].(string))
	page = c.call("GET", strings.TrimPrefix(next.Path, "/taskrouter")+"?"+next.RawQuery, nil, 200)
	if w := page["workers"].([]any); len(w) != 1 || w[0].(map[string]any)["friendly_name"] != "c" {
		t.Fatalf("second page %v", page)
	}
	byName := c.call("GET", "/v1/Workspaces/"+ws.SID+"/Workers?FriendlyName=B", nil, 200)
	if w := byName["workers"].([]any); len(w) != 1 {
		t.Fatalf("by name %v", byName)
	}
}
