package taskrouter

import (
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

// specFields are the response properties of twilio_taskrouter_v1.json for
// the Event and statistics schemas (checked against the spec file by
// TestSpecFieldLists).
var specFields = map[string]string{
	"taskrouter.v1.workspace.event": "account_sid actor_sid actor_type actor_url description event_data event_date " +
		"event_date_ms event_type resource_sid resource_type resource_url sid source source_ip_address url workspace_sid",
	"taskrouter.v1.workspace.workspace_statistics": "realtime cumulative account_sid workspace_sid url",
	"taskrouter.v1.workspace.workspace_real_time_statistics": "account_sid activity_statistics longest_task_waiting_age " +
		"longest_task_waiting_sid tasks_by_priority tasks_by_status total_tasks total_workers workspace_sid url",
	"taskrouter.v1.workspace.workspace_cumulative_statistics": "account_sid avg_task_acceptance_time start_time end_time " +
		"reservations_created reservations_accepted reservations_rejected reservations_timed_out reservations_canceled " +
		"reservations_rescinded split_by_wait_time wait_duration_until_accepted wait_duration_until_canceled tasks_canceled " +
		"tasks_completed tasks_created tasks_deleted tasks_moved tasks_timed_out_in_workflow workspace_sid url",
	"taskrouter.v1.workspace.task_queue.task_queue_statistics": "account_sid cumulative realtime task_queue_sid workspace_sid url",
	"taskrouter.v1.workspace.task_queue.task_queue_real_time_statistics": "account_sid activity_statistics " +
		"longest_task_waiting_age longest_task_waiting_sid longest_relative_task_age_in_queue " +
		"longest_relative_task_sid_in_queue task_queue_sid tasks_by_priority tasks_by_status total_available_workers " +
		"total_eligible_workers total_tasks workspace_sid url",
	"taskrouter.v1.workspace.task_queue.task_queue_cumulative_statistics": "account_sid avg_task_acceptance_time start_time " +
		"end_time reservations_created reservations_accepted reservations_rejected reservations_timed_out " +
		"reservations_canceled reservations_rescinded split_by_wait_time task_queue_sid wait_duration_until_accepted " +
		"wait_duration_until_canceled wait_duration_in_queue_until_accepted tasks_canceled tasks_completed tasks_deleted " +
		"tasks_entered tasks_moved workspace_sid url",
	"taskrouter.v1.workspace.task_queue.task_queues_statistics": "account_sid cumulative realtime task_queue_sid workspace_sid",
	"taskrouter.v1.workspace.workflow.workflow_statistics":      "account_sid cumulative realtime workflow_sid workspace_sid url",
	"taskrouter.v1.workspace.workflow.workflow_real_time_statistics": "account_sid longest_task_waiting_age " +
		"longest_task_waiting_sid tasks_by_priority tasks_by_status total_tasks workflow_sid workspace_sid url",
	"taskrouter.v1.workspace.workflow.workflow_cumulative_statistics": "account_sid avg_task_acceptance_time start_time " +
		"end_time reservations_created reservations_accepted reservations_rejected reservations_timed_out " +
		"reservations_canceled reservations_rescinded split_by_wait_time wait_duration_until_accepted " +
		"wait_duration_until_canceled tasks_canceled tasks_completed tasks_entered tasks_deleted tasks_moved " +
		"tasks_timed_out_in_workflow workflow_sid workspace_sid url",
	"taskrouter.v1.workspace.worker.worker_instance_statistics": "account_sid cumulative worker_sid workspace_sid url",
	"taskrouter.v1.workspace.worker.worker_statistics":          "realtime cumulative account_sid workspace_sid url",
	"taskrouter.v1.workspace.worker.workers_real_time_statistics": "account_sid activity_statistics total_workers " +
		"workspace_sid url",
	"taskrouter.v1.workspace.worker.workers_cumulative_statistics": "account_sid start_time end_time activity_durations " +
		"reservations_created reservations_accepted reservations_rejected reservations_timed_out reservations_canceled " +
		"reservations_rescinded workspace_sid url",
}

// specPath is the trimmed copy of twilio_taskrouter_v1.json (schemas whole).
const specPath = "testdata/twilio_taskrouter_v1.trimmed.json"

// TestSpecFieldLists keeps specFields honest against the OpenAPI file.
func TestSpecFieldLists(t *testing.T) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		t.Skipf("spec not available: %v", err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for name, fields := range specFields {
		var want []string
		for k := range spec.Components.Schemas[name].Properties {
			want = append(want, k)
		}
		sort.Strings(want)
		got := strings.Fields(fields)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n list %v\n spec %v", name, got, want)
		}
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// wantFields checks that obj has exactly the schema's properties, minus drop.
func wantFields(t *testing.T, what string, obj map[string]any, schema string, drop ...string) {
	t.Helper()
	var want []string
	for _, f := range strings.Fields(specFields["taskrouter.v1.workspace."+schema]) {
		if !slices.Contains(drop, f) {
			want = append(want, f)
		}
	}
	if len(want) == 0 {
		t.Fatalf("unknown schema %s", schema)
	}
	sort.Strings(want)
	if got := keysOf(obj); !slices.Equal(got, want) {
		t.Fatalf("%s fields\n got %v\nwant %v", what, got, want)
	}
}

// nested are the fields the realtime/cumulative objects inside a
// Statistics resource leave out.
var nested = []string{"account_sid", "workspace_sid", "url", "task_queue_sid", "workflow_sid"}

// statsAPI sets up, over REST, a workspace with one queue, one workflow,
// an available worker and a task accepted after the clock moved 7 seconds.
func statsAPI(t *testing.T) (apiClient, *Engine, map[string]string) {
	srv, e := apiServer(t)
	c := apiClient{t, srv}
	ids := map[string]string{}
	ws := c.call("POST", "/v1/Workspaces", url.Values{"FriendlyName": {"Stats"}}, 201)
	ids["ws"] = ws["sid"].(string)
	base := "/v1/Workspaces/" + ids["ws"]
	acts := c.call("GET", base+"/Activities?FriendlyName=Available", nil, 200)["activities"].([]any)
	ids["avail"] = acts[0].(map[string]any)["sid"].(string)
	ids["q"] = c.call("POST", base+"/TaskQueues", url.Values{"FriendlyName": {"Everyone"}, "TargetWorkers": {"1==1"}}, 201)["sid"].(string)
	ids["wf"] = c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"},
		"Configuration": {`{"task_routing":{"default_filter":{"queue":"` + ids["q"] + `"}}}`}}, 201)["sid"].(string)
	ids["wk"] = c.call("POST", base+"/Workers", url.Values{"FriendlyName": {"alice"}, "ActivitySid": {ids["avail"]}}, 201)["sid"].(string)
	ids["task"] = c.call("POST", base+"/Tasks", url.Values{"Attributes": {`{"lang":"fr"}`}, "TaskChannel": {"chat"}}, 201)["sid"].(string)
	res := c.call("GET", base+"/Tasks/"+ids["task"]+"/Reservations", nil, 200)["reservations"].([]any)
	ids["res"] = res[0].(map[string]any)["sid"].(string)
	// No timer is due within 7 s, so moving the clock outside the API lock runs no engine code.
	e.env.Clock.(*clock.Virtual).Advance(7 * time.Second)
	c.call("POST", base+"/Tasks/"+ids["task"]+"/Reservations/"+ids["res"], url.Values{"ReservationStatus": {"accepted"}}, 200)
	return c, e, ids
}

