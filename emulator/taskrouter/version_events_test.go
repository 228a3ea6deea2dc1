package taskrouter

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// sdkWorkerVersion replays events as twilio-taskrouter 2.1.1's Worker does
// with its copy of the worker version, starting from v: a worker.* push
// with a Worker payload sets it (to the version the event carries), and
// reservation.created, worker.capacity.update and
// worker.channel.availability.update add 1 (Worker._bumpVersion).
func sdkWorkerVersion(v int, evs []Event, workerSID string) int {
	for _, ev := range evs {
		if ev.WorkerSID != workerSID {
			continue
		}
		switch {
		case ev.Type == "worker.activity.update" || ev.Type == "worker.attributes.update":
			v = ev.WorkerVersion
		case bumpsWorker(ev.Type):
			v++
		}
	}
	return v
}

// TestWorkerEventBumps: a worker's version grows by one per reservation
// created for it and per capacity or availability change of its channels,
// on top of (never merged with) the operation's own bump, and the versions
// the events carry are those of their emission, so an SDK replaying them
// ends at the engine's version. Event bumps leave DateUpdated alone.
func TestWorkerEventBumps(t *testing.T) {
	type step struct {
		typ string
		v   int // WorkerVersion the event carries, relative to the start
	}
	cases := []struct {
		name string
		// setup prepares the workspace and returns the worker and the
		// operation to measure.
		setup   func(f *fixture) (*Worker, func())
		bump    int    // worker version growth
		touched bool   // DateUpdated changes (a change of the worker itself)
		events  []step // the worker's events with the version they carry
	}{
		{"a task reserves an idle worker", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, true)
			return w, func() { f.task(`{}`) }
		}, 1, false, []step{{"reservation.created", 1}}},

		{"the worker becomes Available and is reserved at once", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, false)
			f.task(`{}`)
			return w, func() { f.setActivity(w, f.avail) }
		}, 2, true, []step{{"worker.activity.update", 1}, {"reservation.created", 2}}},

		{"two reservations in one operation count twice", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, false)
			must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "default", UpdateWorkerChannelParams{Capacity: new(2)}))(f.t)
			f.task(`{}`)
			f.task(`{}`)
			return w, func() { f.setActivity(w, f.avail) }
		}, 3, true, []step{{"worker.activity.update", 1}, {"reservation.created", 2}, {"reservation.created", 3}}},

		{"attributes and activity at once, then reserved", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, false)
			f.task(`{}`)
			attrs := `{"a":1}`
			return w, func() {
				must(f.e.UpdateWorker(f.ws.SID, w.SID, UpdateWorkerParams{Attributes: &attrs, ActivitySID: &f.avail.SID}))(f.t)
			}
		}, 2, true, []step{{"worker.attributes.update", 1}, {"worker.activity.update", 1}, {"reservation.created", 2}}},

		{"reserved, then moved to the reservation activity: the move merges", func(f *fixture) (*Worker, func()) {
			off := false
			must(f.e.UpdateWorkspace(f.ws.SID, UpdateWorkspaceParams{MultiTaskEnabled: &off}))(f.t)
			reserved := must(f.e.CreateActivity(f.ws.SID, CreateActivityParams{FriendlyName: "Reserved"}))(f.t)
			q := must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Everyone", TargetWorkers: "1==1",
				ReservationActivitySID: reserved.SID}))(f.t)
			f.workflow(defaultCfg(q), 120)
			w := f.worker("alice", `{}`, true)
			return w, func() { f.task(`{}`) }
		}, 1, true, []step{{"reservation.created", 1}, {"worker.activity.update", 1}}},

		{"Available, reserved, moved to the reservation activity", func(f *fixture) (*Worker, func()) {
			off := false
			must(f.e.UpdateWorkspace(f.ws.SID, UpdateWorkspaceParams{MultiTaskEnabled: &off}))(f.t)
			reserved := must(f.e.CreateActivity(f.ws.SID, CreateActivityParams{FriendlyName: "Reserved"}))(f.t)
			q := must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Everyone", TargetWorkers: "1==1",
				ReservationActivitySID: reserved.SID}))(f.t)
			f.workflow(defaultCfg(q), 120)
			w := f.worker("alice", `{}`, false)
			f.task(`{}`)
			return w, func() { f.setActivity(w, f.avail) }
		}, 2, true, []step{{"worker.activity.update", 1}, {"reservation.created", 2}, {"worker.activity.update", 2}}},

		{"capacity and availability in one update count twice", func(f *fixture) (*Worker, func()) {
			w := f.worker("alice", `{}`, true)
			return w, func() {
				off := false
				must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Capacity: new(3), Available: &off}))(f.t)
			}
		}, 2, false, []step{{"worker.capacity.update", 1}, {"worker.channel.availability.update", 2}}},

		{"a channel update that changes nothing", func(f *fixture) (*Worker, func()) {
			w := f.worker("alice", `{}`, true)
			return w, func() {
				on := true
				must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Capacity: new(1), Available: &on}))(f.t)
			}
		}, 0, false, nil},

		{"a channel freed by capacity is reserved at once", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, true)
			must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "default", UpdateWorkerChannelParams{Capacity: new(0)}))(f.t)
			f.task(`{}`)
			return w, func() {
				must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "default", UpdateWorkerChannelParams{Capacity: new(1)}))(f.t)
			}
		}, 2, false, []step{{"worker.capacity.update", 1}, {"reservation.created", 2}}},

		{"accept, wrap and complete do not bump the worker", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, true)
			task := f.task(`{}`)
			return w, func() {
				r := f.pendingRes(task)
				f.setStatus(r, StatusAccepted)
				f.setStatus(r, StatusWrapping)
				f.setStatus(r, StatusCompleted)
			}
		}, 0, false, nil},

		{"a rejection moving the worker is its own change only", func(f *fixture) (*Worker, func()) {
			f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
			w := f.worker("alice", `{}`, true)
			task := f.task(`{}`)
			return w, func() {
				must(f.e.UpdateReservation(f.ws.SID, f.pendingRes(task).SID,
					UpdateReservationParams{ReservationStatus: StatusRejected, WorkerActivitySID: f.unavail.SID}))(f.t)
			}
		}, 1, true, []step{{"worker.activity.update", 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			w, do := c.setup(f)
			f.advance(time.Second) // so that a DateUpdated change shows
			v0, updated0, mark := w.Version, w.DateUpdated, len(f.events)
			do()
			if got := w.Version - v0; got != c.bump {
				t.Errorf("worker version %d -> %d, want +%d", v0, w.Version, c.bump)
			}
			if touched := !w.DateUpdated.Equal(updated0); touched != c.touched {
				t.Errorf("DateUpdated changed = %t, want %t", touched, c.touched)
			}
			var got, want []string
			for _, ev := range f.events[mark:] {
				if ev.WorkerSID == w.SID && (strings.HasPrefix(string(ev.Type), "worker.") || ev.Type == "reservation.created") {
					got = append(got, fmt.Sprintf("%s@%d", ev.Type, ev.WorkerVersion-v0))
				}
			}
			for _, s := range c.events {
				want = append(want, fmt.Sprintf("%s@%d", s.typ, s.v))
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("events\n got %v\nwant %v", got, want)
			}
			if sdk := sdkWorkerVersion(v0, f.events[mark:], w.SID); sdk != w.Version {
				t.Errorf("an SDK replaying the pushes holds version %d, the engine %d", sdk, w.Version)
			}
		})
	}
}

