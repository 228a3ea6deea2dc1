package taskrouter

import (
	"github.com/flexemu/flexemu/emulator/cause"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// asgFixture is a workspace whose workflow has an assignment callback
// pointing at a test receiver. Engine calls and env.Later reactions are
// serialised by mu, as the account lock does in the emulator.
type asgFixture struct {
	t              *testing.T
	mu             sync.Mutex
	en             env.Env
	clk            *clock.Virtual
	e              *Engine
	ws             *Workspace
	avail, offline *Activity
	alice          *Worker
	rc             *testReceiver
}

// newAsgFixture sets primary/fallback callback URLs (relative paths are on
// the receiver; "" leaves the URL unset; absolute URLs are used as given).
func newAsgFixture(t *testing.T, primary, fallback string, respond func(string, hookRequest) (int, string)) *asgFixture {
	f := &asgFixture{t: t}
	f.en, f.clk = env.ForTest()
	f.en.Later = func(_ cause.ID, fn func()) { f.mu.Lock(); defer f.mu.Unlock(); fn() }
	f.e = New(f.en)
	f.rc = newTestReceiver(t, f.en.AuthToken, respond)
	abs := func(u string) string {
		if u == "" || u[0] != '/' {
			return u
		}
		return f.rc.srv.URL + u
	}
	f.lock(func() {
		f.ws = must(f.e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Assign"}))(t)
		f.avail = must(f.e.ActivityByName(f.ws.SID, "Available"))(t)
		f.offline = must(f.e.ActivityByName(f.ws.SID, "Offline"))(t)
		q := must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Q"}))(t)
		must(f.e.CreateWorkflow(f.ws.SID, CreateWorkflowParams{FriendlyName: "WF", TaskReservationTimeout: 30,
			Configuration:         `{"task_routing":{"default_filter":{"queue":"` + q.SID + `"}}}`,
			AssignmentCallbackURL: abs(primary), FallbackAssignmentCallbackURL: abs(fallback)}))(t)
		f.alice = must(f.e.CreateWorker(f.ws.SID, CreateWorkerParams{FriendlyName: "alice", ActivitySID: f.avail.SID,
			Attributes: `{"contact_uri":"client:alice"}`}))(t)
	})
	return f
}

func (f *asgFixture) lock(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// newTask creates a task (reserved for alice at once) and returns its reservation.
func (f *asgFixture) newTask() (*Task, *Reservation) {
	var task *Task
	var res *Reservation
	f.lock(func() {
		task = must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: `{"type":"chat"}`, TaskChannel: "chat"}))(f.t)
		if rs := task.Reservations(); len(rs) == 1 {
			res = rs[0]
		}
	})
	if res == nil {
		f.t.Fatal("task was not reserved")
	}
	return task, res
}

// state reads fields under the lock.
func (f *asgFixture) state(r *Reservation) (resStatus, taskStatus, activity, instruction string) {
	f.lock(func() {
		resStatus, taskStatus, activity, instruction = r.ReservationStatus, r.task.AssignmentStatus, r.worker.ActivityName, r.Instruction
	})
	return
}

