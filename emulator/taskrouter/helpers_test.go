package taskrouter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// fixture is a Twilio-like workspace (Offline/Available/Unavailable,
// default/voice/sms/chat/video channels) on a manual clock, recording events.
type fixture struct {
	t                       *testing.T
	e                       *Engine
	env                     env.Env
	clk                     *clock.Virtual
	ws                      *Workspace
	offline, avail, unavail *Activity
	events                  []Event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	en, clk := env.ForTest()
	f := &fixture{t: t, e: New(en), env: en, clk: clk}
	f.e.Subscribe(func(ev Event) { f.events = append(f.events, ev) })
	f.ws = must(f.e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Test"}))(t)
	f.offline = must(f.e.ActivityByName(f.ws.SID, "Offline"))(t)
	f.avail = must(f.e.ActivityByName(f.ws.SID, "Available"))(t)
	f.unavail = must(f.e.ActivityByName(f.ws.SID, "Unavailable"))(t)
	return f
}

// must unwraps (v, err), failing the test on error.
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func (f *fixture) queue(name, target string) *TaskQueue {
	f.t.Helper()
	return must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: name, TargetWorkers: target}))(f.t)
}

func (f *fixture) workflow(cfg string, timeout int) *Workflow {
	f.t.Helper()
	return must(f.e.CreateWorkflow(f.ws.SID, CreateWorkflowParams{FriendlyName: fmt.Sprintf("wf%d", len(f.ws.workflows.list)),
		Configuration: cfg, TaskReservationTimeout: timeout}))(f.t)
}

// worker creates a worker in Available (avail) or Offline.
func (f *fixture) worker(name, attrs string, avail bool) *Worker {
	f.t.Helper()
	act := f.offline
	if avail {
		act = f.avail
	}
	return must(f.e.CreateWorker(f.ws.SID, CreateWorkerParams{FriendlyName: name, Attributes: attrs, ActivitySID: act.SID}))(f.t)
}

func (f *fixture) task(attrs string) *Task {
	f.t.Helper()
	return must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: attrs}))(f.t)
}

func (f *fixture) taskP(attrs string, prio int) *Task {
	f.t.Helper()
	return must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: attrs, Priority: &prio}))(f.t)
}

func (f *fixture) setActivity(w *Worker, a *Activity) {
	f.t.Helper()
	must(f.e.UpdateWorker(f.ws.SID, w.SID, UpdateWorkerParams{ActivitySID: &a.SID}))(f.t)
}

func (f *fixture) setStatus(r *Reservation, status string) {
	f.t.Helper()
	must(f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{ReservationStatus: status}))(f.t)
}

// pending returns the task's pending reservations' worker names, in order.
func pendingWorkers(t *Task) []string {
	var out []string
	for _, r := range t.resList {
		if r.ReservationStatus == StatusPending {
			out = append(out, r.WorkerName)
		}
	}
	return out
}

// pendingRes returns the task's only pending reservation.
func (f *fixture) pendingRes(t *Task) *Reservation {
	f.t.Helper()
	var found *Reservation
	for _, r := range t.resList {
		if r.ReservationStatus == StatusPending {
			if found != nil {
				f.t.Fatalf("task %s has several pending reservations", t.SID)
			}
			found = r
		}
	}
	if found == nil {
		f.t.Fatalf("task %s (%s) has no pending reservation", t.SID, t.AssignmentStatus)
	}
	return found
}

// types returns the event types recorded since mark, joined by spaces.
func (f *fixture) types(mark int) string {
	var s []string
	for _, ev := range f.events[mark:] {
		s = append(s, string(ev.Type))
	}
	return strings.Join(s, " ")
}

func (f *fixture) advance(d time.Duration) { f.clk.Advance(d) }

func wantStatus(t *testing.T, task *Task, status string) {
	t.Helper()
	if task.AssignmentStatus != status {
		t.Fatalf("task %s status = %s, want %s", task.SID, task.AssignmentStatus, status)
	}
}

func wantWorkers(t *testing.T, task *Task, names ...string) {
	t.Helper()
	got := strings.Join(pendingWorkers(task), ",")
	if want := strings.Join(names, ","); got != want {
		t.Fatalf("task %s pending reservations for [%s], want [%s]", task.SID, got, want)
	}
}

// wantTwilioErr checks err is a *twilio.Error with code/status and a message
// containing every fragment.
func wantTwilioErr(t *testing.T, err error, status, code int, fragments ...string) {
	t.Helper()
	var te *twilio.Error
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want *twilio.Error", err)
	}
	if te.Status != status || te.Code != code {
		t.Fatalf("error = %d/%d %q, want %d/%d", te.Status, te.Code, te.Message, status, code)
	}
	for _, frag := range fragments {
		if !strings.Contains(te.Message, frag) {
			t.Fatalf("error message %q does not mention %q", te.Message, frag)
		}
	}
}
