package taskrouter

import (
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// eventsOf returns the stored events of the fixture's workspace (newest
// first), with an hour of look-back.
func (f *fixture) eventsOf(filter EventFilter) []*EventRecord {
	f.t.Helper()
	if filter.Minutes == nil && filter.StartDate == nil {
		m := 60
		filter.Minutes = &m
	}
	return must(f.e.Events(f.ws.SID, filter))(f.t)
}

// lastEvent returns the newest stored event of type typ.
func (f *fixture) lastEvent(typ string) *EventRecord {
	f.t.Helper()
	evs := f.eventsOf(EventFilter{EventType: typ})
	if len(evs) == 0 {
		f.t.Fatalf("no %s event stored", typ)
	}
	return evs[0]
}

func typesOf(evs []*EventRecord) string {
	var s []string
	for i := len(evs) - 1; i >= 0; i-- { // oldest first reads naturally
		s = append(s, evs[i].EventType)
	}
	return strings.Join(s, " ")
}

// TestEventRecordsLifecycle drives one task through its lifecycle and checks
// that each engine event became a stored Event with Twilio's data.
func TestEventRecordsLifecycle(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Sales", "skill == 'sales'")
	wf := f.workflow(`{"task_routing":{"filters":[{"filter_friendly_name":"sales","expression":"type == 'sales'","targets":[{"queue":"`+q.SID+`"}]}]}}`, 120)
	alice := f.worker("alice", `{"skill":"sales"}`, true)
	task := f.taskP(`{"type":"sales"}`, 7)
	f.advance(12 * time.Second)
	res := f.pendingRes(task)
	f.setStatus(res, StatusAccepted)
	f.setStatus(res, StatusCompleted)

	want := "task.created workflow.entered workflow.target-matched task-queue.entered reservation.created " +
		"reservation.accepted reservation.completed task.completed"
	if got := typesOf(f.eventsOf(EventFilter{TaskSID: task.SID})); got != want {
		t.Fatalf("task events\n got %s\nwant %s", got, want)
	}

	tests := []struct {
		typ          string
		resourceType string
		resourceSID  string
		data         map[string]string
	}{
		{"task.created", ResourceTask, task.SID, map[string]string{"task_sid": task.SID, "task_priority": "7",
			"task_attributes": `{"type":"sales"}`, "task_assignment_status": "pending", "task_age": "0",
			"workflow_sid": wf.SID, "workflow_name": wf.FriendlyName, "workspace_name": "Test",
			"task_channel_unique_name": "default", "workspace_sid": f.ws.SID}},
		{"workflow.target-matched", ResourceWorkflow, wf.SID, map[string]string{"task_sid": task.SID,
			"workflow_filter_name": "sales", "workflow_filter_expression": "type == 'sales'", "task_queue_sid": q.SID,
			"task_queue_name": "Sales", "task_queue_target_expression": "skill == 'sales'"}},
		{"task-queue.entered", ResourceTaskQueue, q.SID, map[string]string{"task_sid": task.SID, "task_queue_sid": q.SID,
			"task_queue_name": "Sales"}},
		{"reservation.created", ResourceReservation, res.SID, map[string]string{"reservation_sid": res.SID,
			"task_sid": task.SID, "worker_sid": alice.SID, "worker_name": "alice", "worker_attributes": `{"skill":"sales"}`,
			"worker_activity_name": "Available", "task_assignment_status": "reserved", "task_queue_sid": q.SID}},
		{"reservation.accepted", ResourceReservation, res.SID, map[string]string{"task_age": "12",
			"task_assignment_status": "assigned", "worker_name": "alice"}},
		{"task.completed", ResourceTask, task.SID, map[string]string{"task_assignment_status": "completed",
			"task_completed_reason": "reservation completed"}},
		{"worker.created", ResourceWorker, alice.SID, map[string]string{"worker_sid": alice.SID, "worker_name": "alice",
			"worker_activity_sid": f.avail.SID}},
		{"task-queue.created", ResourceTaskQueue, q.SID, map[string]string{"task_queue_sid": q.SID,
			"task_queue_name": "Sales", "task_queue_target_expression": "skill == 'sales'"}},
		{"workflow.created", ResourceWorkflow, wf.SID, map[string]string{"workflow_sid": wf.SID, "workflow_name": wf.FriendlyName}},
		{"activity.created", ResourceActivity, "", map[string]string{"activity_available": "false"}},
		{"task-channel.created", ResourceTaskChannel, "", map[string]string{"task_channel_unique_name": "video"}},
		{"workspace.created", ResourceWorkspace, f.ws.SID, map[string]string{"workspace_name": "Test"}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ev := f.lastEvent(tc.typ)
			if !twilio.IsSID(ev.SID(), "EV") || ev.AccountSID() != f.env.AccountSID || ev.WorkspaceSID() != f.ws.SID ||
				ev.Description == "" {
				t.Fatalf("event %+v", ev)
			}
			if ev.ResourceType() != tc.resourceType || (tc.resourceSID != "" && ev.ResourceSID != tc.resourceSID) {
				t.Fatalf("resource %s %s, want %s %s", ev.ResourceType(), ev.ResourceSID, tc.resourceType, tc.resourceSID)
			}
			for k, v := range tc.data {
				if got := ev.Value(k); got != v {
					t.Errorf("event_data[%s] = %q, want %q (data %v)", k, got, v, ev.DataMap())
				}
			}
			got, err := f.e.EventRecord(f.ws.SID, ev.SID())
			if err != nil || got != ev {
				t.Fatalf("fetch %s = %v, %v", ev.SID(), got, err)
			}
		})
	}
}