// entries returns the timeline entries of type typ.
func (f *asgFixture) entries(typ string) []timeline.Entry {
	var out []timeline.Entry
	for _, e := range f.en.Timeline.Since(0) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestAssignmentCallback(t *testing.T) {
	old := assignmentTimeout
	assignmentTimeout = 100 * time.Millisecond
	t.Cleanup(func() { assignmentTimeout = old })

	type answer struct {
		status int
		body   string
		delay  time.Duration
	}
	tests := []struct {
		name              string
		primary, fallback string // URL or receiver path
		answers           map[string]answer
		wantRes, wantTask string
		wantActivity      string
		wantInstruction   string
		wantCalls         map[string]int
		wantTimeline      map[string]string // entry type -> error_code ("" = any)
		noTimeline        []string
		afterTimeout      string // reservation status after task_reservation_timeout
	}{
		{name: "accept", primary: "/a", answers: map[string]answer{"/a": {200, `{"instruction":"accept"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available",
			wantCalls: map[string]int{"/a": 1}, wantTimeline: map[string]string{evAssignmentInstruction: ""}},
		{name: "accept is case-insensitive", primary: "/a", answers: map[string]answer{"/a": {200, `{"instruction":"Accept"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available", wantCalls: map[string]int{"/a": 1}},
		{name: "reject with activity_sid moves the worker", primary: "/a",
			answers: map[string]answer{"/a": {200, `{"instruction":"reject","activity_sid":"OFFLINE"}`, 0}},
			wantRes: StatusRejected, wantTask: TaskPending, wantActivity: "Offline", wantCalls: map[string]int{"/a": 1}},
		{name: "reject without activity keeps it", primary: "/a", answers: map[string]answer{"/a": {200, `{"instruction":"reject"}`, 0}},
			wantRes: StatusRejected, wantTask: TaskPending, wantActivity: "Available", wantCalls: map[string]int{"/a": 1}},
		{name: "dequeue accepts and is recorded", primary: "/a",
			answers: map[string]answer{"/a": {200, `{"instruction":"dequeue","from":"+15550100","post_work_activity_sid":"WA1"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available", wantInstruction: "dequeue",
			wantCalls: map[string]int{"/a": 1}},
		{name: "conference accepts", primary: "/a", answers: map[string]answer{"/a": {200, `{"instruction":"conference"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available", wantInstruction: "conference",
			wantCalls: map[string]int{"/a": 1}},
		{name: "500 uses the fallback", primary: "/a", fallback: "/b",
			answers: map[string]answer{"/a": {500, "oops", 0}, "/b": {200, `{"instruction":"accept"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available",
			wantCalls: map[string]int{"/a": 1, "/b": 1}, wantTimeline: map[string]string{evAssignmentFailed: ""}},
		{name: "timeout uses the fallback", primary: "/a", fallback: "/b",
			answers: map[string]answer{"/a": {200, `{"instruction":"reject"}`, 400 * time.Millisecond}, "/b": {200, `{"instruction":"accept"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available", wantCalls: map[string]int{"/a": 1, "/b": 1}},
		{name: "connection refused uses the fallback", primary: "http://127.0.0.1:1/a", fallback: "/b",
			answers: map[string]answer{"/b": {200, `{"instruction":"accept"}`, 0}},
			wantRes: StatusAccepted, wantTask: TaskAssigned, wantActivity: "Available", wantCalls: map[string]int{"/b": 1}},
		{name: "both fail: pending until the reservation times out", primary: "/a", fallback: "/b",
			answers: map[string]answer{"/a": {503, "", 0}, "/b": {404, "", 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available",
			wantCalls: map[string]int{"/a": 1, "/b": 1}, wantTimeline: map[string]string{evAssignmentFailed: ""},
			afterTimeout: StatusTimeout},
		{name: "failure without fallback stays pending", primary: "/a", answers: map[string]answer{"/a": {500, "", 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			afterTimeout: StatusTimeout},
		{name: "no instruction: warning 40005", primary: "/a", answers: map[string]answer{"/a": {200, `{"accept":true}`, 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			wantTimeline: map[string]string{evAssignmentWarning: "40005"}, noTimeline: []string{evAssignmentInstruction}},
		{name: "empty JSON defers silently", primary: "/a", answers: map[string]answer{"/a": {200, `{}`, 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			noTimeline: []string{evAssignmentWarning, evAssignmentInstruction}},
		{name: "empty body does nothing", primary: "/a", answers: map[string]answer{"/a": {204, "", 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			noTimeline: []string{evAssignmentWarning, evAssignmentFailed}},
		{name: "invalid JSON: warning 40001", primary: "/a", answers: map[string]answer{"/a": {200, `"{\"instruction\":\"accept\"}"x`, 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			wantTimeline: map[string]string{evAssignmentWarning: "40001"}},
		{name: "unknown instruction is ignored", primary: "/a", answers: map[string]answer{"/a": {200, `{"instruction":"teleport"}`, 0}},
			wantRes: StatusPending, wantTask: TaskReserved, wantActivity: "Available", wantCalls: map[string]int{"/a": 1},
			wantTimeline: map[string]string{evAssignmentWarning: ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var offline struct {
				sync.Mutex
				sid string
			}
			f := newAsgFixture(t, tc.primary, tc.fallback, func(path string, _ hookRequest) (int, string) {
				a, ok := tc.answers[path]
				if !ok {
					return 404, ""
				}
				time.Sleep(a.delay)
				offline.Lock()
				defer offline.Unlock()
				return a.status, strings.ReplaceAll(a.body, "OFFLINE", offline.sid)
			})
			offline.Lock()
			offline.sid = f.offline.SID
			offline.Unlock()
			task, res := f.newTask()
			settle(t, f.en)
			resStatus, taskStatus, activity, instruction := f.state(res)
			if resStatus != tc.wantRes || taskStatus != tc.wantTask || activity != tc.wantActivity || instruction != tc.wantInstruction {
				t.Fatalf("reservation %s, task %s, worker %s, instruction %q; want %s, %s, %s, %q",
					resStatus, taskStatus, activity, instruction, tc.wantRes, tc.wantTask, tc.wantActivity, tc.wantInstruction)
			}
			for path, n := range tc.wantCalls {
				reqs := f.rc.requests(path)
				if len(reqs) != n {
					t.Fatalf("%s called %d times, want %d", path, len(reqs), n)
				}
				for _, r := range reqs {
					p := r.Params
					if !r.SignatureOK || p["ReservationSid"] != res.SID || p["TaskSid"] != task.SID ||
						p["WorkerSid"] != f.alice.SID || p["WorkspaceSid"] != f.ws.SID || p["AccountSid"] != f.en.AccountSID ||
						p["WorkflowSid"] != task.WorkflowSID || p["TaskQueueSid"] != task.TaskQueueSID ||
						p["TaskAttributes"] != `{"type":"chat"}` || p["WorkerAttributes"] != `{"contact_uri":"client:alice"}` ||
						p["TaskAge"] != "0" || p["TaskPriority"] != "0" || p["TaskChannelUniqueName"] != "chat" ||
						p["Timestamp"] != strconv.FormatInt(f.clk.Now().Unix(), 10) {
						t.Fatalf("%s request: signature ok=%v params %v", path, r.SignatureOK, p)
					}
				}
			}
			for typ, code := range tc.wantTimeline {
				es := f.entries(typ)
				if len(es) == 0 || (code != "" && es[0].Refs["error_code"] != code) || es[0].SID != res.SID {
					t.Fatalf("timeline %s entries %+v, want error_code %q", typ, es, code)
				}
			}
			for _, typ := range tc.noTimeline {
				if es := f.entries(typ); len(es) > 0 {
					t.Fatalf("unexpected timeline %s: %+v", typ, es)
				}
			}
			if tc.afterTimeout != "" {
				f.lock(func() { f.clk.Advance(30 * time.Second) })
				if got, _, act, _ := f.state(res); got != tc.afterTimeout || act != "Offline" {
					t.Fatalf("after the reservation timeout: %s, worker %s; want %s, Offline", got, act, tc.afterTimeout)
				}
			}
		})
	}
}

// TestAssignmentCallbackLateAnswer: an answer arriving after the reservation
// timed out has no effect.
func TestAssignmentCallbackLateAnswer(t *testing.T) {
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	f := newAsgFixture(t, "/a", "", func(string, hookRequest) (int, string) {
		got <- struct{}{}
		<-release
		return 200, `{"instruction":"accept"}`
	})
	task, res := f.newTask()
	<-got
	f.lock(func() { f.clk.Advance(30 * time.Second) })
	close(release)
	settle(t, f.en)
	if s, ts, act, _ := f.state(res); s != StatusTimeout || ts != TaskPending || act != "Offline" {
		t.Fatalf("reservation %s, task %s, worker %s; want timeout, pending, Offline", s, ts, act)
	}
	if es := f.entries(evAssignmentIgnored); len(es) != 1 || es[0].SID != res.SID {
		t.Fatalf("ignored entries %+v", es)
	}
	f.lock(func() {
		if n := len(task.Reservations()); n != 1 {
			t.Fatalf("task has %d reservations", n)
		}
	})
}

// TestAssignmentCallbackPerReservation: with max_reserved_workers 2 each
// reservation gets its own callback; accepting one rescinds the other, whose
// later "accept" is ignored.
func TestAssignmentCallbackPerReservation(t *testing.T) {
	f := newAsgFixture(t, "/a", "", func(_ string, r hookRequest) (int, string) {
		if r.Params["WorkerName"] == "bob" {
			return 200, `{"instruction":"accept"}`
		}
		return 200, `{}`
	})
	f.lock(func() {
		q := must(f.e.TaskQueueByName(f.ws.SID, "Q"))(t)
		two := 2
		must(f.e.UpdateTaskQueue(f.ws.SID, q.SID, UpdateTaskQueueParams{MaxReservedWorkers: &two}))(t)
		must(f.e.CreateWorker(f.ws.SID, CreateWorkerParams{FriendlyName: "bob", ActivitySID: f.avail.SID}))(t)
	})
	var task *Task
	f.lock(func() { task = must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: `{}`}))(t) })
	settle(t, f.en)
	if n := len(f.rc.requests("/a")); n != 2 {
		t.Fatalf("%d assignment callbacks, want 2", n)
	}
	f.lock(func() {
		byWorker := map[string]string{}
		for _, r := range task.Reservations() {
			byWorker[r.WorkerName] = r.ReservationStatus
		}
		if byWorker["bob"] != StatusAccepted || byWorker["alice"] != StatusRescinded || task.AssignmentStatus != TaskAssigned {
			t.Fatalf("reservations %v, task %s", byWorker, task.AssignmentStatus)
		}
	})
}
