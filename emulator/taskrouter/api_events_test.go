package taskrouter

import (
	"net/url"
	"strings"
	"testing"
)

func TestAPIEvents(t *testing.T) {
	c, e, ids := statsAPI(t)
	ws := "/v1/Workspaces/" + ids["ws"]
	list := c.call("GET", ws+"/Events", nil, 200)
	if meta := list["meta"].(map[string]any); meta["key"] != "events" {
		t.Fatalf("meta %v", meta)
	}
	all := list["events"].([]any)
	if len(all) == 0 {
		t.Fatal("no events")
	}
	for _, item := range all {
		ev := item.(map[string]any)
		wantFields(t, "event", ev, "event")
		for k, v := range ev["event_data"].(map[string]any) {
			if _, ok := v.(string); !ok {
				t.Fatalf("%s event_data[%s] = %v (%T), want a string", ev["event_type"], k, v, v)
			}
		}
		if ev["source"] != "twilio" || ev["actor_type"] != "workspace" || ev["actor_sid"] != ids["ws"] ||
			ev["account_sid"] != e.env.AccountSID || ev["workspace_sid"] != ids["ws"] {
			t.Fatalf("event %v", ev)
		}
		if ev["url"] != c.srv.URL+"/taskrouter"+ws+"/Events/"+ev["sid"].(string) {
			t.Fatalf("url %v", ev["url"])
		}
	}

	tests := []struct {
		name     string
		query    url.Values
		wantType []string // newest first
		resource string   // resource_url path of the first event
	}{
		{"reservation events of the task", url.Values{"TaskSid": {ids["task"]}, "ReservationSid": {ids["res"]}},
			[]string{"reservation.accepted", "reservation.created"}, ws + "/Tasks/" + ids["task"] + "/Reservations/" + ids["res"]},
		{"EventType and WorkerSid", url.Values{"EventType": {"worker.created"}, "WorkerSid": {ids["wk"]}},
			[]string{"worker.created"}, ws + "/Workers/" + ids["wk"]},
		{"TaskChannel and TaskQueueSid", url.Values{"TaskChannel": {"chat"}, "TaskQueueSid": {ids["q"]}, "EventType": {"task-queue.entered"}},
			[]string{"task-queue.entered"}, ws + "/TaskQueues/" + ids["q"]},
		{"WorkflowSid", url.Values{"WorkflowSid": {ids["wf"]}, "EventType": {"task.created"}, "Minutes": {"5"}},
			[]string{"task.created"}, ws + "/Tasks/" + ids["task"]},
		{"outside the window", url.Values{"EndDate": {"2020-01-01T00:00:00Z"}, "StartDate": {"2019-12-31T00:00:00Z"}}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := c.call("GET", ws+"/Events?"+tc.query.Encode(), nil, 200)
			evs := m["events"].([]any)
			var types []string
			for _, ev := range evs {
				types = append(types, ev.(map[string]any)["event_type"].(string))
			}
			if strings.Join(types, ",") != strings.Join(tc.wantType, ",") {
				t.Fatalf("types %v, want %v", types, tc.wantType)
			}
			if tc.resource != "" {
				if got := evs[0].(map[string]any)["resource_url"]; got != c.srv.URL+"/taskrouter"+tc.resource {
					t.Fatalf("resource_url %v", got)
				}
			}
		})
	}

	t.Run("fetch and paging", func(t *testing.T) {
		page := c.call("GET", ws+"/Events?PageSize=2", nil, 200)
		first := page["events"].([]any)
		next, _ := page["meta"].(map[string]any)["next_page_url"].(string)
		if len(first) != 2 || next == "" {
			t.Fatalf("page %v", page["meta"])
		}
		sid := first[0].(map[string]any)["sid"].(string)
		one := c.call("GET", ws+"/Events/"+sid, nil, 200)
		wantFields(t, "fetched event", one, "event")
		if one["sid"] != sid || one["event_type"] != first[0].(map[string]any)["event_type"] {
			t.Fatalf("fetched %v", one)
		}
		if one["event_date_ms"].(float64) != float64(e.Now().UnixMilli()) {
			t.Fatalf("event_date_ms %v", one["event_date_ms"])
		}
	})
	for _, bad := range []string{ws + "/Events?Minutes=0", ws + "/Events?StartDate=nope"} {
		c.call("GET", bad, nil, 400)
	}
	c.call("GET", ws+"/Events/EV00000000000000000000000000000000", nil, 404)
	c.call("GET", "/v1/Workspaces/WS00000000000000000000000000000000/Events", nil, 404)
}
