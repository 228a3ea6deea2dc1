package taskrouter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkIndexes rebuilds every routing index of ws from scratch and fails
// the test where the incrementally maintained one differs.
func checkIndexes(t testing.TB, e *Engine, ws *Workspace) {
	t.Helper()
	// name index
	if len(ws.idx.workerNames) != len(ws.workers.list) {
		t.Fatalf("name index has %d entries for %d workers", len(ws.idx.workerNames), len(ws.workers.list))
	}
	for _, w := range ws.workers.list {
		if ws.idx.workerNames[strings.ToLower(w.FriendlyName)] != w {
			t.Fatalf("name index misses %s", w.FriendlyName)
		}
	}
	for _, q := range ws.queues.list {
		// membership and counters
		members, avail := 0, 0
		byAct := map[string]int{}
		for _, w := range ws.workers.list {
			want := q.targetExpr != nil && (q.idx.timeDependent || e.matchesWorker(q.targetExpr, w))
			if want != w.inQueue(q) {
				t.Fatalf("worker %s in queue %s = %t, expression says %t", w.FriendlyName, q.FriendlyName, w.inQueue(q), want)
			}
			if want {
				members++
				if w.Available {
					avail++
				}
				byAct[w.ActivitySID]++
			}
		}
		if q.idx.members != members || q.idx.available != avail || fmt.Sprint(q.idx.byActivity) != fmt.Sprint(byAct) {
			t.Fatalf("queue %s counters %d/%d/%v, want %d/%d/%v", q.FriendlyName, q.idx.members, q.idx.available,
				q.idx.byActivity, members, avail, byAct)
		}
		// ready sets: exactly the ready members, each once, sorted by the
		// stored key, which may lag (never lead) the current idle key
		for _, c := range ws.channels.list {
			want := map[*Worker]bool{}
			for _, w := range ws.workers.list {
				if w.inQueue(q) && readyOn(ws, w, w.channelFor(c)) {
					want[w] = true
				}
			}
			var got []readyEntry
			if s := q.idx.ready[c]; s != nil {
				got = s.appendTo(nil)
				if s.Len() != len(got) {
					t.Fatalf("ready set length %d, holds %d", s.Len(), len(got))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("queue %s channel %s ready set has %d workers, want %d", q.FriendlyName, c.UniqueName, len(got), len(want))
			}
			for i, en := range got {
				w := ws.idx.slots[en.slot]
				wc := w.channelFor(c)
				if !want[w] || en.seq != w.seq || en.key != wc.readyKey || en.key > idleKey(w, wc) {
					t.Fatalf("queue %s channel %s ready entry for %s wrong (key %d, stored %d, idle %d)",
						q.FriendlyName, c.UniqueName, w.FriendlyName, en.key, wc.readyKey, idleKey(w, wc))
				}
				if i > 0 && !readyLess(got[i-1], en) {
					t.Fatalf("queue %s channel %s ready set out of order", q.FriendlyName, c.UniqueName)
				}
			}
		}
		// waiting set
		var want []*Task
		for _, task := range ws.tasks.list {
			if task.queued && task.queue == q {
				want = append(want, task)
			}
		}
		slices.SortFunc(want, func(a, b *Task) int {
			if q.before(a, b) {
				return -1
			}
			return 1
		})
		if got := q.Waiting(); !slices.Equal(got, want) {
			t.Fatalf("queue %s waiting %d tasks, want %d (or out of order)", q.FriendlyName, len(got), len(want))
		}
		// lanes
		count := map[*lane]int{}
		open := map[*lane][]*Task{}
		for _, task := range want {
			if !task.waiting() {
				t.Fatalf("task %s queued while %s", task.SID, task.AssignmentStatus)
			}
			ln := task.lane
			if ln != nil {
				if q.idx.byKey[ln.key] != ln {
					t.Fatalf("task %s lane is not the queue's lane for its key", task.SID)
				}
				count[ln]++
			}
			if wantOpen := ln != nil && task.pendingRes < q.MaxReservedWorkers; wantOpen != task.inOpen {
				t.Fatalf("task %s open = %t, want %t", task.SID, task.inOpen, wantOpen)
			}
			if task.inOpen {
				open[ln] = append(open[ln], task)
			}
		}
		nl := 0
		for key, ln := range q.idx.byKey {
			nl++
			if ln.key != key || ln.n != count[ln] || ln.n == 0 {
				t.Fatalf("lane n=%d, %d tasks point at it", ln.n, count[ln])
			}
			if got := ln.open.appendTo(nil); !slices.Equal(got, open[ln]) {
				t.Fatalf("lane open set has %d tasks, want %d", len(got), len(open[ln]))
			}
		}
		listed := len(q.idx.lanes)
		for _, s := range q.idx.known {
			listed += len(s)
		}
		if listed != nl {
			t.Fatalf("queue %s lists %d lanes, has %d", q.FriendlyName, listed, nl)
		}
	}
	for _, task := range ws.tasks.list {
		if !task.queued && (task.lane != nil || task.inOpen) {
			t.Fatalf("task %s not queued but in a lane", task.SID)
		}
	}
	for _, w := range ws.workers.list {
		if ws.idx.slots[w.slot] != w {
			t.Fatalf("worker %s slot %d not indexed", w.FriendlyName, w.slot)
		}
		for _, wc := range w.channels {
			if wc.inReady != readyOn(ws, w, wc) {
				t.Fatalf("worker %s channel %s ready flag stale", w.FriendlyName, wc.TaskChannelUniqueName)
			}
		}
	}
}

// bruteEligible is eligibility computed without any index.
func bruteEligible(e *Engine, ws *Workspace, task *Task, w *Worker) bool {
	wc := w.channelFor(task.channel)
	if task.target != nil && task.target.direct {
		return wc != nil && w.SID == task.RoutingTarget && (task.IgnoreCapacity || readyOn(ws, w, wc)) && !hasPending(task, w)
	}
	if wc == nil || !readyOn(ws, w, wc) || hasPending(task, w) {
		return false
	}
	q := task.queue
	if q.targetExpr == nil || !e.matchesWorker(q.targetExpr, w) {
		return false
	}
	return e.targetAccepts(task, w, e.env.Now())
}

// declined reports whether w rejected t or let it time out: the router does
// not hand t straight back to w in the same pass, so such a pair may rest.
func declined(task *Task, w *Worker) bool {
	for _, r := range task.resList {
		if r.worker == w && (r.ReservationStatus == StatusRejected || r.ReservationStatus == StatusTimeout) {
			return true
		}
	}
	return false
}

// checkQuiescent fails if some waiting task with room for a reservation has
// an eligible worker the router left idle.
func checkQuiescent(t testing.TB, e *Engine, ws *Workspace) {
	t.Helper()
	for _, task := range ws.tasks.list {
		if !task.queued || task.pendingRes >= task.queue.MaxReservedWorkers {
			continue
		}
		for _, w := range ws.workers.list {
			if bruteEligible(e, ws, task, w) && !declined(task, w) {
				t.Fatalf("task %s (queue %s, prio %d) waits while worker %s is eligible and ready",
					task.SID, task.TaskQueueFriendlyName, task.Priority, w.FriendlyName)
			}
		}
	}
}

// bruteBest is the task w should get next, by scanning everything.
func bruteBest(e *Engine, ws *Workspace, w *Worker) *Task {
	var best *Task
	for _, task := range ws.tasks.list {
		if !task.queued || task.pendingRes >= task.queue.MaxReservedWorkers || !bruteEligible(e, ws, task, w) {
			continue
		}
		if best == nil || e.servedBefore(ws, task, best) {
			best = task
		}
	}
	return best
}

// TestIndexRandomOps drives the engine through random operations and, after
// each, rebuilds the indexes from scratch, checks that no eligible worker
// idles beside a waiting task, and that a freed worker gets exactly the task
// a full scan would pick.
func TestIndexRandomOps(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { randomOps(t, seed, 400) })
	}
}

