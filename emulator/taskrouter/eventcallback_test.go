package taskrouter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	twclient "github.com/twilio/twilio-go/client"
)

// hookRequest is one webhook a testReceiver got.
type hookRequest struct {
	Path        string
	Params      map[string]string
	ContentType string
	SignatureOK bool
}

// testReceiver is the user's backend: it validates X-Twilio-Signature with
// twilio-go's RequestValidator and answers with respond (200 "" by default).
type testReceiver struct {
	srv       *httptest.Server
	validator twclient.RequestValidator
	respond   func(path string, r hookRequest) (int, string)

	mu   sync.Mutex
	reqs []hookRequest
}

func newTestReceiver(t *testing.T, authToken string, respond func(path string, r hookRequest) (int, string)) *testReceiver {
	rc := &testReceiver{validator: twclient.NewRequestValidator(authToken), respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		full := "http://" + r.Host + r.URL.RequestURI()
		hr := hookRequest{Path: r.URL.Path, Params: params, ContentType: r.Header.Get("Content-Type"),
			SignatureOK: rc.validator.Validate(full, params, r.Header.Get("X-Twilio-Signature"))}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, hr)
		rc.mu.Unlock()
		status, body := 200, ""
		if rc.respond != nil {
			status, body = rc.respond(r.URL.Path, hr)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *testReceiver) requests(path string) []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hookRequest
	for _, r := range rc.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func settle(t *testing.T, en env.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := en.Webhooks.Wait(ctx); err != nil {
		t.Fatalf("webhooks did not settle: %v", err)
	}
}

func TestEventCallback(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   func(typ string) bool
	}{
		{"no filter sends everything", "", func(string) bool { return true }},
		{"one type", "task.created", func(typ string) bool { return typ == "task.created" }},
		{"spaces after commas", "task.created, reservation.created ,reservation.accepted",
			func(typ string) bool {
				return typ == "task.created" || typ == "reservation.created" || typ == "reservation.accepted"
			}},
		{"worker events", "worker.activity.update,worker.created",
			func(typ string) bool { return typ == "worker.activity.update" || typ == "worker.created" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			en, _ := env.ForTest()
			e := New(en)
			rc := newTestReceiver(t, en.AuthToken, nil)
			ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Hooks", EventCallbackURL: rc.srv.URL + "/events",
				EventsFilter: tc.filter}))(t)
			avail := must(e.ActivityByName(ws.SID, "Available"))(t)
			offline := must(e.ActivityByName(ws.SID, "Offline"))(t)
			q := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Q"}))(t)
			must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "WF",
				Configuration: `{"task_routing":{"default_filter":{"queue":"` + q.SID + `"}}}`}))(t)
			w := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "alice", ActivitySID: avail.SID}))(t)
			task := must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"x":1}`}))(t)
			res := task.Reservations()[0]
			must(e.UpdateReservation(ws.SID, res.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}))(t)
			must(e.UpdateWorker(ws.SID, w.SID, UpdateWorkerParams{ActivitySID: &offline.SID}))(t)
			settle(t, en)

			stored := must(e.Events(ws.SID, EventFilter{}))(t)
			var want []*EventRecord
			for i := len(stored) - 1; i >= 0; i-- {
				if tc.want(stored[i].EventType) {
					want = append(want, stored[i])
				}
			}
			got := rc.requests("/events")
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("received %d callbacks, want %d", len(got), len(want))
			}
			for i, r := range got {
				ev := want[i]
				if !r.SignatureOK {
					t.Fatalf("callback %d (%s): X-Twilio-Signature does not validate", i, r.Params["EventType"])
				}
				if !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
					t.Fatalf("content type %q", r.ContentType)
				}
				common := map[string]string{"EventType": ev.EventType, "Sid": ev.SID(), "AccountSid": en.AccountSID,
					"WorkspaceSid": ws.SID, "WorkspaceName": "Hooks", "EventDescription": describe(ev.Description),
					"ResourceType": ev.ResourceType(), "ResourceSid": ev.ResourceSID,
					"Timestamp": "1767603600", "TimestampMs": "1767603600000"}
				for k, v := range common {
					if r.Params[k] != v {
						t.Fatalf("callback %d %s: %s = %q, want %q", i, ev.EventType, k, r.Params[k], v)
					}
				}
				for _, f := range ev.Data() {
					if k := camelCase(f.Key); r.Params[k] != f.Value {
						t.Fatalf("callback %d %s: %s = %q, want %q", i, ev.EventType, k, r.Params[k], f.Value)
					}
				}
				switch ev.EventType {
				case "task.created":
					if r.Params["TaskSid"] != task.SID || r.Params["TaskAttributes"] != `{"x":1}` || r.Params["TaskPriority"] != "0" {
						t.Fatalf("task.created params %v", r.Params)
					}
				case "reservation.accepted":
					if r.Params["ReservationSid"] != res.SID || r.Params["WorkerSid"] != w.SID || r.Params["WorkerName"] != "alice" ||
						r.Params["TaskAssignmentStatus"] != "assigned" {
						t.Fatalf("reservation.accepted params %v", r.Params)
					}
				case "worker.activity.update":
					if r.Params["WorkerActivityName"] != "Offline" || r.Params["WorkerPreviousActivityName"] != "Available" {
						t.Fatalf("worker.activity.update params %v", r.Params)
					}
				}
			}
		})
	}
}

func TestEventCallbackFollowsWorkspaceUpdates(t *testing.T) {
	en, _ := env.ForTest()
	e := New(en)
	rc := newTestReceiver(t, en.AuthToken, nil)
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Quiet"}))(t)
	must(e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: "Before"}))(t)
	u, filter := rc.srv.URL+"/cb", "activity.created"
	must(e.UpdateWorkspace(ws.SID, UpdateWorkspaceParams{EventCallbackURL: &u, EventsFilter: &filter}))(t)
	must(e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: "After"}))(t)
	none := ""
	must(e.UpdateWorkspace(ws.SID, UpdateWorkspaceParams{EventCallbackURL: &none}))(t)
	must(e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: "Gone"}))(t)
	settle(t, en)
	got := rc.requests("/cb")
	if len(got) != 1 || got[0].Params["ActivityName"] != "After" || got[0].Params["ResourceType"] != ResourceActivity {
		t.Fatalf("callbacks %v", got)
	}
}

func TestEventSelectedAndCamelCase(t *testing.T) {
	sel := []struct {
		filter, typ string
		want        bool
	}{
		{"", "task.created", true},
		{"  ", "task.created", true},
		{"task.created", "task.created", true},
		{"task.created", "task.canceled", false},
		{"task.canceled, task.created", "task.created", true},
		{"task", "task.created", false},
		{"task.created,", "task.completed", false},
	}
	for _, tc := range sel {
		if got := eventSelected(tc.filter, tc.typ); got != tc.want {
			t.Errorf("eventSelected(%q, %q) = %v", tc.filter, tc.typ, got)
		}
	}
	camel := map[string]string{"task_sid": "TaskSid", "task_queue_target_expression": "TaskQueueTargetExpression",
		"worker_time_in_previous_activity_ms": "WorkerTimeInPreviousActivityMs", "workspace_name": "WorkspaceName"}
	for in, want := range camel {
		if got := camelCase(in); got != want {
			t.Errorf("camelCase(%q) = %q, want %q", in, got, want)
		}
	}
}
