package taskrouter

import (
	"testing"
	"time"
)

// TestVersions drives every mutation path of workers, tasks and reservations
// in sequence and checks each object's Version grows by exactly the expected
// amount (one per operation that changes it, zero on reads; plus, for the
// worker, one per reservation created for it and per channel change: see
// TestWorkerEventBumps).
func TestVersions(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 30)
	w := f.worker("alice", `{}`, false)
	t1 := f.task(`{}`)
	if w.Version != 0 || t1.Version != 0 {
		t.Fatalf("new worker/task versions = %d/%d, want 0/0", w.Version, t1.Version)
	}
	var t2 *Task
	var r1, r2, r3 *Reservation
	ws := f.ws.SID
	str := func(s string) *string { return &s }
	reason := str("done")

	// objs names the objects a step may change; nil ones are not yet created.
	objs := func() map[string]*int {
		m := map[string]*int{"w": &w.Version, "t1": &t1.Version}
		if t2 != nil {
			m["t2"] = &t2.Version
		}
		for name, r := range map[string]*Reservation{"r1": r1, "r2": r2, "r3": r3} {
			if r != nil {
				m[name] = &r.Version
			}
		}
		return m
	}
	steps := []struct {
		name string
		do   func()
		bump map[string]int // objects whose version grows by 1; others stay
	}{
		{"reads", func() {
			must(f.e.Worker(ws, w.SID))(t)
			must(f.e.Workers(ws, WorkerFilter{}))(t)
			must(f.e.Task(ws, t1.SID))(t)
			must(f.e.ListTasks(ws, TaskFilter{}))(t)
			must(f.e.Reservations(ws, ReservationFilter{}))(t)
			must(f.e.WorkersRealTimeStatistics(ws, WorkerSelection{}, ""))(t)
		}, nil},
		{"worker attributes", func() {
			must(f.e.UpdateWorker(ws, w.SID, UpdateWorkerParams{Attributes: str(`{"a":1}`)}))(t)
		}, map[string]int{"w": 1}},
		{"worker friendly name", func() {
			must(f.e.UpdateWorker(ws, w.SID, UpdateWorkerParams{FriendlyName: str("alice2")}))(t)
		}, map[string]int{"w": 1}},
		{"worker available: reserves t1", func() {
			f.setActivity(w, f.avail)
			r1 = t1.resList[0]
		}, map[string]int{"w": 2, "t1": 1}}, // activity +1, reservation.created +1; r1 is new: version 0
		{"task priority", func() {
			must(f.e.UpdateTask(ws, t1.SID, UpdateTaskParams{Priority: new(5)}))(t)
		}, map[string]int{"t1": 1}},
		{"reservation accepted", func() { f.setStatus(r1, StatusAccepted) }, map[string]int{"t1": 1, "r1": 1}},
		{"task attributes while assigned", func() {
			must(f.e.UpdateTask(ws, t1.SID, UpdateTaskParams{Attributes: str(`{"b":2}`)}))(t)
		}, map[string]int{"t1": 1}},
		{"reservation wrapping", func() { f.setStatus(r1, StatusWrapping) }, map[string]int{"t1": 1, "r1": 1}},
		{"task completed", func() {
			must(f.e.UpdateTask(ws, t1.SID, UpdateTaskParams{AssignmentStatus: str(TaskCompleted), Reason: reason}))(t)
		}, map[string]int{"t1": 1, "r1": 1}},
		{"task created and reserved at once", func() {
			t2 = f.task(`{}`)
			r2 = t2.resList[0]
		}, map[string]int{"w": 1}}, // reservation.created
		{"reservation rejected with activity", func() {
			must(f.e.UpdateReservation(ws, r2.SID, UpdateReservationParams{ReservationStatus: StatusRejected, WorkerActivitySID: f.offline.SID}))(t)
		}, map[string]int{"w": 1, "t2": 1, "r2": 1}},
		{"worker available again: reserves t2", func() {
			f.setActivity(w, f.avail)
			r3 = t2.resList[1]
		}, map[string]int{"w": 2, "t2": 1}},
		{"reservation timed out", func() { f.advance(30 * time.Second) }, map[string]int{"w": 1, "t2": 1, "r3": 1}},
		{"worker activity and attributes at once", func() {
			must(f.e.UpdateWorker(ws, w.SID, UpdateWorkerParams{ActivitySID: &f.unavail.SID, Attributes: str(`{"c":3}`)}))(t)
		}, map[string]int{"w": 1}},
		{"worker channel capacity (worker.capacity.update)", func() {
			must(f.e.UpdateWorkerChannel(ws, w.SID, "default", UpdateWorkerChannelParams{Capacity: new(2)}))(t)
		}, map[string]int{"w": 1}},
		{"task canceled", func() {
			must(f.e.UpdateTask(ws, t2.SID, UpdateTaskParams{AssignmentStatus: str(TaskCanceled), Reason: reason}))(t)
		}, map[string]int{"t2": 1}},
		{"refused update changes nothing", func() {
			if _, err := f.e.UpdateTask(ws, t2.SID, UpdateTaskParams{Priority: new(1)}); err == nil {
				t.Fatal("updating a canceled task succeeded")
			}
		}, nil},
		{"reads again", func() {
			must(f.e.Reservation(ws, r3.SID))(t)
			must(f.e.TaskReservation(ws, t2.SID, r3.SID))(t)
			must(f.e.WorkerReservation(ws, w.SID, r3.SID))(t)
			must(f.e.Events(ws, EventFilter{}))(t)
		}, nil},
	}
	for _, s := range steps {
		before := map[string]int{}
		for k, v := range objs() {
			before[k] = *v
		}
		s.do()
		for k, v := range objs() {
			if got, want := *v-before[k], s.bump[k]; got != want {
				t.Errorf("%s: %s version %d -> %d, want +%d", s.name, k, before[k], *v, want)
			}
		}
	}
}

// TestVersionTaskPendingAgain: a task whose only reservation ends goes back
// to pending, a change of its own.
func TestVersionTaskPendingAgain(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(`{"task_routing":{"filters":[{"filter_friendly_name":"f","expression":"1==1","targets":[{"queue":"`+q.SID+`","timeout":10}]}],"default_filter":{"queue":"`+q.SID+`"}}}`, 60)
	f.worker("alice", `{}`, true)
	task := f.task(`{}`)
	wantStatus(t, task, TaskReserved)
	v := task.Version
	f.advance(10 * time.Second) // step timeout: reservation canceled, task re-routed to the default queue
	if task.Version != v+1 {
		t.Fatalf("task version %d -> %d after step timeout, want +1", v, task.Version)
	}
}
