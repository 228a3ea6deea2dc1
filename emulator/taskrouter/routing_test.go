package taskrouter

import (
	"fmt"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
)

func defaultCfg(q *TaskQueue) string {
	return fmt.Sprintf(`{"task_routing":{"default_filter":{"queue":%q}}}`, q.SID)
}

// TestRoutingDecisions covers which queue and which worker a task gets.
func TestRoutingDecisions(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"first matching filter wins", func(t *testing.T, f *fixture) {
			sales, support, all := f.queue("Sales", "1==1"), f.queue("Support", "1==1"), f.queue("All", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[
				{"filter_friendly_name":"sales","expression":"type == 'sales'","targets":[{"queue":%q}]},
				{"filter_friendly_name":"support or sales","expression":"type IN ['support','sales']","targets":[{"queue":%q}]}],
				"default_filter":{"queue":%q}}}`, sales.SID, support.SID, all.SID), 0)
			for attrs, want := range map[string]*TaskQueue{`{"type":"sales"}`: sales, `{"type":"support"}`: support, `{"type":"other"}`: all, `{}`: all} {
				task := f.task(attrs)
				if task.TaskQueueSID != want.SID || task.TaskQueueFriendlyName != want.FriendlyName {
					t.Errorf("%s routed to %s, want %s", attrs, task.TaskQueueFriendlyName, want.FriendlyName)
				}
				wantStatus(t, task, TaskPending)
			}
		}},
		{"no match and no default filter cancels", func(t *testing.T, f *fixture) {
			q := f.queue("Sales", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"type == 'sales'","targets":[{"queue":%q}]}]}}`, q.SID), 0)
			mark := len(f.events)
			task := f.task(`{"type":"other"}`)
			wantStatus(t, task, TaskCanceled)
			if task.Reason != ReasonNoMatch {
				t.Fatalf("reason = %q", task.Reason)
			}
			if got := f.types(mark); got != "task.created workflow.entered task.canceled" {
				t.Fatalf("events = %s", got)
			}
		}},
		{"queue target_workers selects workers", func(t *testing.T, f *fixture) {
			q := f.queue("Spanish", "languages HAS 'es'")
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{"languages":["en"]}`, true)
			f.worker("bob", `{"languages":["en","es"]}`, true)
			wantWorkers(t, f.task(`{}`), "bob")
		}},
		{"queue expression may use worker built-ins", func(t *testing.T, f *fixture) {
			q := f.queue("Only bob", "friendly_name == 'bob'")
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			wantWorkers(t, f.task(`{}`), "bob")
		}},
		{"target expression compares task and worker", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[
				{"queue":%q,"expression":"task.team == worker.team"}]}]}}`, q.SID), 0)
			f.worker("alice", `{"team":"red"}`, true)
			f.worker("bob", `{"team":"blue"}`, true)
			wantWorkers(t, f.task(`{"team":"blue"}`), "bob")
			wantWorkers(t, f.task(`{"team":"green"}`))
		}},
		{"target priority overrides task priority", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"vip == true","targets":[{"queue":%q,"priority":"50"}]}],
				"default_filter":{"queue":%q}}}`, q.SID, q.SID), 0)
			if got := f.taskP(`{"vip":true}`, 3).Priority; got != 50 {
				t.Fatalf("vip priority = %d", got)
			}
			if got := f.taskP(`{}`, 3).Priority; got != 3 {
				t.Fatalf("default priority = %d", got)
			}
		}},
		{"unavailable workers and channels are skipped", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			f.worker("offline", `{}`, false)
			w := f.worker("nochannel", `{}`, true)
			must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "default", UpdateWorkerChannelParams{Available: new(false)}))(t)
			f.worker("carol", `{}`, true)
			wantWorkers(t, f.task(`{}`), "carol")
		}},
		{"capacity limits reservations per channel", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			w := f.worker("alice", `{}`, true)
			must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Capacity: new(2)}))(t)
			chat := func() *Task {
				return must(f.e.CreateTask(f.ws.SID, CreateTaskParams{TaskChannel: "chat"}))(t)
			}
			t1, t2, t3 := chat(), chat(), chat()
			wantWorkers(t, t1, "alice")
			wantWorkers(t, t2, "alice")
			wantWorkers(t, t3)
			wantWorkers(t, f.task(`{}`), "alice") // the default channel has its own capacity
			// Accepting keeps the capacity; completing frees it for t3.
			f.setStatus(f.pendingRes(t1), StatusAccepted)
			wantWorkers(t, t3)
			wc := must(f.e.WorkerChannel(f.ws.SID, w.SID, "chat"))(t)
			if wc.AssignedTasks != 1 || wc.AvailableCapacityPercentage() != 50 {
				t.Fatalf("chat channel assigned=%d pct=%d", wc.AssignedTasks, wc.AvailableCapacityPercentage())
			}
			reason := "done"
			must(f.e.UpdateTask(f.ws.SID, t1.SID, UpdateTaskParams{AssignmentStatus: new(TaskCompleted), Reason: &reason}))(t)
			wantWorkers(t, t3, "alice")
		}},
		{"capacity increase offers waiting tasks", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			w := f.worker("alice", `{}`, true)
			t1, t2 := f.task(`{}`), f.task(`{}`)
			wantWorkers(t, t1, "alice")
			wantWorkers(t, t2)
			must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "default", UpdateWorkerChannelParams{Capacity: new(2)}))(t)
			wantWorkers(t, t2, "alice")
		}},
		{"longest idle worker first, ties by creation order", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			f.worker("carol", `{}`, true)
			t1 := f.task(`{}`)
			wantWorkers(t, t1, "alice")
			t2 := f.task(`{}`)
			wantWorkers(t, t2, "bob")
			f.setStatus(f.pendingRes(t2), StatusAccepted)
			reason := "done"
			must(f.e.UpdateTask(f.ws.SID, t2.SID, UpdateTaskParams{AssignmentStatus: new(TaskCompleted), Reason: &reason}))(t)
			// carol never had a task; bob (free again) was assigned most recently.
			wantWorkers(t, f.task(`{}`), "carol")
			wantWorkers(t, f.task(`{}`), "bob")
		}},
		{"order_by sorts by integer attribute, missing last", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[
				{"queue":%q,"order_by":"worker.level DESC"}]}]}}`, q.SID), 0)
			f.worker("none", `{}`, true)
			f.worker("low", `{"level":1}`, true)
			f.worker("high", `{"level":9}`, true)
			wantWorkers(t, f.task(`{}`), "high")
			wantWorkers(t, f.task(`{}`), "low")
			wantWorkers(t, f.task(`{}`), "none")
		}},
		{"max_reserved_workers reserves several; accept rescinds the rest", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			two := 2
			must(f.e.UpdateTaskQueue(f.ws.SID, q.SID, UpdateTaskQueueParams{MaxReservedWorkers: &two}))(t)
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			task := f.task(`{}`)
			wantWorkers(t, task, "alice", "bob")
			mark := len(f.events)
			f.setStatus(task.resList[1], StatusAccepted)
			wantStatus(t, task, TaskAssigned)
			if got := task.resList[0].ReservationStatus; got != StatusRescinded {
				t.Fatalf("alice's reservation = %s", got)
			}
			if got := f.types(mark); got != "reservation.accepted reservation.rescinded" {
				t.Fatalf("events = %s", got)
			}
		}},
		{"waiting tasks go highest priority first, then oldest", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			old := f.taskP(`{"n":"old"}`, 1)
			f.advance(time.Second)
			urgent := f.taskP(`{"n":"urgent"}`, 5)
			f.advance(time.Second)
			newer := f.taskP(`{"n":"newer"}`, 1)
			f.worker("alice", `{}`, true)
			wantWorkers(t, urgent, "alice")
			wantWorkers(t, old)
			f.setStatus(f.pendingRes(urgent), StatusRejected) // re-offered to others first: nobody
			// alice is not re-offered urgent in the same pass, so she gets old.
			wantWorkers(t, old, "alice")
			wantWorkers(t, urgent)
			f.setStatus(f.pendingRes(old), StatusRejected)
			wantWorkers(t, urgent, "alice")
			wantWorkers(t, newer)
		}},
		{"single-tasking: one reservation at a time, queue activities applied", func(t *testing.T, f *fixture) {
			off := false
			must(f.e.UpdateWorkspace(f.ws.SID, UpdateWorkspaceParams{MultiTaskEnabled: &off}))(t)
			reserved := must(f.e.CreateActivity(f.ws.SID, CreateActivityParams{FriendlyName: "Reserved", Available: true}))(t)
			busy := must(f.e.CreateActivity(f.ws.SID, CreateActivityParams{FriendlyName: "Busy"}))(t)
			q := must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Q",
				ReservationActivitySID: reserved.SID, AssignmentActivitySID: busy.SID}))(t)
			f.workflow(defaultCfg(q), 0)
			alice := f.worker("alice", `{}`, true)
			t1 := f.task(`{}`)
			t2 := must(f.e.CreateTask(f.ws.SID, CreateTaskParams{TaskChannel: "chat"}))(t)
			wantWorkers(t, t1, "alice")
			wantWorkers(t, t2) // other channel, but single-tasking
			if alice.ActivityName != "Reserved" {
				t.Fatalf("alice in %s after reservation", alice.ActivityName)
			}
			f.setStatus(f.pendingRes(t1), StatusAccepted)
			if alice.ActivityName != "Busy" || alice.Available {
				t.Fatalf("alice in %s after accept", alice.ActivityName)
			}
		}},
		{"workflow update with ReEvaluateTasks re-routes waiting tasks", func(t *testing.T, f *fixture) {
			a, b := f.queue("A", "1==1"), f.queue("B", "1==1")
			wf := f.workflow(defaultCfg(a), 0)
			task := f.task(`{}`)
			cfg := defaultCfg(b)
			must(f.e.UpdateWorkflow(f.ws.SID, wf.SID, UpdateWorkflowParams{Configuration: &cfg}))(t)
			if task.TaskQueueSID != a.SID {
				t.Fatalf("moved without ReEvaluateTasks")
			}
			must(f.e.UpdateWorkflow(f.ws.SID, wf.SID, UpdateWorkflowParams{ReEvaluateTasks: true}))(t)
			if task.TaskQueueSID != b.SID {
				t.Fatalf("task still in %s", task.TaskQueueFriendlyName)
			}
		}},
		{"priority update reorders the queue", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			t1, t2 := f.task(`{}`), f.task(`{}`)
			must(f.e.UpdateTask(f.ws.SID, t2.SID, UpdateTaskParams{Priority: new(7)}))(t)
			if w := q.Waiting(); w[0] != t2 || w[1] != t1 {
				t.Fatalf("queue order %s %s", w[0].SID, w[1].SID)
			}
			f.worker("alice", `{}`, true)
			wantWorkers(t, t2, "alice")
		}},
		{"LIFO queue serves newest first", func(t *testing.T, f *fixture) {
			q := must(f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Stack", TaskOrder: "LIFO"}))(t)
			f.workflow(defaultCfg(q), 0)
			first := f.taskP(`{}`, 9)
			f.advance(time.Second)
			second := f.taskP(`{}`, 0)
			f.worker("alice", `{}`, true)
			wantWorkers(t, second, "alice")
			wantWorkers(t, first)
		}},
		{"no worker: waits, then reserved when a worker becomes available", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "skill == 'x'")
			f.workflow(defaultCfg(q), 0)
			w := f.worker("alice", `{"skill":"y"}`, false)
			task := f.task(`{}`)
			wantStatus(t, task, TaskPending)
			f.setActivity(w, f.avail)
			wantStatus(t, task, TaskPending) // not in the queue yet
			attrs := `{"skill":"x"}`
			mark := len(f.events)
			must(f.e.UpdateWorker(f.ws.SID, w.SID, UpdateWorkerParams{Attributes: &attrs}))(t)
			wantStatus(t, task, TaskReserved)
			wantWorkers(t, task, "alice")
			if got := f.types(mark); got != "worker.attributes.update reservation.created" {
				t.Fatalf("events = %s", got)
			}
		}},
		{"new available worker picks up a waiting task", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			task := f.task(`{}`)
			wantStatus(t, task, TaskPending)
			f.worker("alice", `{}`, true)
			wantWorkers(t, task, "alice")
		}},
		{"reject moves the task to the next worker and the worker to WorkerActivitySid", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			alice := f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			task := f.task(`{}`)
			r := f.pendingRes(task)
			must(f.e.UpdateReservation(f.ws.SID, r.SID, UpdateReservationParams{ReservationStatus: StatusRejected, WorkerActivitySID: f.unavail.SID}))(t)
			if r.ReservationStatus != StatusRejected || alice.ActivityName != "Unavailable" {
				t.Fatalf("reservation %s, alice %s", r.ReservationStatus, alice.ActivityName)
			}
			wantWorkers(t, task, "bob")
			wantStatus(t, task, TaskReserved)
		}},
		{"reject with nobody else leaves the task pending for the next pass", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			alice := f.worker("alice", `{}`, true)
			task := f.task(`{}`)
			f.setStatus(f.pendingRes(task), StatusRejected)
			wantStatus(t, task, TaskPending)
			wantWorkers(t, task)
			// A later pass (alice toggles availability) offers it again.
			f.setActivity(alice, f.unavail)
			f.setActivity(alice, f.avail)
			wantWorkers(t, task, "alice")
		}},
		{"reject with nobody else: the next cycle offers it to the same worker again", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{}`, true)
			task := f.task(`{}`)
			f.setStatus(f.pendingRes(task), StatusRejected)
			f.advance(RetryDeclinedAfter - time.Millisecond)
			wantStatus(t, task, TaskPending)
			f.advance(time.Millisecond)
			wantStatus(t, task, TaskReserved)
			wantWorkers(t, task, "alice")
		}},
		{"reservation timeout moves worker to timeout activity and re-routes", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 30)
			alice := f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			task := f.task(`{}`)
			r := f.pendingRes(task)
			f.advance(29 * time.Second)
			if r.ReservationStatus != StatusPending {
				t.Fatalf("timed out early: %s", r.ReservationStatus)
			}
			mark := len(f.events)
			f.advance(time.Second)
			if r.ReservationStatus != StatusTimeout || alice.ActivitySID != f.ws.TimeoutActivitySID || alice.Available {
				t.Fatalf("reservation %s, alice in %s", r.ReservationStatus, alice.ActivityName)
			}
			wantWorkers(t, task, "bob")
			want := "reservation.timeout worker.activity.update workflow.target-matched task-queue.entered reservation.created"
			if got := f.types(mark); got != want {
				t.Fatalf("events = %s\nwant     %s", got, want)
			}
		}},
		{"accepted reservation does not time out", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 30)
			alice := f.worker("alice", `{}`, true)
			task := f.task(`{}`)
			r := f.pendingRes(task)
			f.setStatus(r, StatusAccepted)
			f.advance(time.Hour)
			if r.ReservationStatus != StatusAccepted || !alice.Available {
				t.Fatalf("reservation %s, alice %s", r.ReservationStatus, alice.ActivityName)
			}
			wantStatus(t, task, TaskAssigned)
		}},
		{"target timeout escalates to the next target, then falls out", func(t *testing.T, f *fixture) {
			tier1, tier2 := f.queue("Tier1", "tier == 1"), f.queue("Tier2", "tier == 2")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[
				{"queue":%q,"timeout":10},{"queue":%q,"timeout":"20"}]}],"default_filter":{"queue":%q}}}`,
				tier1.SID, tier2.SID, tier1.SID), 0)
			task := f.task(`{}`)
			if task.TaskQueueSID != tier1.SID {
				t.Fatalf("queue %s", task.TaskQueueFriendlyName)
			}
			f.advance(9 * time.Second)
			if task.TaskQueueSID != tier1.SID {
				t.Fatalf("moved early to %s", task.TaskQueueFriendlyName)
			}
			mark := len(f.events)
			f.advance(time.Second)
			if task.TaskQueueSID != tier2.SID {
				t.Fatalf("after 10s in %s", task.TaskQueueFriendlyName)
			}
			if got := f.types(mark); got != "task-queue.timeout workflow.target-matched task-queue.moved task-queue.entered" {
				t.Fatalf("events = %s", got)
			}
			f.worker("bob", `{"tier":2}`, true)
			r := f.pendingRes(task)
			// The tier-2 deadline is cumulative: 30s after the task entered the workflow.
			f.advance(19 * time.Second)
			if r.ReservationStatus != StatusPending {
				t.Fatalf("reservation %s before the step deadline", r.ReservationStatus)
			}
			f.advance(time.Second)
			if r.ReservationStatus != StatusCanceled {
				t.Fatalf("reservation %s after the step deadline", r.ReservationStatus)
			}
			// Matched a filter once, so the default filter never applies.
			wantStatus(t, task, TaskCanceled)
			if task.Reason != ReasonWorkflowTimeout {
				t.Fatalf("reason %q", task.Reason)
			}
		}},
		{"last target timeout continues with the next matching filter", func(t *testing.T, f *fixture) {
			a, b := f.queue("A", "1==1"), f.queue("B", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[
				{"expression":"1==1","targets":[{"queue":%q,"timeout":5}]},
				{"expression":"x == 1","targets":[{"queue":%q}]},
				{"expression":"1==1","targets":[{"queue":%q}]}]}}`, a.SID, a.SID, b.SID), 0)
			task := f.task(`{}`)
			f.advance(5 * time.Second)
			if task.TaskQueueSID != b.SID || task.filterIdx != 2 {
				t.Fatalf("after timeout in %s (filter %d)", task.TaskQueueFriendlyName, task.filterIdx)
			}
		}},
		{"skip_if skips a step nobody can take", func(t *testing.T, f *fixture) {
			a, b := f.queue("A", "team == 'a'"), f.queue("B", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[
				{"queue":%q,"skip_if":"workers.available == 0"},{"queue":%q}]}]}}`, a.SID, b.SID), 0)
			f.worker("offline-a", `{"team":"a"}`, false)
			task := f.task(`{}`)
			if task.TaskQueueSID != b.SID {
				t.Fatalf("task in %s", task.TaskQueueFriendlyName)
			}
		}},
		{"known worker targets exactly that worker", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[
				{"queue":%q,"known_worker_friendly_name":"task.agent"}]}]}}`, q.SID), 0)
			f.worker("alice", `{}`, true)
			f.worker("bob", `{}`, true)
			wantWorkers(t, f.task(`{"agent":"bob"}`), "bob")
			wantWorkers(t, f.task(`{}`))
		}},
		{"task TTL cancels the task and its pending reservations", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 600)
			f.worker("alice", `{}`, true)
			task := must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Timeout: 60}))(t)
			r := f.pendingRes(task)
			mark := len(f.events)
			f.advance(60 * time.Second)
			wantStatus(t, task, TaskCanceled)
			if task.Reason != ReasonTTLExceeded || r.ReservationStatus != StatusCanceled {
				t.Fatalf("reason %q, reservation %s", task.Reason, r.ReservationStatus)
			}
			if got := f.types(mark); got != "reservation.canceled task.canceled" {
				t.Fatalf("events = %s", got)
			}
		}},
		{"canceling a task frees the worker for the next one", func(t *testing.T, f *fixture) {
			q := f.queue("Everyone", "1==1")
			f.workflow(defaultCfg(q), 0)
			f.worker("alice", `{}`, true)
			t1, t2 := f.task(`{}`), f.task(`{}`)
			reason := "caller hung up"
			must(f.e.UpdateTask(f.ws.SID, t1.SID, UpdateTaskParams{AssignmentStatus: new(TaskCanceled), Reason: &reason}))(t)
			wantStatus(t, t1, TaskCanceled)
			wantWorkers(t, t2, "alice")
		}},
		{"new attributes re-evaluate the workflow", func(t *testing.T, f *fixture) {
			sales, support := f.queue("Sales", "1==1"), f.queue("Support", "dept == 'support'")
			f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"type == 'support'","targets":[{"queue":%q}]}],
				"default_filter":{"queue":%q}}}`, support.SID, sales.SID), 0)
			f.worker("sam", `{"dept":"support"}`, true)
			task := f.task(`{"type":"sales"}`)
			r := f.pendingRes(task) // sam is in Sales (1==1) too
			attrs := `{"type":"support"}`
			must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{Attributes: &attrs}))(t)
			if task.TaskQueueSID != support.SID || r.ReservationStatus != StatusCanceled {
				t.Fatalf("task in %s, old reservation %s", task.TaskQueueFriendlyName, r.ReservationStatus)
			}
			wantWorkers(t, task, "sam")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newFixture(t)) })
	}
}

