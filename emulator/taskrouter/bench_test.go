package taskrouter

import (
	"fmt"
	"testing"

	"github.com/flexemu/flexemu/emulator/env"
)

// benchWorkspace has 50 available workers with skill attributes and a
// two-filter workflow, so routing evaluates real expressions.
func benchWorkspace(b *testing.B) (*Engine, *Workspace) {
	en, _ := env.ForTest()
	e := New(en)
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "bench"}))(b)
	avail := must(e.ActivityByName(ws.SID, "Available"))(b)
	sales := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Sales", TargetWorkers: "skills HAS 'sales'"}))(b)
	all := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "All", TargetWorkers: "1==1"}))(b)
	must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Main", Configuration: fmt.Sprintf(`{"task_routing":{
		"filters":[{"expression":"type == 'sales'","targets":[{"queue":%q,"expression":"task.language IN worker.languages"}]}],
		"default_filter":{"queue":%q}}}`, sales.SID, all.SID)}))(b)
	for i := range 50 {
		must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: fmt.Sprintf("agent%d", i), ActivitySID: avail.SID,
			Attributes: `{"skills":["sales","support"],"languages":["en","es"]}`}))(b)
	}
	return e, ws
}

// BenchmarkCreateTaskToReservation measures task creation through routing to
// a pending reservation, plus the deletion that keeps the workspace steady.
func BenchmarkCreateTaskToReservation(b *testing.B) {
	e, ws := benchWorkspace(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		t, err := e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"type":"sales","language":"es"}`})
		if err != nil || t.AssignmentStatus != TaskReserved {
			b.Fatalf("task %v %v", t, err)
		}
		if err := e.DeleteTask(ws.SID, t.SID); err != nil {
			b.Fatal(err)
		}
		trimTimeline(e, &n)
	}
}

// trimTimeline keeps the timeline short: past its capacity every append
// copies it, which would dominate the measurement.
func trimTimeline(e *Engine, n *int) {
	if *n++; *n%1000 == 0 {
		e.env.Timeline.Reset()
	}
}

// BenchmarkTaskLifecycle measures create, accept, complete and delete.
func BenchmarkTaskLifecycle(b *testing.B) {
	e, ws := benchWorkspace(b)
	reason := "done"
	completed := TaskCompleted
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		t, err := e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"type":"sales","language":"es"}`})
		if err != nil {
			b.Fatal(err)
		}
		r := t.resList[0]
		if _, err := e.UpdateReservation(ws.SID, r.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.UpdateTask(ws.SID, t.SID, UpdateTaskParams{AssignmentStatus: &completed, Reason: &reason}); err != nil {
			b.Fatal(err)
		}
		if err := e.DeleteTask(ws.SID, t.SID); err != nil {
			b.Fatal(err)
		}
		trimTimeline(e, &n)
	}
}
