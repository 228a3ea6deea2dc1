package taskrouter

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

// TestAPIListFilters checks every list filter of the spec over HTTP: what
// it selects, its ordering, and the 400 (code 20001, naming the parameter)
// for a bad value.
func TestAPIListFilters(t *testing.T) {
	srv, e := apiServer(t)
	ce := &contractEnv{t: t, srv: srv, e: e, ids: map[string]string{}}
	clk := e.env.Clock.(*clock.Virtual)
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Lists"}))(t)
	avail := must(e.ActivityByName(ws.SID, "Available"))(t)
	offline := must(e.ActivityByName(ws.SID, "Offline"))(t)
	sales := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Sales", TargetWorkers: "skills HAS 'sales'"}))(t)
	clk.Advance(time.Second)
	support := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Support", TargetWorkers: "skills HAS 'support'"}))(t)
	clk.Advance(time.Second)
	nobody := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Nobody", TargetWorkers: "1==1"}))(t)
	empty := ""
	must(e.UpdateTaskQueue(ws.SID, nobody.SID, UpdateTaskQueueParams{TargetWorkers: &empty}))(t)
	wf := must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Main", Configuration: fmt.Sprintf(
		`{"task_routing":{"filters":[{"expression":"type == 'sales'","targets":[{"queue":%q}]}],"default_filter":{"queue":%q}}}`,
		sales.SID, support.SID)}))(t)
	must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Other", Configuration: fmt.Sprintf(
		`{"task_routing":{"default_filter":{"queue":%q}}}`, support.SID)}))(t)
	ann := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "Ann", ActivitySID: avail.SID, Attributes: `{"skills":["sales"],"level":3}`}))(t)
	clk.Advance(time.Second)
	bob := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "bob", Attributes: `{"skills":["support"],"level":1}`}))(t)
	clk.Advance(time.Second)
	must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "cy", Attributes: `{"skills":["sales","support"],"level":2}`}))(t)
	task := func(attrs string, prio int) *Task {
		return must(e.CreateTask(ws.SID, CreateTaskParams{WorkflowSID: wf.SID, Attributes: attrs, Priority: &prio, RoutingTarget: ""}))(t)
	}
	clk.Advance(time.Second)
	t1 := task(`{"type":"sales","n":1}`, 1) // reserved by Ann
	clk.Advance(time.Second)
	t2 := task(`{"type":"support","n":2}`, 5)
	clk.Advance(time.Second)
	t3 := task(`{"type":"sales","n":3}`, 2)
	// routed to Ann, who has no room (t1) and IgnoreCapacity=false: it waits
	tr := must(e.CreateTask(ws.SID, CreateTaskParams{WorkflowSID: wf.SID, Attributes: `{"type":"support","n":4}`, RoutingTarget: ann.SID,
		IgnoreCapacity: ptr(false), TaskQueueSID: support.SID}))(t)
	wantStatus(t, t1, TaskReserved)
	must(e.UpdateWorker(ws.SID, bob.SID, UpdateWorkerParams{ActivitySID: &avail.SID}))(t) // bob takes t2 (priority 5)
	clk.Advance(time.Second)
	must(e.UpdateWorker(ws.SID, ann.SID, UpdateWorkerParams{FriendlyName: ptr("Ann")}))(t)
	base := "/v1/Workspaces/" + ws.SID

	type listCase struct {
		path   string
		query  string
		want   string // names/n values in order, or the error fragments for 400
		status int
	}
	item := func(m map[string]any) string {
		if n, ok := m["friendly_name"].(string); ok {
			return n
		}
		if a, ok := m["attributes"].(string); ok {
			return strings.TrimSuffix(strings.TrimPrefix(a[strings.Index(a, `"n":`)+4:], ""), "}")
		}
		return m["worker_name"].(string) + ":" + m["reservation_status"].(string)
	}
	cases := []listCase{
		// Tasks
		{"/Tasks", "", "1 2 3 4", 200},
		{"/Tasks", "AssignmentStatus=reserved", "1 2", 200},
		{"/Tasks", "AssignmentStatus=PENDING&AssignmentStatus=reserved", "1 2 3 4", 200},
		{"/Tasks", "AssignmentStatus=pending,canceled", "3 4", 200},
		{"/Tasks", "Priority=2", "3", 200},
		{"/Tasks", "WorkflowSid=" + wf.SID, "1 2 3 4", 200},
		{"/Tasks", "WorkflowName=Other", "", 200},
		{"/Tasks", "TaskQueueSid=" + support.SID, "2 4", 200},
		{"/Tasks", "TaskQueueName=Sales", "1 3", 200},
		{"/Tasks", "EvaluateTaskAttributes=" + url.QueryEscape("type == 'sales' AND n > 1"), "3", 200},
		{"/Tasks", "Ordering=Priority:desc", "2 3 1 4", 200},
		{"/Tasks", "Ordering=Priority:asc,DateCreated:desc", "4 1 3 2", 200},
		{"/Tasks", "HasAddons=true", "", 200},
		{"/Tasks", "HasAddons=false", "1 2 3 4", 200},
		{"/Tasks", "RoutingTarget=" + ann.SID, "4", 200},
		{"/Tasks", "EvaluateTaskAttributes=" + url.QueryEscape("type == 'sales' AND HAS"), "EvaluateTaskAttributes|position 20|HAS", 400},
		{"/Tasks", "AssignmentStatus=lost", "AssignmentStatus|lost", 400},
		{"/Tasks", "Priority=high", "Priority", 400},
		{"/Tasks", "Ordering=Age:desc", "Ordering|Age", 400},
		{"/Tasks", "Ordering=DateCreated:desc,VirtualStartTime:asc", "Ordering", 400},
		{"/Tasks", "WorkflowSid=WW123", "WorkflowSid|WW123", 400},
		{"/Tasks", "TaskQueueSid=bogus", "TaskQueueSid", 400},
		{"/Tasks", "PageSize=1001", "PageSize", 400},
		{"/Tasks", "PageToken=PTx", "PageToken", 400},
		// Workers
		{"/Workers", "", "Ann bob cy", 200},
		{"/Workers", "Available=true", "Ann bob", 200},
		{"/Workers", "Available=no", "cy", 200},
		{"/Workers", "ActivitySid=" + offline.SID, "cy", 200},
		{"/Workers", "ActivityName=Available", "Ann bob", 200},
		{"/Workers", "FriendlyName=ANN", "Ann", 200},
		{"/Workers", "TargetWorkersExpression=" + url.QueryEscape("level >= 2"), "Ann cy", 200},
		{"/Workers", "TargetWorkersExpression=" + url.QueryEscape("activity_name == 'Offline' OR friendly_name == 'bob'"), "bob cy", 200},
		{"/Workers", "TaskQueueSid=" + sales.SID, "Ann cy", 200},
		{"/Workers", "TaskQueueName=Support", "bob cy", 200},
		{"/Workers", "TaskQueueSid=" + nobody.SID, "", 200},
		{"/Workers", "Ordering=DateStatusChanged:desc", "bob cy Ann", 200},
		{"/Workers", "Ordering=DateStatusChanged", "Ann cy bob", 200},
		{"/Workers", "TargetWorkersExpression=" + url.QueryEscape("level >= "), "TargetWorkersExpression|position", 400},
		{"/Workers", "Ordering=FriendlyName:asc", "Ordering", 400},
		{"/Workers", "ActivitySid=WQ" + strings.Repeat("0", 32), "ActivitySid", 400},
		// TaskQueues
		{"/TaskQueues", "", "Sales Support Nobody", 200},
		{"/TaskQueues", "FriendlyName=Support", "Support", 200},
		{"/TaskQueues", "WorkerSid=" + bob.SID, "Support", 200},
		{"/TaskQueues", "EvaluateWorkerAttributes=" + url.QueryEscape(`{"skills":["sales","support"]}`), "Sales Support", 200},
		{"/TaskQueues", "Ordering=DateUpdated:desc", "Nobody Support Sales", 200},
		{"/TaskQueues", "EvaluateWorkerAttributes=" + url.QueryEscape(`["sales"]`), "EvaluateWorkerAttributes", 400},
		{"/TaskQueues", "WorkerSid=alice", "WorkerSid", 400},
		{"/TaskQueues", "Ordering=Priority:desc", "Ordering", 400},
		// Activities, Workflows
		{"/Activities", "Available=true", "Available", 200},
		{"/Activities", "Available=false", "Offline Unavailable", 200},
		{"/Activities", "FriendlyName=Offline", "Offline", 200},
		{"/Workflows", "FriendlyName=Other", "Other", 200},
		// Reservations
		{"/Tasks/" + t1.SID + "/Reservations", "", "Ann:pending", 200},
		{"/Tasks/" + t1.SID + "/Reservations", "ReservationStatus=Pending", "Ann:pending", 200},
		{"/Tasks/" + t1.SID + "/Reservations", "ReservationStatus=accepted", "", 200},
		{"/Tasks/" + t1.SID + "/Reservations", "WorkerSid=" + bob.SID, "", 200},
		{"/Tasks/" + t1.SID + "/Reservations", "WorkerSid=bob", "WorkerSid", 400},
		{"/Workers/" + bob.SID + "/Reservations", "ReservationStatus=pending", "bob:pending", 200},
		{"/Workers/" + bob.SID + "/Reservations", "ReservationStatus=done", "ReservationStatus|done", 400},
	}
	wantStatus(t, t2, TaskReserved)
	wantStatus(t, t3, TaskPending)
	wantStatus(t, tr, TaskPending)
	for _, c := range cases {
		t.Run(c.path+"?"+c.query, func(t *testing.T) {
			ce.t = t
			q, _ := url.ParseQuery(c.query)
			status, v, raw := ce.do(http.MethodGet, base+c.path, q)
			if status != c.status {
				t.Fatalf("status %d %s, want %d", status, raw, c.status)
			}
			body := v.(map[string]any)
			if c.status != 200 {
				msg, _ := body["message"].(string)
				if body["code"] != float64(20001) {
					t.Fatalf("code %v, want 20001", body["code"])
				}
				for _, frag := range strings.Split(c.want, "|") {
					if !strings.Contains(msg, frag) {
						t.Fatalf("message %q does not mention %q", msg, frag)
					}
				}
				return
			}
			key := body["meta"].(map[string]any)["key"].(string)
			var got []string
			for _, it := range body[key].([]any) {
				got = append(got, item(it.(map[string]any)))
			}
			if strings.Join(got, " ") != c.want {
				t.Fatalf("got [%s], want [%s]", strings.Join(got, " "), c.want)
			}
		})
	}
}