func TestWorkflowValidation(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Q", "1==1")
	cases := []struct{ cfg, frag string }{
		{`not json`, "not valid workflow JSON"},
		{`{}`, "missing task_routing"},
		{`{"task_routing":{}}`, "needs filters or a default_filter"},
		{`{"task_routing":{"default_filter":{"queue":"WQ00000000000000000000000000000000"}}}`, "task_routing.default_filter.queue"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"a ==","targets":[{"queue":%q}]}]}}`, q.SID), "filters[0].expression: invalid expression at position"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"expression":"worker.x =="}]}]}}`, q.SID), "targets[0].expression"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"timeout":"soon"}]}]}}`, q.SID), "targets[0].timeout"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"priority":-1}]}]}}`, q.SID), "priority"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[]}]}}`), "at least one target"},
		{fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"order_by":"level DESC"}]}]}}`, q.SID), "order_by"},
	}
	for _, c := range cases {
		_, err := f.e.CreateWorkflow(f.ws.SID, CreateWorkflowParams{FriendlyName: "bad", Configuration: c.cfg})
		wantTwilioErr(t, err, 400, 20001, "Configuration", c.frag)
	}
	if n := len(f.ws.workflows.list); n != 0 {
		t.Fatalf("%d workflows created by invalid configurations", n)
	}
	// Targets inherit the previous queue; numeric strings are accepted.
	wf := f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"timeout":"10","priority":"5"},{"timeout":20}]}]}}`, q.SID), 0)
	tg := wf.cfg.filters[0].targets
	if tg[1].queue != q || tg[1].cumTimeout != 30*time.Second || *tg[0].priority != 5 || wf.TaskReservationTimeout != 120 {
		t.Fatalf("parsed %+v %+v timeout %d", tg[0], tg[1], wf.TaskReservationTimeout)
	}
	if err := f.e.DeleteTaskQueue(f.ws.SID, q.SID); err == nil {
		t.Fatal("deleted a queue a workflow routes to")
	}
}

func TestTaskQueueExpressionError(t *testing.T) {
	f := newFixture(t)
	_, err := f.e.CreateTaskQueue(f.ws.SID, CreateTaskQueueParams{FriendlyName: "Q", TargetWorkers: "skills HAS"})
	wantTwilioErr(t, err, 400, 20001, "TargetWorkers", "position 10")
	q := f.queue("Q", "1==1")
	bad := "a = = b"
	_, err = f.e.UpdateTaskQueue(f.ws.SID, q.SID, UpdateTaskQueueParams{TargetWorkers: &bad})
	wantTwilioErr(t, err, 400, 20001, "TargetWorkers", "position")
	if q.TargetWorkers != "1==1" {
		t.Fatalf("failed update changed target_workers to %q", q.TargetWorkers)
	}
}

func TestCreateTaskValidation(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Q", "1==1")
	_, err := f.e.CreateTask(f.ws.SID, CreateTaskParams{})
	wantTwilioErr(t, err, 400, 20001, "WorkflowSid")
	f.workflow(defaultCfg(q), 0)
	cases := []struct {
		p    CreateTaskParams
		frag string
	}{
		{CreateTaskParams{Attributes: `[1]`}, "Attributes"},
		{CreateTaskParams{Timeout: MaxTaskTimeout + 1}, "Timeout"},
		{CreateTaskParams{Priority: new(-1)}, "Priority"},
		{CreateTaskParams{TaskChannel: "fax"}, "TaskChannel"},
		{CreateTaskParams{WorkflowSID: "WW00000000000000000000000000000000"}, "WorkflowSid"},
		{CreateTaskParams{VirtualStartTime: f.clk.Now().Add(time.Hour)}, "VirtualStartTime"},
	}
	for _, c := range cases {
		_, err := f.e.CreateTask(f.ws.SID, c.p)
		wantTwilioErr(t, err, 400, 20001, c.frag)
	}
	if n := len(f.ws.tasks.list); n != 0 {
		t.Fatalf("%d tasks created by invalid requests", n)
	}
	task := f.task(`{}`)
	if task.Timeout != DefaultTaskTimeout || task.TaskChannelUniqueName != "default" || task.Addons != "{}" {
		t.Fatalf("defaults: %+v", task)
	}
}

func TestEventsAndTimeline(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	wf := f.workflow(defaultCfg(q), 0)
	alice := f.worker("alice", `{}`, true)
	mark, seq := len(f.events), f.env.Timeline.Last()
	task := f.task(`{}`)
	r := f.pendingRes(task)
	f.setStatus(r, StatusAccepted)
	f.setStatus(r, StatusWrapping)
	f.setStatus(r, StatusCompleted)
	want := "task.created workflow.entered workflow.target-matched task-queue.entered reservation.created " +
		"reservation.accepted reservation.wrapup task.wrapup reservation.completed task.completed"
	if got := f.types(mark); got != want {
		t.Fatalf("events:\n got %s\nwant %s", got, want)
	}
	created := f.events[mark+4]
	if created.ReservationSID != r.SID || created.WorkerSID != alice.SID || created.TaskSID != task.SID ||
		created.TaskQueueSID != q.SID || created.WorkflowSID != wf.SID || created.WorkspaceSID != f.ws.SID {
		t.Fatalf("reservation.created event = %+v", created)
	}
	entries := f.env.Timeline.Since(seq)
	if len(entries) != 10 {
		t.Fatalf("%d timeline entries", len(entries))
	}
	e := entries[4]
	if e.Product != "taskrouter" || e.Type != "reservation.created" || e.SID != r.SID ||
		e.Refs["worker_name"] != "alice" || e.Refs["task_queue_name"] != "Everyone" || e.Refs["workflow_name"] != wf.FriendlyName ||
		e.Refs["task_sid"] != task.SID {
		t.Fatalf("timeline entry = %+v", e)
	}
	if task.AssignmentStatus != TaskCompleted || alice.channels[0].AssignedTasks != 0 {
		t.Fatalf("task %s, assigned %d", task.AssignmentStatus, alice.channels[0].AssignedTasks)
	}
}

// TestListenerReentry checks listeners run after the whole operation and may
// call back into the engine (an auto-accepting agent).
func TestListenerReentry(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 0)
	f.worker("alice", `{}`, true)
	f.e.Subscribe(func(ev Event) {
		if ev.Type == "reservation.created" {
			if _, err := f.e.UpdateReservation(ev.WorkspaceSID, ev.ReservationSID, UpdateReservationParams{ReservationStatus: StatusAccepted}); err != nil {
				t.Errorf("accept from listener: %v", err)
			}
		}
	})
	task := f.task(`{}`)
	wantStatus(t, task, TaskAssigned)
	if got := f.events[len(f.events)-1].Type; got != "reservation.accepted" {
		t.Fatalf("last event %s", got)
	}
}

func TestBareWorkspaceAndLookups(t *testing.T) {
	tenv, _ := env.ForTest()
	en := New(tenv)
	ws := must(en.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Flex", Bare: true, SID: "WS" + "0123456789abcdef0123456789abcdef"}))(t)
	if len(ws.activities.list) != 0 || len(ws.channels.list) != 0 || ws.SID != "WS0123456789abcdef0123456789abcdef" {
		t.Fatalf("bare workspace has %d activities, %d channels", len(ws.activities.list), len(ws.channels.list))
	}
	rest := must(en.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Rest", Template: "FIFO"}))(t)
	if rest.DefaultActivityName() != "Offline" || rest.TimeoutActivityName() != "Offline" || len(rest.channels.list) != 5 {
		t.Fatalf("REST workspace defaults: %s %s %d", rest.DefaultActivityName(), rest.TimeoutActivityName(), len(rest.channels.list))
	}
	wf := must(en.WorkflowByName(rest.SID, "Default Fifo Workflow"))(t)
	if got := must(en.WorkspaceOfWorkflow(wf.SID))(t); got != rest.SID {
		t.Fatalf("WorkspaceOfWorkflow = %s", got)
	}
	must(en.TaskQueueByName(rest.SID, "Sample Queue"))(t)
	must(en.TaskChannelByName(rest.SID, "chat"))(t)
	if got := must(en.WorkspaceByName("Flex"))(t); got != ws {
		t.Fatal("WorkspaceByName")
	}
	w := must(en.CreateWorker(rest.SID, CreateWorkerParams{FriendlyName: "Alice"}))(t)
	if got := must(en.WorkerByName(rest.SID, "alice"))(t); got != w || w.ActivityName != "Offline" || len(w.channels) != 5 {
		t.Fatalf("worker %+v", w)
	}
	_, err := en.CreateWorker(rest.SID, CreateWorkerParams{FriendlyName: "ALICE"})
	wantTwilioErr(t, err, 409, 20409, "FriendlyName")
	_, err = en.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "x"})
	wantTwilioErr(t, err, 400, 20001, "ActivitySid")
	_, err = en.Task(rest.SID, "WT00000000000000000000000000000000")
	wantTwilioErr(t, err, 404, 20404, "/Workspaces/"+rest.SID+"/Tasks/WT00000000000000000000000000000000")
	_, err = en.WorkspaceOfWorkflow("WW00000000000000000000000000000000")
	wantTwilioErr(t, err, 404, 20404)
}

// TestDeleteQueueOfAnEarlierConfiguration: a task waiting under a workflow's
// earlier configuration (updated without ReEvaluateTasks) keeps its later
// steps, so their queues cannot be deleted until it moves on.
func TestDeleteQueueOfAnEarlierConfiguration(t *testing.T) {
	f := newFixture(t)
	first, later := f.queue("First", "1==1"), f.queue("Later", "1==1")
	cfg := func(q1, q2 *TaskQueue) string {
		return fmt.Sprintf(`{"task_routing":{"filters":[{"expression":"1==1","targets":[{"queue":%q,"timeout":30},{"queue":%q}]}]}}`, q1.SID, q2.SID)
	}
	wf := f.workflow(cfg(first, later), 0)
	task := f.task(`{}`)
	next := fmt.Sprintf(`{"task_routing":{"default_filter":{"queue":%q}}}`, first.SID)
	must(f.e.UpdateWorkflow(f.ws.SID, wf.SID, UpdateWorkflowParams{Configuration: &next}))(t)
	err := f.e.DeleteTaskQueue(f.ws.SID, later.SID)
	wantTwilioErr(t, err, 400, 20001, task.SID, "routed with a workflow configuration")
	f.advance(31 * time.Second) // the task moves on to Later ...
	if task.TaskQueueSID != later.SID {
		t.Fatalf("task in %s, want Later", task.TaskQueueFriendlyName)
	}
	reason := "done"
	canceled := TaskCanceled
	must(f.e.UpdateTask(f.ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: &canceled, Reason: &reason}))(t)
	if err := f.e.DeleteTaskQueue(f.ws.SID, later.SID); err != nil { // ... and once it is gone, Later can go
		t.Fatalf("delete after the task finished: %v", err)
	}
}
