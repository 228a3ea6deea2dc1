package taskrouter

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	twiliogo "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	trapi "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// goRoutingEnv: Sales (skills HAS 'sales') fed by the only workflow, alice
// (sales) and bob (no skills), both available.
type goRoutingEnv struct {
	tr                 *trapi.ApiService
	e                  *Engine
	ws, sales, support string
	alice, bob         string
}

func newGoRoutingEnv(t *testing.T, srv *httptest.Server, e *Engine) *goRoutingEnv {
	t.Helper()
	acct := e.env.AccountSID
	c := &client.Client{Credentials: client.NewCredentials(acct, e.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(acct)
	g := &goRoutingEnv{tr: twiliogo.NewRestClientWithParams(twiliogo.ClientParams{Client: c}).TaskrouterV1, e: e}
	ws, err := g.tr.CreateWorkspace(new(trapi.CreateWorkspaceParams).SetFriendlyName("Direct"))
	if err != nil {
		t.Fatal(err)
	}
	g.ws = *ws.Sid
	acts, err := g.tr.ListActivity(g.ws, new(trapi.ListActivityParams).SetFriendlyName("Available"))
	if err != nil || len(acts) != 1 {
		t.Fatalf("activities %v %v", acts, err)
	}
	for name, expr := range map[string]string{"Sales": "skills HAS 'sales'", "Support": "skills HAS 'support'"} {
		q, err := g.tr.CreateTaskQueue(g.ws, new(trapi.CreateTaskQueueParams).SetFriendlyName(name).SetTargetWorkers(expr))
		if err != nil {
			t.Fatal(err)
		}
		if name == "Sales" {
			g.sales = *q.Sid
		} else {
			g.support = *q.Sid
		}
	}
	if _, err := g.tr.CreateWorkflow(g.ws, new(trapi.CreateWorkflowParams).SetFriendlyName("Main").
		SetConfiguration(`{"task_routing":{"default_filter":{"queue":"`+g.sales+`"}}}`)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		attrs := `{}`
		if name == "alice" {
			attrs = `{"skills":["sales"]}`
		}
		w, err := g.tr.CreateWorker(g.ws, new(trapi.CreateWorkerParams).SetFriendlyName(name).SetAttributes(attrs).SetActivitySid(*acts[0].Sid))
		if err != nil {
			t.Fatal(err)
		}
		if name == "alice" {
			g.alice = *w.Sid
		} else {
			g.bob = *w.Sid
		}
	}
	return g
}

// pendingFor lists the worker names holding pending reservations for task.
func (g *goRoutingEnv) pendingFor(t *testing.T, task string) []string {
	t.Helper()
	rs, err := g.tr.ListTaskReservation(g.ws, task, new(trapi.ListTaskReservationParams).SetReservationStatus("pending"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, *r.WorkerName)
	}
	return out
}

// TestTwilioGoRoutingTarget creates tasks with RoutingTarget and
// IgnoreCapacity through twilio-go.
func TestTwilioGoRoutingTarget(t *testing.T) {
	srv, e := apiServer(t)
	g := newGoRoutingEnv(t, srv, e)
	// alice is busy: the workflow gives her this task (capacity 1).
	busy, err := g.tr.CreateTask(g.ws, new(trapi.CreateTaskParams).SetAttributes(`{}`))
	if err != nil || !slices.Equal(g.pendingFor(t, *busy.Sid), []string{"alice"}) {
		t.Fatalf("setup task %v", err)
	}
	cases := []struct {
		name, target, ignore, queue string
		wantIgnore                  bool
		wantStatus, wantQueue       string
		wantWorkers                 []string
	}{
		{"worker target, default IgnoreCapacity", g.bob, "", "", true, "reserved", g.sales, []string{"bob"}},
		{"busy worker, IgnoreCapacity default true", g.alice, "", "", true, "reserved", g.sales, []string{"alice"}},
		{"busy worker, IgnoreCapacity=false", g.alice, "false", "", false, "pending", g.sales, nil},
		{"IgnoreCapacity=yes", g.alice, "yes", g.support, true, "reserved", g.support, []string{"alice"}},
		{"queue target", g.sales, "", "", false, "pending", g.sales, nil}, // alice, its only member, has no room
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := new(trapi.CreateTaskParams).SetAttributes(`{"case":"` + c.name + `"}`).SetRoutingTarget(c.target)
			if c.ignore != "" {
				p.SetIgnoreCapacity(c.ignore)
			}
			if c.queue != "" {
				p.SetTaskQueueSid(c.queue)
			}
			task, err := g.tr.CreateTask(g.ws, p)
			if err != nil {
				t.Fatal(err)
			}
			if task.RoutingTarget == nil || *task.RoutingTarget != c.target || task.IgnoreCapacity == nil || *task.IgnoreCapacity != c.wantIgnore {
				t.Fatalf("routing_target %v ignore_capacity %v", task.RoutingTarget, task.IgnoreCapacity)
			}
			if *task.AssignmentStatus != c.wantStatus || *task.TaskQueueSid != c.wantQueue {
				t.Fatalf("status %s queue %s", *task.AssignmentStatus, *task.TaskQueueFriendlyName)
			}
			if got := g.pendingFor(t, *task.Sid); !slices.Equal(got, c.wantWorkers) {
				t.Fatalf("pending reservations for %v, want %v", got, c.wantWorkers)
			}
			// the list filter finds it
			tasks, err := g.tr.ListTask(g.ws, new(trapi.ListTaskParams).SetRoutingTarget(c.target).SetEvaluateTaskAttributes(`case == '`+c.name+`'`))
			if err != nil || len(tasks) != 1 || *tasks[0].Sid != *task.Sid {
				t.Fatalf("RoutingTarget list filter: %d tasks, %v", len(tasks), err)
			}
		})
	}
	_, err = g.tr.CreateTask(g.ws, new(trapi.CreateTaskParams).SetRoutingTarget("WK00000000000000000000000000000000"))
	if re, ok := err.(*client.TwilioRestError); !ok || re.Code != 20001 || re.Status != 400 || !strings.Contains(re.Message, "RoutingTarget") {
		t.Fatalf("unknown worker target error %#v", err)
	}
}