func TestAPIStatistics(t *testing.T) {
	c, _, ids := statsAPI(t)
	ws := "/v1/Workspaces/" + ids["ws"]
	q := ws + "/TaskQueues/" + ids["q"]
	wf := ws + "/Workflows/" + ids["wf"]
	tests := []struct {
		path   string
		schema string
		check  func(t *testing.T, m map[string]any)
	}{
		{ws + "/RealTimeStatistics", "workspace_real_time_statistics", func(t *testing.T, m map[string]any) {
			byStatus := m["tasks_by_status"].(map[string]any)
			if byStatus["assigned"] != 1.0 || byStatus["pending"] != 0.0 || m["total_tasks"] != 1.0 || m["total_workers"] != 1.0 ||
				m["longest_task_waiting_sid"] != nil {
				t.Fatalf("realtime %v", m)
			}
			acts := m["activity_statistics"].([]any)
			if len(acts) != 3 || keysOf(acts[0].(map[string]any))[0] != "friendly_name" {
				t.Fatalf("activity_statistics %v", acts)
			}
		}},
		{ws + "/CumulativeStatistics?SplitByWaitTime=5,10", "workspace_cumulative_statistics", func(t *testing.T, m map[string]any) {
			if m["tasks_created"] != 1.0 || m["reservations_accepted"] != 1.0 || m["avg_task_acceptance_time"] != 7.0 {
				t.Fatalf("cumulative %v", m)
			}
			wait := m["wait_duration_until_accepted"].(map[string]any)
			if wait["avg"] != 7.0 || wait["min"] != 7.0 || wait["max"] != 7.0 || wait["total"] != 7.0 {
				t.Fatalf("wait %v", wait)
			}
			split := m["split_by_wait_time"].(map[string]any)
			above := split["5"].(map[string]any)["above"].(map[string]any)
			below := split["10"].(map[string]any)["below"].(map[string]any)
			if above["reservations_accepted"] != 1.0 || below["reservations_accepted"] != 1.0 || above["tasks_canceled"] != 0.0 {
				t.Fatalf("split %v", split)
			}
		}},
		{ws + "/Statistics", "workspace_statistics", func(t *testing.T, m map[string]any) {
			wantFields(t, "realtime", m["realtime"].(map[string]any), "workspace_real_time_statistics", nested...)
			wantFields(t, "cumulative", m["cumulative"].(map[string]any), "workspace_cumulative_statistics", nested...)
		}},
		{q + "/RealTimeStatistics", "task_queue.task_queue_real_time_statistics", func(t *testing.T, m map[string]any) {
			if m["total_eligible_workers"] != 1.0 || m["total_available_workers"] != 1.0 || m["task_queue_sid"] != ids["q"] {
				t.Fatalf("queue realtime %v", m)
			}
		}},
		{q + "/CumulativeStatistics?TaskChannel=chat", "task_queue.task_queue_cumulative_statistics", func(t *testing.T, m map[string]any) {
			if m["tasks_entered"] != 1.0 || m["reservations_created"] != 1.0 || m["split_by_wait_time"] != nil {
				t.Fatalf("queue cumulative %v", m)
			}
			if w := m["wait_duration_in_queue_until_accepted"].(map[string]any); w["total"] != 7.0 {
				t.Fatalf("in queue %v", w)
			}
		}},
		{q + "/CumulativeStatistics?TaskChannel=voice", "task_queue.task_queue_cumulative_statistics", func(t *testing.T, m map[string]any) {
			if m["tasks_entered"] != 0.0 || m["reservations_created"] != 0.0 {
				t.Fatalf("voice-only cumulative %v", m)
			}
		}},
		{q + "/Statistics", "task_queue.task_queue_statistics", func(t *testing.T, m map[string]any) {
			wantFields(t, "realtime", m["realtime"].(map[string]any), "task_queue.task_queue_real_time_statistics", nested...)
			wantFields(t, "cumulative", m["cumulative"].(map[string]any), "task_queue.task_queue_cumulative_statistics", nested...)
		}},
		{wf + "/RealTimeStatistics", "workflow.workflow_real_time_statistics", nil},
		{wf + "/CumulativeStatistics", "workflow.workflow_cumulative_statistics", func(t *testing.T, m map[string]any) {
			if m["tasks_entered"] != 1.0 || m["workflow_sid"] != ids["wf"] {
				t.Fatalf("workflow cumulative %v", m)
			}
		}},
		{wf + "/Statistics", "workflow.workflow_statistics", func(t *testing.T, m map[string]any) {
			wantFields(t, "realtime", m["realtime"].(map[string]any), "workflow.workflow_real_time_statistics", nested...)
			wantFields(t, "cumulative", m["cumulative"].(map[string]any), "workflow.workflow_cumulative_statistics", nested...)
		}},
		{ws + "/Workers/RealTimeStatistics", "worker.workers_real_time_statistics", nil},
		{ws + "/Workers/CumulativeStatistics", "worker.workers_cumulative_statistics", func(t *testing.T, m map[string]any) {
			durs := m["activity_durations"].([]any)
			if len(durs) != 3 {
				t.Fatalf("activity_durations %v", durs)
			}
			for _, d := range durs {
				if got := keysOf(d.(map[string]any)); strings.Join(got, " ") != "avg friendly_name max min sid total" {
					t.Fatalf("activity_durations entry fields %v", got)
				}
			}
		}},
		{ws + "/Workers/Statistics?TaskQueueSid=" + ids["q"], "worker.worker_statistics", func(t *testing.T, m map[string]any) {
			wantFields(t, "realtime", m["realtime"].(map[string]any), "worker.workers_real_time_statistics", nested...)
			wantFields(t, "cumulative", m["cumulative"].(map[string]any), "worker.workers_cumulative_statistics", nested...)
			if m["cumulative"].(map[string]any)["reservations_accepted"] != 1.0 {
				t.Fatalf("workers of the queue %v", m["cumulative"])
			}
		}},
		{ws + "/Workers/" + ids["wk"] + "/Statistics", "worker.worker_instance_statistics", func(t *testing.T, m map[string]any) {
			cum := m["cumulative"].(map[string]any)
			if cum["reservations_created"] != 1.0 || m["worker_sid"] != ids["wk"] {
				t.Fatalf("worker statistics %v", m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			m := c.call("GET", tc.path, nil, 200)
			wantFields(t, tc.path, m, tc.schema)
			if u, _ := m["url"].(string); u != c.srv.URL+"/taskrouter"+strings.SplitN(tc.path, "?", 2)[0] {
				t.Fatalf("url %q for %s", u, tc.path)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
	t.Run("TaskQueues/Statistics list", func(t *testing.T) {
		m := c.call("GET", ws+"/TaskQueues/Statistics?PageSize=1", nil, 200)
		items := m["task_queues_statistics"].([]any)
		meta := m["meta"].(map[string]any)
		if len(items) != 1 || meta["key"] != "task_queues_statistics" {
			t.Fatalf("list %v", m)
		}
		wantFields(t, "item", items[0].(map[string]any), "task_queue.task_queues_statistics")
	})
	errs := []struct {
		path   string
		status int
	}{
		{ws + "/CumulativeStatistics?Minutes=0", 400},
		{ws + "/CumulativeStatistics?StartDate=yesterday", 400},
		{ws + "/RealTimeStatistics?TaskChannel=fax", 400},
		{ws + "/TaskQueues/WQ00000000000000000000000000000000/Statistics", 404},
		{ws + "/Workers/WK00000000000000000000000000000000/Statistics", 404},
		{"/v1/Workspaces/WS00000000000000000000000000000000/Statistics", 404},
	}
	for _, tc := range errs {
		c.call("GET", tc.path, nil, tc.status)
	}
}