func TestEventRecordsWorkerData(t *testing.T) {
	f := newFixture(t)
	w := f.worker("bob", `{}`, false)
	f.advance(90*time.Second + 250*time.Millisecond)
	f.setActivity(w, f.avail)
	attrs := `{"skill":"x"}`
	capacity := 3
	must(f.e.UpdateWorker(f.ws.SID, w.SID, UpdateWorkerParams{Attributes: &attrs}))(t)
	must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Capacity: &capacity}))(t)

	tests := []struct {
		typ  string
		data map[string]string
	}{
		{"worker.activity.update", map[string]string{"worker_activity_sid": f.avail.SID, "worker_activity_name": "Available",
			"worker_previous_activity_sid": f.offline.SID, "worker_previous_activity_name": "Offline",
			"worker_time_in_previous_activity": "90", "worker_time_in_previous_activity_ms": "90250"}},
		{"worker.attributes.update", map[string]string{"worker_attributes": attrs, "worker_name": "bob"}},
		{"worker.capacity.update", map[string]string{"worker_channel_capacity": "3", "task_channel_unique_name": "chat",
			"worker_channel_available": "true", "worker_channel_task_count": "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ev := f.lastEvent(tc.typ)
			if ev.ResourceType() != ResourceWorker || ev.ResourceSID != w.SID {
				t.Fatalf("resource %s %s", ev.ResourceType(), ev.ResourceSID)
			}
			for k, v := range tc.data {
				if got := ev.Value(k); got != v {
					t.Errorf("event_data[%s] = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestEventFilters(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Q", "1==1")
	wf := f.workflow(`{"task_routing":{"default_filter":{"queue":"`+q.SID+`"}}}`, 3600)
	alice := f.worker("alice", `{}`, true)
	t1 := f.task(`{"n":1}`)
	r1 := f.pendingRes(t1)
	old := f.e.Now()
	f.advance(20 * time.Minute) // t1's events fall out of the default window
	f.setStatus(r1, StatusRejected)
	chat := "chat"
	t2 := must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: `{"n":2}`, TaskChannel: chat}))(t)
	mins := func(m int) *int { return &m }
	at := func(d time.Duration) *time.Time { x := old.Add(d); return &x }

	tests := []struct {
		name   string
		filter EventFilter
		want   func(*EventRecord) bool
		count  int // -1: at least one
	}{
		{"EventType", EventFilter{Minutes: mins(60), EventType: "task.created"}, func(ev *EventRecord) bool { return ev.EventType == "task.created" }, 2},
		{"TaskSid", EventFilter{Minutes: mins(60), TaskSID: t1.SID}, func(ev *EventRecord) bool { return ev.Value("task_sid") == t1.SID }, -1},
		{"ReservationSid", EventFilter{Minutes: mins(60), ReservationSID: r1.SID}, func(ev *EventRecord) bool { return ev.Value("reservation_sid") == r1.SID }, 2},
		{"WorkerSid", EventFilter{Minutes: mins(60), WorkerSID: alice.SID}, func(ev *EventRecord) bool { return ev.Value("worker_sid") == alice.SID }, -1},
		{"WorkflowSid", EventFilter{Minutes: mins(60), WorkflowSID: wf.SID}, func(ev *EventRecord) bool { return ev.Value("workflow_sid") == wf.SID }, -1},
		{"TaskQueueSid", EventFilter{Minutes: mins(60), TaskQueueSID: q.SID}, func(ev *EventRecord) bool { return ev.Value("task_queue_sid") == q.SID }, -1},
		{"TaskChannel by name", EventFilter{Minutes: mins(60), TaskChannel: "chat", EventType: "task.created"}, func(ev *EventRecord) bool { return ev.Value("task_sid") == t2.SID }, 1},
		{"StartDate+EndDate", EventFilter{StartDate: at(-time.Second), EndDate: at(time.Second), EventType: "reservation.created"}, func(ev *EventRecord) bool { return ev.Value("task_sid") == t1.SID }, 1},
		{"EndDate only keeps older", EventFilter{Minutes: mins(60), EndDate: at(time.Minute)}, func(ev *EventRecord) bool { return !ev.Date().After(old) }, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := f.eventsOf(tc.filter)
			if tc.count >= 0 && len(evs) != tc.count {
				t.Fatalf("got %d events (%s), want %d", len(evs), typesOf(evs), tc.count)
			}
			if tc.count < 0 && len(evs) == 0 {
				t.Fatal("no events")
			}
			for i, ev := range evs {
				if !tc.want(ev) {
					t.Fatalf("event %s %s does not match the filter", ev.EventType, ev.SID())
				}
				if i > 0 && ev.seq > evs[i-1].seq {
					t.Fatal("events are not newest first")
				}
			}
		})
	}
	t.Run("Sid", func(t *testing.T) {
		ev := f.lastEvent("reservation.rejected")
		evs := f.eventsOf(EventFilter{SID: ev.SID()})
		if len(evs) != 1 || evs[0] != ev {
			t.Fatalf("Sid filter returned %v", evs)
		}
	})
	t.Run("default window is 15 minutes", func(t *testing.T) {
		evs := must(f.e.Events(f.ws.SID, EventFilter{EventType: "task.created"}))(t)
		if len(evs) != 1 || evs[0].Value("task_sid") != t2.SID {
			t.Fatalf("default window task.created events: %d (want only %s's)", len(evs), t2.SID)
		}
	})
	errs := []struct {
		name   string
		filter EventFilter
		param  string
	}{
		{"Minutes too small", EventFilter{Minutes: mins(0)}, "Minutes"},
		{"Minutes too large", EventFilter{Minutes: mins(maxLookbackMinutes + 1)}, "Minutes"},
		{"EndDate before start", EventFilter{Minutes: mins(5), EndDate: at(-time.Hour)}, "EndDate"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.e.Events(f.ws.SID, tc.filter)
			wantTwilioErr(t, err, 400, twilio.CodeInvalidParameter, tc.param)
		})
	}
	_, err := f.e.Events("WS00000000000000000000000000000000", EventFilter{})
	wantTwilioErr(t, err, 404, 20404)
	_, err = f.e.EventRecord(f.ws.SID, "EV00000000000000000000000000000000")
	wantTwilioErr(t, err, 404, 20404)
}