// TestTwilioGoBulkRealTimeStatistics reads several queues' real-time
// statistics in one request, as twilio-go sends it (a JSON body).
func TestTwilioGoBulkRealTimeStatistics(t *testing.T) {
	_, e := apiServer(t)
	mux := http.NewServeMux()
	twiliotest.Mount(mux, Product, e, Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g := newGoRoutingEnv(t, srv, e)
	for i := 0; i < 3; i++ { // alice gets the first; two wait in Sales
		if _, err := g.tr.CreateTask(g.ws, new(trapi.CreateTaskParams).SetAttributes(`{}`).SetPriority(i)); err != nil {
			t.Fatal(err)
		}
	}
	ghost := "WQ" + strings.Repeat("0", 32)
	cases := []struct {
		name  string
		sids  []string
		want  []string // task_queue_sid of each entry
		tasks []int    // total_tasks of each entry
	}{
		{"one queue", []string{g.sales}, []string{g.sales}, []int{3}},
		{"two queues in the order asked", []string{g.support, g.sales}, []string{g.support, g.sales}, []int{0, 3}},
		{"unknown and repeated SIDs are left out", []string{g.sales, ghost, g.sales}, []string{g.sales}, []int{3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := g.tr.CreateTaskQueueBulkRealTimeStatistics(g.ws, new(trapi.CreateTaskQueueBulkRealTimeStatisticsParams).
				SetBody(map[string]any{"QueueSids": c.sids}))
			if err != nil {
				t.Fatal(err)
			}
			if *st.AccountSid != e.env.AccountSID || *st.WorkspaceSid != g.ws || st.TaskQueueResponseCount != len(c.want) ||
				*st.Url != "https://taskrouter.twilio.com/v1/Workspaces/"+g.ws+"/TaskQueues/RealTimeStatistics" {
				t.Fatalf("statistics %+v", st)
			}
			if st.TaskQueueData == nil || len(*st.TaskQueueData) != len(c.want) {
				t.Fatalf("task_queue_data %v", st.TaskQueueData)
			}
			for i, raw := range *st.TaskQueueData {
				m := raw.(map[string]any)
				if m["task_queue_sid"] != c.want[i] || m["total_tasks"] != float64(c.tasks[i]) {
					t.Fatalf("entry %d = %v", i, m)
				}
				if c.want[i] != g.sales {
					continue
				}
				one, err := g.tr.FetchTaskQueueRealTimeStatistics(g.ws, g.sales, nil)
				if err != nil {
					t.Fatal(err)
				}
				if m["total_available_workers"] != float64(one.TotalAvailableWorkers) || m["total_eligible_workers"] != float64(one.TotalEligibleWorkers) ||
					m["longest_task_waiting_sid"] != *one.LongestTaskWaitingSid ||
					m["tasks_by_status"].(map[string]any)["pending"] != float64(2) || m["tasks_by_status"].(map[string]any)["reserved"] != float64(1) {
					t.Fatalf("entry %v differs from the queue's RealTimeStatistics %+v", m, one)
				}
			}
		})
	}
}

// TestBulkRealTimeStatisticsShape checks task_queue_data entries against the
// fields of the spec's example, and the errors.
func TestBulkRealTimeStatisticsShape(t *testing.T) {
	srv, e := apiServer(t)
	g := newGoRoutingEnv(t, srv, e)
	post := func(contentType, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/Workspaces/"+g.ws+"/TaskQueues/RealTimeStatistics", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("bad JSON %s", raw)
		}
		return resp.StatusCode, m
	}
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, ct, body string
		status         int
		count          int    // entries, for 200
		frag           string // error message fragment, else
	}{
		{"form, repeated", form, "QueueSids=" + g.sales + "&QueueSids=" + g.support, 200, 2, ""},
		{"form, comma-separated", form, "QueueSids=" + g.sales + "," + g.support, 200, 2, ""},
		{"JSON", "application/json", `{"QueueSids":["` + g.sales + `"]}`, 200, 1, ""},
		{"nothing", form, "", 400, 0, "QueueSids"},
		{"not a queue SID", form, "QueueSids=WK123", 400, 0, "QueueSids"},
		{"JSON list of numbers", "application/json", `{"QueueSids":[1]}`, 400, 0, "QueueSids"},
		{"too many", form, "QueueSids=" + strings.TrimSuffix(strings.Repeat(g.sales+",", 51), ","), 400, 0, "at most 50"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, m := post(c.ct, c.body)
			if status != c.status {
				t.Fatalf("status %d %v", status, m)
			}
			if status != 200 {
				if msg, _ := m["message"].(string); !strings.Contains(msg, c.frag) {
					t.Fatalf("error %v", m)
				}
				return
			}
			data := m["task_queue_data"].([]any)
			if len(data) != c.count || m["task_queue_response_count"] != float64(c.count) {
				t.Fatalf("%d entries, count %v", len(data), m["task_queue_response_count"])
			}
			// The spec's example entry, field for field.
			want := []string{"activity_statistics", "longest_task_waiting_age", "longest_task_waiting_sid", "task_queue_sid",
				"tasks_by_priority", "tasks_by_status", "total_available_workers", "total_eligible_workers", "total_tasks"}
			for _, raw := range data {
				var got []string
				for k := range raw.(map[string]any) {
					got = append(got, k)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("entry fields %v, want %v", got, want)
				}
			}
		})
	}

}