func randomOps(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 42))
	f := newFixture(t)
	e, ws := f.e, f.ws
	if seed%2 == 1 {
		no := false
		must(e.UpdateWorkspace(ws.SID, UpdateWorkspaceParams{MultiTaskEnabled: &no}))(t)
	}
	busy := must(e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: "Busy", Available: true}))(t)
	acts := []*Activity{f.avail, f.avail, busy, f.offline, f.unavail}
	skills := []string{"sales", "support", "billing"}
	qs := []*TaskQueue{
		f.queue("Sales", "skills HAS 'sales'"),
		f.queue("Support", "skills HAS 'support' OR level > 3 OR friendly_name == 'w3'"),
		f.queue("Busy", "activity_name == 'Busy'"),
		f.queue("Clock", "taskrouter.currentHour >= 0 AND skills HAS 'billing'"),
		f.queue("Everyone", "1==1"),
	}
	must(e.UpdateTaskQueue(ws.SID, qs[1].SID, UpdateTaskQueueParams{MaxReservedWorkers: ptr(2)}))(t)
	must(e.UpdateTaskQueue(ws.SID, qs[4].SID, UpdateTaskQueueParams{TaskOrder: ptr("LIFO")}))(t)
	f.workflow(fmt.Sprintf(`{"task_routing":{"filters":[
		{"expression":"type == 'sales'","targets":[{"queue":%q,"timeout":30},{"queue":%q,"priority":5}]},
		{"expression":"type == 'support'","targets":[{"queue":%q,"expression":"task.level <= worker.level","timeout":40},{"queue":%q,"order_by":"worker.level DESC"}]},
		{"expression":"type == 'known'","targets":[{"queue":%q,"known_worker_friendly_name":"task.agent","timeout":20},{"queue":%q,"known_worker_sid":"task.agent_sid"}]},
		{"expression":"type == 'billing'","targets":[{"queue":%q,"skip_if":"workers.available == 0"},{"queue":%q}]}],
		"default_filter":{"queue":%q}}}`,
		qs[0].SID, qs[4].SID, qs[1].SID, qs[1].SID, qs[4].SID, qs[4].SID, qs[3].SID, qs[2].SID, qs[4].SID), 25)
	channels := []string{"default", "voice", "chat"}
	var workers []*Worker
	newWorker := func() {
		var sk []string
		for _, s := range skills {
			if rng.IntN(2) == 0 {
				sk = append(sk, `"`+s+`"`)
			}
		}
		attrs := fmt.Sprintf(`{"skills":[%s],"level":%d}`, strings.Join(sk, ","), rng.IntN(6))
		w := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: fmt.Sprintf("w%d", len(workers)+100),
			Attributes: attrs, ActivitySID: acts[rng.IntN(len(acts))].SID}))(t)
		workers = append(workers, w)
	}
	for range 8 {
		newWorker()
	}
	live := func() []*Worker {
		var out []*Worker
		for _, w := range workers {
			if ws.workers.get(w.SID) == w {
				out = append(out, w)
			}
		}
		return out
	}
	pick := func() *Worker { l := live(); return l[rng.IntN(len(l))] }
	var tasks []*Task
	pickTask := func(statuses ...string) *Task {
		var c []*Task
		for _, task := range tasks {
			if ws.tasks.get(task.SID) == task && slices.Contains(statuses, task.AssignmentStatus) {
				c = append(c, task)
			}
		}
		if len(c) == 0 {
			return nil
		}
		return c[rng.IntN(len(c))]
	}
	pendingRes := func() *Reservation {
		var c []*Reservation
		for _, r := range ws.reservations.list {
			if r.ReservationStatus == StatusPending {
				c = append(c, r)
			}
		}
		if len(c) == 0 {
			return nil
		}
		return c[rng.IntN(len(c))]
	}
	reason := "r"
	for step := range steps {
		op := rng.IntN(20)
		switch op {
		case 0, 1, 2, 3:
			types := []string{"sales", "support", "known", "billing", "other"}
			typ := types[rng.IntN(len(types))]
			w := pick()
			attrs := fmt.Sprintf(`{"type":%q,"level":%d,"agent":%q,"agent_sid":%q}`, typ, rng.IntN(6),
				strings.ToUpper(w.FriendlyName), w.SID)
			prio := rng.IntN(3)
			ch := channels[rng.IntN(len(channels))]
			keys := map[*Worker]uint64{}
			for _, w := range ws.workers.list {
				keys[w] = idleKey(w, w.channelFor(ws.findChannel(ch)))
			}
			mark := len(ws.reservations.list)
			task, err := e.CreateTask(ws.SID, CreateTaskParams{Attributes: attrs, Priority: &prio,
				TaskChannel: ch, Timeout: 30 + rng.IntN(300)})
			if err != nil {
				t.Fatal(err)
			}
			tasks = append(tasks, task)
			// Longest idle first: nobody left out was idle longer than
			// anyone reserved (order_by targets sort otherwise).
			if task.target != nil && len(task.target.orderBy) == 0 {
				for _, r := range ws.reservations.list[mark:] {
					for _, x := range ws.workers.list {
						if bruteEligible(e, ws, task, x) && (keys[x] < keys[r.worker] ||
							keys[x] == keys[r.worker] && x.seq < r.worker.seq) {
							t.Fatalf("step %d: task %s reserved %s (idle key %d) before %s (idle key %d)",
								step, task.SID, r.WorkerName, keys[r.worker], x.FriendlyName, keys[x])
						}
					}
				}
			}
		case 4, 5:
			if r := pendingRes(); r != nil {
				f.setStatus(r, StatusAccepted)
			}
		case 6:
			if r := pendingRes(); r != nil {
				p := UpdateReservationParams{ReservationStatus: StatusRejected}
				if rng.IntN(2) == 0 {
					p.WorkerActivitySID = acts[rng.IntN(len(acts))].SID
				}
				must(e.UpdateReservation(ws.SID, r.SID, p))(t)
			}
		case 7, 8:
			task := pickTask(TaskAssigned, TaskWrapping)
			if task == nil {
				break
			}
			// The task a full scan says the freed worker should get: apply
			// the release to the counters alone, scan, restore.
			r := task.accepted
			r.wc.AssignedTasks--
			r.worker.active--
			want := bruteBest(e, ws, r.worker)
			r.wc.AssignedTasks++
			r.worker.active++
			mark := len(ws.reservations.list)
			must(e.UpdateTask(ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: ptr(TaskCompleted), Reason: &reason}))(t)
			if want != nil {
				served := false
				for _, nr := range ws.reservations.list[mark:] {
					served = served || nr.task == want
				}
				if !served {
					t.Fatalf("step %d: freed worker %s: task %s (queue %s prio %d) should have been reserved next",
						step, r.worker.FriendlyName, want.SID, want.TaskQueueFriendlyName, want.Priority)
				}
			}
		case 9:
			if task := pickTask(TaskAssigned); task != nil {
				must(e.UpdateTask(ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: ptr(TaskWrapping)}))(t)
			}
		case 10:
			w := pick()
			must(e.UpdateWorker(ws.SID, w.SID, UpdateWorkerParams{ActivitySID: &acts[rng.IntN(len(acts))].SID}))(t)
		case 11:
			w := pick()
			attrs := fmt.Sprintf(`{"skills":[%q],"level":%d}`, skills[rng.IntN(len(skills))], rng.IntN(6))
			must(e.UpdateWorker(ws.SID, w.SID, UpdateWorkerParams{Attributes: &attrs}))(t)
		case 12:
			w := pick()
			capacity, avail := rng.IntN(3), rng.IntN(4) > 0
			must(e.UpdateWorkerChannel(ws.SID, w.SID, channels[rng.IntN(len(channels))],
				UpdateWorkerChannelParams{Capacity: &capacity, Available: &avail}))(t)
		case 13:
			f.advance(time.Duration(1+rng.IntN(30)) * time.Second)
		case 14:
			if task := pickTask(TaskPending, TaskReserved); task != nil {
				switch rng.IntN(3) {
				case 0:
					must(e.UpdateTask(ws.SID, task.SID, UpdateTaskParams{Priority: ptr(rng.IntN(4))}))(t)
				case 1:
					attrs := fmt.Sprintf(`{"type":"support","level":%d}`, rng.IntN(6))
					must(e.UpdateTask(ws.SID, task.SID, UpdateTaskParams{Attributes: &attrs}))(t)
				case 2:
					must(e.UpdateTask(ws.SID, task.SID, UpdateTaskParams{AssignmentStatus: ptr(TaskCanceled), Reason: &reason}))(t)
				}
			}
		case 15:
			q := qs[rng.IntN(len(qs))]
			switch rng.IntN(3) {
			case 0:
				tw := []string{"skills HAS 'support'", "level >= 2", "1==1", "", "friendly_name IN ['w101','W2','w3']"}[rng.IntN(5)]
				must(e.UpdateTaskQueue(ws.SID, q.SID, UpdateTaskQueueParams{TargetWorkers: &tw}))(t)
			case 1:
				must(e.UpdateTaskQueue(ws.SID, q.SID, UpdateTaskQueueParams{MaxReservedWorkers: ptr(1 + rng.IntN(3))}))(t)
			case 2:
				must(e.UpdateTaskQueue(ws.SID, q.SID, UpdateTaskQueueParams{TaskOrder: ptr([]string{"FIFO", "LIFO"}[rng.IntN(2)])}))(t)
			}
		case 16:
			if len(live()) < 14 {
				newWorker()
			} else if w := pick(); w.active == 0 {
				must(0, e.DeleteWorker(ws.SID, w.SID))(t)
			}
		case 17:
			if task := pickTask(TaskPending, TaskReserved, TaskAssigned, TaskCompleted, TaskCanceled); task != nil {
				must(0, e.DeleteTask(ws.SID, task.SID))(t)
			}
		case 18:
			w := pick()
			name := fmt.Sprintf("W%d", rng.IntN(6))
			if o := ws.workerByName(name); o == nil || o == w {
				must(e.UpdateWorker(ws.SID, w.SID, UpdateWorkerParams{FriendlyName: &name}))(t)
			}
		case 19:
			switch rng.IntN(3) {
			case 0:
				b := rng.IntN(2) == 0
				must(e.UpdateTaskChannel(ws.SID, channels[rng.IntN(len(channels))], UpdateTaskChannelParams{ChannelOptimizedRouting: &b}))(t)
			case 1:
				b := rng.IntN(2) == 0
				must(e.UpdateWorkspace(ws.SID, UpdateWorkspaceParams{MultiTaskEnabled: &b}))(t)
			case 2:
				must(e.UpdateActivity(ws.SID, busy.SID, ptr([]string{"Busy", "Lunch"}[rng.IntN(2)])))(t)
			}
		}
		checkIndexes(t, e, ws)
		if t.Failed() {
			t.Fatalf("after step %d (op %d)", step, op)
		}
		checkQuiescentAt(t, e, ws, step, op)
	}
}

func checkQuiescentAt(t *testing.T, e *Engine, ws *Workspace, step, op int) {
	t.Helper()
	for _, task := range ws.tasks.list {
		if !task.queued || task.pendingRes >= task.queue.MaxReservedWorkers {
			continue
		}
		for _, w := range ws.workers.list {
			if bruteEligible(e, ws, task, w) && !declined(task, w) {
				var rs []string
				for _, r := range task.resList {
					rs = append(rs, r.WorkerName+":"+r.ReservationStatus)
				}
				var wr []string
				for _, r := range w.reservations {
					wr = append(wr, r.TaskSID[:6]+":"+r.ReservationStatus)
				}
				t.Fatalf("step %d op %d: task %s (queue %s, %s, pendingRes %d, res %v) waits while worker %s is eligible and ready (res %v, skipWorker %v)",
					step, op, task.SID, task.TaskQueueFriendlyName, task.AssignmentStatus, task.pendingRes, rs, w.FriendlyName, wr, task.skipWorker)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