// TestAPIListPagingKeepsFilters pages through a filtered list: meta URLs
// carry the filters and the page token, and the pages add up.
func TestAPIListPagingKeepsFilters(t *testing.T) {
	srv, e := apiServer(t)
	ce := &contractEnv{t: t, srv: srv, e: e, ids: map[string]string{}}
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Paging", Template: TemplateFIFO}))(t)
	for i := range 7 {
		p := i % 2
		must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: fmt.Sprintf(`{"n":%d}`, i), Priority: &p}))(t)
	}
	path := "/v1/Workspaces/" + ws.SID + "/Tasks"
	q := url.Values{"Priority": {"0"}, "PageSize": {"3"}}
	var seen []string
	for page := 0; ; page++ {
		status, v, raw := ce.do(http.MethodGet, path, q)
		if status != 200 {
			t.Fatalf("page %d: %d %s", page, status, raw)
		}
		body := v.(map[string]any)
		meta := body["meta"].(map[string]any)
		if meta["page"] != float64(page) || meta["page_size"] != float64(3) || meta["key"] != "tasks" {
			t.Fatalf("meta %v", meta)
		}
		for _, it := range body["tasks"].([]any) {
			seen = append(seen, it.(map[string]any)["attributes"].(string))
		}
		next, _ := meta["next_page_url"].(string)
		if next == "" {
			break
		}
		u, _ := url.Parse(next)
		q = u.Query()
		if q.Get("Priority") != "0" || q.Get("PageToken") == "" {
			t.Fatalf("next_page_url %s lost the filter or the token", next)
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if want := `{"n":0} {"n":2} {"n":4} {"n":6}`; strings.Join(seen, " ") != want {
		t.Fatalf("pages hold %v, want %s", seen, want)
	}
}