// TestEventVersionSnapshots: events carry the task's and reservation's
// versions of their emission (not of the end of the operation), and -1
// for objects they do not concern or that are gone.
func TestEventVersionSnapshots(t *testing.T) {
	f := newFixture(t)
	f.workflow(defaultCfg(f.queue("Everyone", "1==1")), 120)
	w := f.worker("alice", `{}`, true)
	find := func(mark int, typ EventType) Event {
		t.Helper()
		for _, ev := range f.events[mark:] {
			if ev.Type == typ {
				return ev
			}
		}
		t.Fatalf("no %s in %s", typ, f.types(mark))
		return Event{}
	}
	versions := func(ev Event) string {
		return fmt.Sprintf("w%d t%d r%d", ev.WorkerVersion, ev.TaskVersion, ev.ReservationVersion)
	}

	mark := len(f.events)
	task := f.task(`{}`)
	r := f.pendingRes(task)
	for typ, want := range map[EventType]string{
		"task.created":        "w-1 t0 r-1",
		"reservation.created": "w1 t0 r0", // the task's routing is part of its creation
	} {
		if got := versions(find(mark, typ)); got != want {
			t.Errorf("%s carries %s, want %s", typ, got, want)
		}
	}

	mark = len(f.events)
	f.setStatus(r, StatusAccepted)
	if got, want := versions(find(mark, "reservation.accepted")), "w1 t1 r1"; got != want {
		t.Errorf("reservation.accepted carries %s, want %s", got, want)
	}

	// Canceling a reserved task ends its reservation before the task itself
	// changes: reservation.canceled carries the task's previous version.
	other := f.worker("bob", `{}`, false)
	f.setStatus(r, StatusCompleted) // alice free again
	f.setActivity(w, f.unavail)
	task2 := f.task(`{}`)
	f.setActivity(other, f.avail)
	tv := task2.Version
	mark = len(f.events)
	reason := "gone"
	canceled := TaskCanceled
	must(f.e.UpdateTask(f.ws.SID, task2.SID, UpdateTaskParams{AssignmentStatus: &canceled, Reason: &reason}))(t)
	if got, want := find(mark, "reservation.canceled").TaskVersion, tv; got != want {
		t.Errorf("reservation.canceled carries task version %d, want %d (before the task changed)", got, want)
	}
	if got, want := find(mark, "task.canceled").TaskVersion, tv+1; got != want || task2.Version != want {
		t.Errorf("task.canceled carries task version %d (task at %d), want %d", got, task2.Version, want)
	}

	mark = len(f.events)
	must(0, f.e.DeleteWorker(f.ws.SID, w.SID))(t)
	if got := versions(find(mark, "worker.deleted")); got != "w-1 t-1 r-1" {
		t.Errorf("worker.deleted carries %s", got)
	}
}