func TestEventRetention(t *testing.T) {
	f := newFixture(t)
	f.e.SetEventRetention(5)
	first := f.worker("w0", `{}`, false)
	_ = first
	var created []*Worker
	for i := 1; i <= 8; i++ {
		created = append(created, f.worker("w"+string(rune('0'+i)), `{}`, false))
	}
	evs := f.eventsOf(EventFilter{})
	if len(evs) != 5 {
		t.Fatalf("kept %d events, want 5", len(evs))
	}
	for i, ev := range evs { // newest first: w8, w7, ... w4
		if want := created[len(created)-1-i].SID; ev.Value("worker_sid") != want {
			t.Fatalf("event %d is for %s, want %s", i, ev.Value("worker_sid"), want)
		}
	}
	_, err := f.e.EventRecord(f.ws.SID, f.lastEventOrNil(t, first.SID))
	wantTwilioErr(t, err, 404, 20404)
	if _, err := f.e.EventRecord(f.ws.SID, evs[4].SID()); err != nil {
		t.Fatalf("oldest kept event not found: %v", err)
	}

	f.e.SetEventRetention(0)
	f.worker("w9", `{}`, false)
	if n := len(f.eventsOf(EventFilter{})); n != 0 {
		t.Fatalf("retention 0 kept %d events", n)
	}
}

