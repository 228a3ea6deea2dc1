package taskrouter

import (
	"testing"
	"time"
)

// reservationIn builds a workspace with alice and bob and returns one of
// alice's reservations driven into the given status.
func reservationIn(t *testing.T, status string) (*fixture, *Reservation) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 30)
	f.worker("alice", `{}`, true)
	if status == StatusRescinded {
		two := 2
		must(f.e.UpdateTaskQueue(f.ws.SID, q.SID, UpdateTaskQueueParams{MaxReservedWorkers: &two}))(t)
		f.worker("bob", `{}`, true)
	}
	task := f.task(`{}`)
	r := task.resList[0]
	switch status {
	case StatusPending:
	case StatusAccepted:
		f.setStatus(r, StatusAccepted)
	case StatusWrapping:
		f.setStatus(r, StatusAccepted)
		f.setStatus(r, StatusWrapping)
	case StatusCompleted:
		f.setStatus(r, StatusAccepted)
		f.setStatus(r, StatusCompleted)
	case StatusRejected:
		f.setStatus(r, StatusRejected)
	case StatusTimeout:
		f.advance(30 * time.Second)
	case StatusCanceled:
		reason := "gone"
		must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: new(TaskCanceled), Reason: &reason}))(t)
	case StatusRescinded:
		f.setStatus(task.resList[1], StatusAccepted)
	}
	if r.ReservationStatus != status {
		t.Fatalf("setup: reservation is %s, want %s", r.ReservationStatus, status)
	}
	return f, r
}

// TestReservationStateMachine tries every update from every status.
func TestReservationStateMachine(t *testing.T) {
	valid := map[string][]string{
		StatusPending:  {StatusAccepted, StatusRejected},
		StatusAccepted: {StatusWrapping, StatusCompleted},
		StatusWrapping: {StatusCompleted},
	}
	// After a valid update: the reservation's and its task's statuses.
	after := map[string][2]string{
		StatusAccepted:  {StatusAccepted, TaskAssigned},
		StatusRejected:  {StatusRejected, TaskPending},
		StatusWrapping:  {StatusWrapping, TaskWrapping},
		StatusCompleted: {StatusCompleted, TaskCompleted},
	}
	from := []string{StatusPending, StatusAccepted, StatusRejected, StatusTimeout, StatusCanceled, StatusRescinded, StatusWrapping, StatusCompleted}
	to := []string{StatusAccepted, StatusRejected, StatusWrapping, StatusCompleted, StatusPending, StatusTimeout, StatusCanceled}
	for _, fs := range from {
		for _, ts := range to {
			t.Run(fs+"->"+ts, func(t *testing.T) {
				f, r := reservationIn(t, fs)
				ok := false
				for _, v := range valid[fs] {
					ok = ok || v == ts
				}
				mark := len(f.events)
				_, err := f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{ReservationStatus: ts})
				if !ok {
					wantTwilioErr(t, err, 400, 20001, "ReservationStatus")
					if r.ReservationStatus != fs || len(f.events) != mark {
						t.Fatalf("invalid update changed state: %s, %d events", r.ReservationStatus, len(f.events)-mark)
					}
					return
				}
				if err != nil {
					t.Fatalf("valid update failed: %v", err)
				}
				want := after[ts]
				if r.ReservationStatus != want[0] || r.task.AssignmentStatus != want[1] {
					t.Fatalf("reservation %s task %s, want %s/%s", r.ReservationStatus, r.task.AssignmentStatus, want[0], want[1])
				}
			})
		}
	}
}

func TestReservationTimeoutMessage(t *testing.T) {
	f, r := reservationIn(t, StatusTimeout)
	_, err := f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{ReservationStatus: "accepted"})
	wantTwilioErr(t, err, 400, 20001, "ReservationStatus", r.SID, "is timeout", "cannot be accepted")
}

