package taskrouter

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// directFixture: Sales (skills HAS 'sales') and Support (skills HAS
// 'support') queues, a workflow sending everything to Sales, alice (sales,
// idle longest) and bob (support), both available.
type directFixture struct {
	*fixture
	sales, support *TaskQueue
	wf             *Workflow
	alice, bob     *Worker
}

func newDirectFixture(t *testing.T) *directFixture {
	f := &directFixture{fixture: newFixture(t)}
	f.sales = f.queue("Sales", "skills HAS 'sales'")
	f.support = f.queue("Support", "skills HAS 'support'")
	f.wf = f.workflow(defaultCfg(f.sales), 0)
	f.alice = f.worker("alice", `{"skills":["sales"]}`, true)
	f.bob = f.worker("bob", `{"skills":["support"]}`, true)
	return f
}

func (f *directFixture) direct(target string, ignore *bool, queueSID string) *Task {
	f.t.Helper()
	return must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: `{"type":"sales"}`, RoutingTarget: target,
		IgnoreCapacity: ignore, TaskQueueSID: queueSID}))(f.t)
}

func noWorkflowEvents(t *testing.T, f *fixture, mark int) {
	t.Helper()
	if got := f.types(mark); strings.Contains(got, "workflow.") {
		t.Fatalf("a direct task emitted workflow events: %s", got)
	}
}

