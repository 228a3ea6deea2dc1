package taskrouter

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
)

// Scale benchmarks: one workspace with 10,000 workers and 100,000 waiting
// tasks, built through the engine's own methods. Routing must use the
// indexes (index.go) and never scan the task or worker population.
//
//	go test -run '^$' -bench 'Scale|10k|MemoryPerTask' -benchtime 2s ./emulator/taskrouter/

const (
	scaleWorkers = 10_000
	scaleTasks   = 100_000
)

// scaleSkills: every worker has "support" plus one of these.
var scaleSkills = []string{"sales", "billing", "vip", "spanish"}

type scaleWS struct {
	e     *Engine
	ws    *Workspace
	wf    *Workflow
	avail *Activity
	n     int // tasks created
}

// newScaleWS builds a Flex-like workspace: queues selecting workers by
// routing.skills, a workflow with filters, escalation timeouts and a
// default filter, and nWorkers available workers with two skills each
// (support and one more), so every worker always has work.
func newScaleWS(tb testing.TB, nWorkers int) *scaleWS {
	tb.Helper()
	en, _ := env.ForTest()
	e := New(en)
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "scale"}))(tb)
	s := &scaleWS{e: e, ws: ws, avail: must(e.ActivityByName(ws.SID, "Available"))(tb)}
	q := func(name, target string) string {
		return must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: name, TargetWorkers: target}))(tb).SID
	}
	sales, support, billing := q("Sales", "routing.skills HAS 'sales'"), q("Support", "routing.skills HAS 'support'"),
		q("Billing", "routing.skills HAS 'billing'")
	vip, spanish, everyone := q("VIP", "routing.skills HAS 'vip' AND routing.level >= 2"),
		q("Spanish", "routing.skills HAS 'spanish'"), q("Everyone", "1==1")
	s.wf = must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Inbound", Configuration: fmt.Sprintf(`{"task_routing":{"filters":[
		{"filter_friendly_name":"gold","expression":"customer.tier == 'gold'","targets":[{"queue":%q,"timeout":300,"priority":5},{"queue":%q}]},
		{"filter_friendly_name":"spanish","expression":"language == 'es'","targets":[{"queue":%q}]},
		{"filter_friendly_name":"sales","expression":"type == 'sales'","targets":[{"queue":%q,"timeout":600},{"queue":%q}]},
		{"filter_friendly_name":"support","expression":"type == 'support'","targets":[{"queue":%q}]},
		{"filter_friendly_name":"billing","expression":"type IN ['billing','refund']","targets":[{"queue":%q}]}],
		"default_filter":{"queue":%q}}}`, vip, support, spanish, sales, everyone, support, billing, everyone)}))(tb)
	for i := range nWorkers {
		a, b := "support", scaleSkills[i%len(scaleSkills)]
		must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: fmt.Sprintf("agent%05d", i), ActivitySID: s.avail.SID,
			Attributes: fmt.Sprintf(`{"routing":{"skills":[%q,%q],"level":%d},"email":"agent%05d@example.com","full_name":"Agent %d"}`,
				a, b, i%4, i, i)}))(tb)
	}
	return s
}

// taskTypes mixes the workflow's filters.
var taskTypes = []string{"support", "sales", "billing", "refund", "support", "other"}

// addTask creates one realistic inbound voice task.
func (s *scaleWS) addTask(tb testing.TB) *Task {
	i := s.n
	s.n++
	if s.n%1000 == 0 {
		// The account timeline is a bounded ring that copies itself when
		// full; keep it short so building 100k tasks measures the router.
		s.e.env.Timeline.Reset()
	}
	tier, lang := "silver", "en"
	if i%10 == 0 {
		tier = "gold"
	}
	if i%7 == 0 {
		lang = "es"
	}
	prio := i % 3
	t, err := s.e.CreateTask(s.ws.SID, CreateTaskParams{TaskChannel: "voice", Priority: &prio, Attributes: fmt.Sprintf(
		`{"type":%q,"language":%q,"customer":{"tier":%q,"id":"C%07d"},"from":"+1555%07d","call_sid":"CA%032d"}`,
		taskTypes[i%len(taskTypes)], lang, tier, i, i, i)})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// assignAll accepts every pending reservation, so every worker holds one
// assigned voice task, and returns each worker's accepted reservation.
func (s *scaleWS) assignAll(tb testing.TB) []*Reservation {
	var cur []*Reservation
	for _, r := range s.ws.reservations.all() {
		if r.ReservationStatus == StatusPending {
			must(s.e.UpdateReservation(s.ws.SID, r.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}))(tb)
			cur = append(cur, r)
		}
	}
	return cur
}

// BenchmarkRouteOnWorkerFree100kTasks10kWorkers measures the routing
// decision made when a worker frees capacity, with 100,000 tasks waiting
// and 10,000 busy workers:
//
//   - decision: which waiting task a worker with room gets (nextTaskFor: the
//     heads of its queues' lanes); the pure decision, no state change.
//   - cycle: a worker completes its task and the router reserves the next
//     one for it (release, decision, reservation with its events and timer),
//     plus the accept that keeps the workload steady.
func BenchmarkRouteOnWorkerFree100kTasks10kWorkers(b *testing.B) {
	start := time.Now()
	s := newScaleWS(b, scaleWorkers)
	for range scaleTasks {
		s.addTask(b)
	}
	cur := s.assignAll(b)
	if len(cur) != scaleWorkers {
		b.Fatalf("%d of %d workers busy after setup", len(cur), scaleWorkers)
	}
	b.Logf("setup: %d workers, %d tasks, %d waiting, in %v", scaleWorkers, s.n, waitingTasks(s.ws), time.Since(start).Round(time.Millisecond))
	e, ws := s.e, s.ws

	b.Run("decision", func(b *testing.B) {
		// A worker in every queue, offline so nothing is routed to it; the
		// benchmark flips its availability flag to ask the router.
		probe := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "probe",
			Attributes: `{"routing":{"skills":["support","sales","billing","vip","spanish"],"level":3}}`}))(b)
		probe.Available = true
		defer func() { probe.Available = false }()
		if got, want := e.nextTaskFor(ws, probe, nil), bruteBest(e, ws, probe); got == nil || got != want {
			b.Fatalf("decision %v, full scan says %v", got, want)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if e.nextTaskFor(ws, probe, nil) == nil {
				b.Fatal("no task")
			}
		}
	})

	b.Run("cycle", func(b *testing.B) {
		done, reason := TaskCompleted, "resolved"
		routed, k, trim := 0, 0, 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if waitingTasksFast(ws) < scaleTasks/2 { // keep the backlog at scale
				b.StopTimer()
				for range scaleTasks / 2 {
					s.addTask(b)
				}
				b.StartTimer()
			}
			k = (k + 1) % len(cur)
			r := cur[k]
			if _, err := e.UpdateTask(ws.SID, r.TaskSID, UpdateTaskParams{AssignmentStatus: &done, Reason: &reason}); err != nil {
				b.Fatal(err)
			}
			w := r.worker
			next := w.reservations[len(w.reservations)-1]
			if next.ReservationStatus != StatusPending {
				b.Fatalf("worker %s got no new reservation (%d waiting)", w.FriendlyName, waitingTasksFast(ws))
			}
			routed++
			if _, err := e.UpdateReservation(ws.SID, next.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}); err != nil {
				b.Fatal(err)
			}
			cur[k] = next
			trimTimeline(e, &trim)
		}
		b.ReportMetric(float64(routed)/float64(b.N), "routed/op")
	})
}

// BenchmarkCreateTaskWith10kWorkers measures creating (and routing) a task
// in a workspace of 10,000 workers: "busy" has every worker occupied and
// 100,000 tasks waiting, so the task only joins its queue's lane; "idle"
// has every worker free, so the task reserves the longest-idle eligible
// worker (one op also cancels the task, releasing the worker again).
func BenchmarkCreateTaskWith10kWorkers(b *testing.B) {
	b.Run("busy", func(b *testing.B) {
		s := newScaleWS(b, scaleWorkers)
		for range scaleTasks {
			s.addTask(b)
		}
		s.assignAll(b)
		trim := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if t := s.addTask(b); t.AssignmentStatus != TaskPending {
				b.Fatalf("task %s is %s, want pending", t.SID, t.AssignmentStatus)
			}
			trimTimeline(s.e, &trim)
		}
	})
	b.Run("idle", func(b *testing.B) {
		s := newScaleWS(b, scaleWorkers)
		canceled, reason := TaskCanceled, "bench"
		trim := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			t := s.addTask(b)
			if t.AssignmentStatus != TaskReserved {
				b.Fatalf("task %s is %s, want reserved", t.SID, t.AssignmentStatus)
			}
			if _, err := s.e.UpdateTask(s.ws.SID, t.SID, UpdateTaskParams{AssignmentStatus: &canceled, Reason: &reason}); err != nil {
				b.Fatal(err)
			}
			trimTimeline(s.e, &trim)
		}
	})
}

// BenchmarkMemoryPerTask reports the heap retained per waiting task
// (bytes/task) in the 10,000-worker workspace: 100,000 realistic tasks are
// added to a workspace whose workers are all busy, and the live heap growth
// is divided by their number. It counts the task, its attributes (text and
// decoded), timers, queue and lane entries, and whatever else the engine
// keeps per task. The account timeline is excluded (reset before each
// reading): it is a ring bounded at timeline.DefaultCapacity entries
// whatever the number of tasks; the Events ring is full at both readings.
// ns/op is then the cost of creating one more task in that workspace.
func BenchmarkMemoryPerTask(b *testing.B) {
	s := newScaleWS(b, scaleWorkers)
	for range scaleWorkers {
		s.addTask(b)
	}
	s.assignAll(b)
	s.e.env.Timeline.Reset()
	before := heapInUse()
	for range scaleTasks {
		s.addTask(b)
	}
	s.e.env.Timeline.Reset()
	after := heapInUse()
	if waiting := waitingTasksFast(s.ws); waiting < scaleTasks {
		b.Fatalf("only %d of %d tasks waiting", waiting, scaleTasks)
	}
	perTask := float64(after-before) / scaleTasks
	// The part of that which is the task's own attributes (JSON text plus
	// decoded map), for comparison: the same documents, parsed and kept.
	keep := make([]map[string]any, 0, scaleTasks)
	texts := make([]string, 0, scaleTasks)
	base := heapInUse()
	for i := range scaleTasks {
		text := strings.Clone(s.ws.tasks.list[i].Attributes)
		_, m, _ := parseAttributes(text)
		texts, keep = append(texts, text), append(keep, m)
	}
	attrs := float64(heapInUse()-base-int64(cap(keep)*8+cap(texts)*16)) / scaleTasks
	runtime.KeepAlive(keep)
	runtime.KeepAlive(texts)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.addTask(b)
	}
	b.ReportMetric(perTask, "bytes/task")
	b.ReportMetric(attrs, "attr-bytes/task")
	runtime.KeepAlive(s)
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// waitingTasks counts pending/reserved tasks by scanning (setup and checks only).
func waitingTasks(ws *Workspace) int {
	n := 0
	for _, t := range ws.tasks.list {
		if t.waiting() {
			n++
		}
	}
	return n
}

// waitingTasksFast sums the queues' waiting sets.
func waitingTasksFast(ws *Workspace) int {
	n := 0
	for _, q := range ws.queues.list {
		n += q.WaitingCount()
	}
	return n
}

// TestScaleIndexesConsistent builds a scaled-down version of the benchmark
// workload and checks the indexes and the no-idle-eligible-worker invariant,
// so the benchmark measures a correct router.
func TestScaleIndexesConsistent(t *testing.T) {
	s := newScaleWS(t, 100)
	for range 800 {
		s.addTask(t)
	}
	cur := s.assignAll(t)
	done, reason := TaskCompleted, "resolved"
	for i := range 150 {
		r := cur[i%len(cur)]
		if r == nil {
			continue
		}
		want := func() *Task {
			r.wc.AssignedTasks--
			r.worker.active--
			defer func() { r.wc.AssignedTasks++; r.worker.active++ }()
			return bruteBest(s.e, s.ws, r.worker)
		}()
		must(s.e.UpdateTask(s.ws.SID, r.TaskSID, UpdateTaskParams{AssignmentStatus: &done, Reason: &reason}))(t)
		w := r.worker
		next := w.reservations[len(w.reservations)-1]
		if want == nil {
			if next.ReservationStatus == StatusPending {
				t.Fatalf("freed worker %s got task %s, full scan says none", w.FriendlyName, next.TaskSID)
			}
			cur[i%len(cur)] = nil
			continue
		}
		if next.task != want {
			t.Fatalf("freed worker %s got task %s, full scan says %s", w.FriendlyName, next.TaskSID, want.SID)
		}
		must(s.e.UpdateReservation(s.ws.SID, next.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}))(t)
		cur[i%len(cur)] = next
	}
	checkIndexes(t, s.e, s.ws)
	checkQuiescent(t, s.e, s.ws)
}