// lastEventOrNil returns a syntactically valid EV SID of this engine that
// was never kept for workerSID (its events were evicted).
func (f *fixture) lastEventOrNil(t *testing.T, workerSID string) string {
	for _, ev := range f.eventsOf(EventFilter{WorkerSID: workerSID}) {
		t.Fatalf("event %s for evicted worker still stored", ev.SID())
	}
	return "EV" + f.e.hist.prefix + "0000000000000001"
}

func TestEventsGoWithWorkspace(t *testing.T) {
	f := newFixture(t)
	f.worker("w", `{}`, false)
	if len(f.eventsOf(EventFilter{})) == 0 {
		t.Fatal("no events before delete")
	}
	if err := f.e.DeleteWorkspace(f.ws.SID); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.e.hist.ws[f.ws.SID]; ok {
		t.Fatal("deleted workspace keeps its event log")
	}
}

// TestEventRecordsTaskChanges covers the events whose data carries what
// changed: priority updates, queue moves, timeouts, cancel reasons and
// deletions of tasks, workers and activities.
func TestEventRecordsTaskChanges(t *testing.T) {
	f := newFixture(t)
	first := f.queue("First", "1==1")
	second := f.queue("Second", "1==1")
	f.workflow(`{"task_routing":{"filters":[{"filter_friendly_name":"all","expression":"1==1","targets":[`+
		`{"queue":"`+first.SID+`","timeout":30},{"queue":"`+second.SID+`","timeout":30}]}]}}`, 120)
	task := f.taskP(`{"a":1}`, 2)
	prio := 9
	must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{Priority: &prio}))(t)
	f.advance(30 * time.Second) // First -> Second
	moved := f.lastEvent("task-queue.moved")
	f.advance(30 * time.Second) // Second times out: out of the workflow
	other := f.task(`{"b":2}`)
	reason := "abandoned"
	canceled := TaskCanceled
	must(f.e.UpdateTask(f.ws.SID, other.SID, UpdateTaskParams{AssignmentStatus: &canceled, Reason: &reason}))(t)
	must(f.e.DeleteTask(f.ws.SID, other.SID), nil)(t)
	w := f.worker("gone", `{}`, false)
	must(f.e.DeleteWorker(f.ws.SID, w.SID), nil)(t)
	act := must(f.e.CreateActivity(f.ws.SID, CreateActivityParams{FriendlyName: "Lunch"}))(t)
	must(f.e.DeleteActivity(f.ws.SID, act.SID), nil)(t)

	tests := []struct {
		ev   *EventRecord
		data map[string]string
	}{
		{f.lastEvent("task.updated"), map[string]string{"task_priority": "9", "previous_task_priority": "2"}},
		{moved, map[string]string{"task_queue_sid": second.SID, "task_queue_name": "Second",
			"previous_task_queue_sid": first.SID, "previous_task_queue_name": "First"}},
		{f.lastEvent("task-queue.timeout"), map[string]string{"task_sid": task.SID, "task_queue_name": "Second"}},
		{f.lastEvent("workflow.timeout"), map[string]string{"task_sid": task.SID}},
		{f.lastEvent("task.canceled"), map[string]string{"task_sid": other.SID, "task_canceled_reason": "abandoned",
			"task_assignment_status": "canceled"}},
		{f.lastEvent("task.deleted"), map[string]string{"task_sid": other.SID, "task_assignment_status": "canceled"}},
		{f.lastEvent("worker.deleted"), map[string]string{"worker_sid": w.SID, "worker_name": "gone"}},
		{f.lastEvent("activity.deleted"), map[string]string{"activity_sid": act.SID, "activity_name": "Lunch"}},
	}
	for _, tc := range tests {
		t.Run(tc.ev.EventType, func(t *testing.T) {
			for k, v := range tc.data {
				if got := tc.ev.Value(k); got != v {
					t.Errorf("event_data[%s] = %q, want %q (%v)", k, got, v, tc.ev.DataMap())
				}
			}
		})
	}
}