func TestRoutingTarget(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *directFixture)
	}{
		{"worker target bypasses the workflow", func(t *testing.T, f *directFixture) {
			mark := len(f.events)
			task := f.direct(f.bob.SID, nil, "")
			wantWorkers(t, task, "bob") // the workflow would have chosen alice in Sales
			if !task.IgnoreCapacity || task.RoutingTarget != f.bob.SID {
				t.Fatalf("ignore_capacity = %t, routing_target = %q", task.IgnoreCapacity, task.RoutingTarget)
			}
			if task.TaskQueueSID != f.support.SID { // bob's first queue
				t.Fatalf("queue = %s, want Support", task.TaskQueueFriendlyName)
			}
			noWorkflowEvents(t, f.fixture, mark)
			if got := f.types(mark); got != "task.created task-queue.entered reservation.created" {
				t.Fatalf("events = %s", got)
			}
		}},
		{"worker target ignores capacity by default", func(t *testing.T, f *directFixture) {
			first := f.task(`{}`)
			wantWorkers(t, first, "alice") // alice's only slot is taken
			task := f.direct(f.alice.SID, nil, "")
			wantWorkers(t, task, "alice")
			if wc := f.alice.channelFor(task.channel); wc.pending != 2 {
				t.Fatalf("alice holds %d pending reservations, want 2", wc.pending)
			}
		}},
		{"IgnoreCapacity=true reaches an unavailable worker", func(t *testing.T, f *directFixture) {
			f.setActivity(f.alice, f.offline)
			wantWorkers(t, f.direct(f.alice.SID, ptr(true), ""), "alice")
		}},
		{"IgnoreCapacity=false waits for the worker to have room", func(t *testing.T, f *directFixture) {
			first := f.task(`{}`)
			task := f.direct(f.alice.SID, ptr(false), "")
			wantStatus(t, task, TaskPending)
			wantWorkers(t, task)
			if task.IgnoreCapacity {
				t.Fatal("ignore_capacity = true")
			}
			f.setStatus(f.pendingRes(first), StatusRejected) // first goes back; alice is free
			wantWorkers(t, task, "alice")
			wantWorkers(t, first)
		}},
		{"IgnoreCapacity=false waits for an unavailable worker", func(t *testing.T, f *directFixture) {
			f.setActivity(f.bob, f.offline)
			task := f.direct(f.bob.SID, ptr(false), "")
			wantWorkers(t, task)
			f.setActivity(f.bob, f.avail)
			wantWorkers(t, task, "bob")
		}},
		{"TaskQueueSid places it in a queue the worker is not a member of", func(t *testing.T, f *directFixture) {
			f.setActivity(f.alice, f.offline)
			mark := len(f.events)
			task := f.direct(f.alice.SID, ptr(false), f.support.SID)
			if task.TaskQueueSID != f.support.SID {
				t.Fatalf("queue = %s", task.TaskQueueFriendlyName)
			}
			wantWorkers(t, task) // bob, a member of Support, is not offered it
			f.setActivity(f.alice, f.avail)
			wantWorkers(t, task, "alice")
			noWorkflowEvents(t, f.fixture, mark)
		}},
		{"a worker in no queue waits in the workflow's queue", func(t *testing.T, f *directFixture) {
			cy := f.worker("cy", `{}`, true)
			task := f.direct(cy.SID, nil, "")
			wantWorkers(t, task, "cy")
			if task.TaskQueueSID != f.sales.SID {
				t.Fatalf("queue = %s", task.TaskQueueFriendlyName)
			}
		}},
		{"a rejected direct task comes back to the same worker", func(t *testing.T, f *directFixture) {
			task := f.direct(f.bob.SID, nil, "")
			f.setStatus(f.pendingRes(task), StatusRejected)
			wantWorkers(t, task)
			f.advance(RetryDeclinedAfter)
			wantWorkers(t, task, "bob")
			if len(task.resList) != 2 {
				t.Fatalf("%d reservations", len(task.resList))
			}
		}},
		{"new attributes keep the direct target", func(t *testing.T, f *directFixture) {
			f.setActivity(f.bob, f.offline)
			task := f.direct(f.bob.SID, ptr(false), "")
			attrs := `{"type":"other"}`
			must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{Attributes: &attrs}))(t)
			wantWorkers(t, task)
			f.setActivity(f.bob, f.avail)
			wantWorkers(t, task, "bob")
		}},
		{"accepting assigns it", func(t *testing.T, f *directFixture) {
			task := f.direct(f.bob.SID, nil, "")
			f.setStatus(f.pendingRes(task), StatusAccepted)
			wantStatus(t, task, TaskAssigned)
		}},
		{"queue target skips the workflow's filters", func(t *testing.T, f *directFixture) {
			mark := len(f.events)
			task := f.direct(f.support.SID, ptr(true), "")
			if task.TaskQueueSID != f.support.SID {
				t.Fatalf("queue = %s", task.TaskQueueFriendlyName)
			}
			wantWorkers(t, task, "bob")
			noWorkflowEvents(t, f.fixture, mark)
		}},
		{"queue target respects capacity", func(t *testing.T, f *directFixture) {
			first := f.direct(f.support.SID, nil, "")
			second := f.direct(f.support.SID, ptr(true), "") // IgnoreCapacity is for worker targets only
			wantWorkers(t, first, "bob")
			wantWorkers(t, second)
			if first.IgnoreCapacity {
				t.Fatal("ignore_capacity defaults to true for a queue target")
			}
		}},
		{"workflow target routes through that workflow", func(t *testing.T, f *directFixture) {
			other := f.workflow(defaultCfg(f.support), 0)
			mark := len(f.events)
			task := must(f.e.CreateTask(f.ws.SID, CreateTaskParams{WorkflowSID: f.wf.SID, RoutingTarget: other.SID}))(t)
			if task.WorkflowSID != other.SID || task.TaskQueueSID != f.support.SID {
				t.Fatalf("workflow %s queue %s", task.WorkflowFriendlyName, task.TaskQueueFriendlyName)
			}
			wantWorkers(t, task, "bob")
			if got := f.types(mark); !strings.Contains(got, "workflow.entered") {
				t.Fatalf("events = %s", got)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newDirectFixture(t)
			c.run(t, f)
			checkIndexes(t, f.e, f.ws)
			checkQuiescent(t, f.e, f.ws)
		})
	}
}

func TestRoutingTargetErrors(t *testing.T) {
	f := newDirectFixture(t)
	cases := []struct {
		target, queue string
		frags         []string
	}{
		{"WK" + strings.Repeat("0", 32), "", []string{"RoutingTarget", "not a Worker"}},
		{"WQ" + strings.Repeat("0", 32), "", []string{"RoutingTarget", "not a TaskQueue"}},
		{"WW" + strings.Repeat("0", 32), "", []string{"RoutingTarget", "not a Workflow"}},
		{"alice", "", []string{"RoutingTarget", "Worker, TaskQueue or Workflow"}},
		{f.alice.SID, "WQ" + strings.Repeat("0", 32), []string{"TaskQueueSid"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.target, c.queue), func(t *testing.T) {
			_, err := f.e.CreateTask(f.ws.SID, CreateTaskParams{RoutingTarget: c.target, TaskQueueSID: c.queue})
			wantTwilioErr(t, err, http.StatusBadRequest, 20001, c.frags...)
		})
	}
	if n := len(f.ws.tasks.list); n != 0 {
		t.Fatalf("%d tasks created", n)
	}
}