func TestReservationViewsAndInstruction(t *testing.T) {
	f, r := reservationIn(t, StatusPending)
	other := f.worker("zed", `{}`, false)
	_, err := f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{WorkerSID: other.SID, ReservationStatus: StatusAccepted})
	wantTwilioErr(t, err, 404, 20404, "/Workers/"+other.SID+"/Reservations/"+r.SID)
	_, err = f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{WorkerActivitySID: "WA00000000000000000000000000000000", ReservationStatus: StatusRejected})
	wantTwilioErr(t, err, 400, 20001, "WorkerActivitySid")
	if r.ReservationStatus != StatusPending {
		t.Fatalf("failed update changed status to %s", r.ReservationStatus)
	}
	must(f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{TaskSID: r.TaskSID, Instruction: "conference"}))(t)
	if r.ReservationStatus != StatusAccepted || r.Instruction != "conference" {
		t.Fatalf("instruction: %s %q", r.ReservationStatus, r.Instruction)
	}
	list := must(f.e.Reservations(f.ws.SID, ReservationFilter{WorkerSID: r.WorkerSID, Status: []string{StatusAccepted}}))(t)
	if len(list) != 1 || list[0] != r {
		t.Fatalf("filtered list %v", list)
	}
	list = must(f.e.Reservations(f.ws.SID, ReservationFilter{TaskSID: r.TaskSID, Status: []string{StatusPending}}))(t)
	if len(list) != 0 {
		t.Fatalf("pending list %v", list)
	}
}

func TestTaskTransitions(t *testing.T) {
	cases := []struct {
		from, to string
		ok       bool
	}{
		{TaskPending, TaskCanceled, true},
		{TaskReserved, TaskCanceled, true},
		{TaskAssigned, TaskCanceled, false},
		{TaskAssigned, TaskWrapping, true},
		{TaskAssigned, TaskCompleted, true},
		{TaskWrapping, TaskCompleted, true},
		{TaskPending, TaskCompleted, false},
		{TaskReserved, TaskWrapping, false},
		{TaskCompleted, TaskCanceled, false},
		{TaskCanceled, TaskCompleted, false},
		{TaskPending, TaskAssigned, false},
	}
	for _, c := range cases {
		t.Run(c.from+"->"+c.to, func(t *testing.T) {
			f := newFixture(t)
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			if c.from != TaskPending {
				f.worker("alice", `{}`, true)
			}
			task := f.task(`{}`)
			reason := "because"
			switch c.from {
			case TaskAssigned:
				f.setStatus(f.pendingRes(task), StatusAccepted)
			case TaskWrapping:
				f.setStatus(f.pendingRes(task), StatusAccepted)
				must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: new(TaskWrapping)}))(t)
			case TaskCompleted:
				f.setStatus(f.pendingRes(task), StatusAccepted)
				must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: new(TaskCompleted), Reason: &reason}))(t)
			case TaskCanceled:
				must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: new(TaskCanceled), Reason: &reason}))(t)
			}
			wantStatus(t, task, c.from)
			_, err := f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: &c.to, Reason: &reason})
			if !c.ok {
				wantTwilioErr(t, err, 400, 20001, "AssignmentStatus")
				wantStatus(t, task, c.from)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantStatus(t, task, c.to)
			if (c.to == TaskCanceled || c.to == TaskCompleted) && task.Reason != reason {
				t.Fatalf("reason %q", task.Reason)
			}
		})
	}
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 0)
	task := f.task(`{}`)
	_, err := f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: new(TaskCanceled)})
	wantTwilioErr(t, err, 400, 20001, "Reason")
}

func TestDeleteTaskReleasesCapacity(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 0)
	alice := f.worker("alice", `{}`, true)
	t1, t2 := f.task(`{}`), f.task(`{}`)
	f.setStatus(f.pendingRes(t1), StatusAccepted)
	if err := f.e.DeleteWorker(f.ws.SID, alice.SID); err == nil {
		t.Fatal("deleted a worker with an assigned task")
	}
	if err := f.e.DeleteTask(f.ws.SID, t1.SID); err != nil {
		t.Fatal(err)
	}
	wantWorkers(t, t2, "alice")
	if _, err := f.e.Task(f.ws.SID, t1.SID); err == nil {
		t.Fatal("deleted task still found")
	}
	if n := len(alice.reservations); n != 1 {
		t.Fatalf("alice has %d reservations after delete", n)
	}
}

func TestRejectPendingReservations(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 0)
	alice := f.worker("alice", `{}`, true)
	task := f.task(`{}`)
	r := f.pendingRes(task)
	_, err := f.e.UpdateWorker(f.ws.SID, alice.SID, UpdateWorkerParams{ActivitySID: &f.avail.SID, RejectPendingReservations: true})
	wantTwilioErr(t, err, 400, 20001, "RejectPendingReservations")
	must(f.e.UpdateWorker(f.ws.SID, alice.SID, UpdateWorkerParams{ActivitySID: &f.offline.SID, RejectPendingReservations: true}))(t)
	if r.ReservationStatus != StatusRejected || alice.Available {
		t.Fatalf("reservation %s alice %s", r.ReservationStatus, alice.ActivityName)
	}
	wantStatus(t, task, TaskPending)
}
