package taskrouter

import (
	"reflect"
	"testing"
	"time"
)

// statsScenario is a scripted day at the office (times from the start):
//
//	 0s  T1 (sales, prio 5) -> R1 alice
//	10s  R1 accepted; T2 (sales, chat) -> R2 alice (chat capacity)
//	40s  R2 rejected; 41s nobody else took it: R2b alice again (left pending)
//	99s  T2 canceled (R2b canceled)
//	100s T3 (support) -> R3 bob
//	160s R3 times out -> bob Offline, T3 waits in Support
//	200s T1 completed; T4 (sales, prio 3) -> R4 alice (left pending)
type statsScenario struct {
	*fixture
	start               time.Time
	sales, support      *TaskQueue
	wf                  *Workflow
	alice, bob, carol   *Worker
	t1, t2, t3, t4      *Task
	r1, r2, r2b, r3, r4 *Reservation
}

func newStatsScenario(t *testing.T) *statsScenario {
	s := &statsScenario{fixture: newFixture(t)}
	f := s.fixture
	s.start = f.e.Now()
	s.sales = f.queue("Sales", "skill == 'sales'")
	s.support = f.queue("Support", "skill == 'support'")
	s.wf = f.workflow(`{"task_routing":{"filters":[{"filter_friendly_name":"sales","expression":"type == 'sales'",`+
		`"targets":[{"queue":"`+s.sales.SID+`"}]}],"default_filter":{"queue":"`+s.support.SID+`"}}}`, 60)
	s.alice = f.worker("alice", `{"skill":"sales"}`, true)
	s.bob = f.worker("bob", `{"skill":"support"}`, true)
	s.carol = f.worker("carol", `{"skill":"sales"}`, false)

	s.t1 = f.taskP(`{"type":"sales"}`, 5)
	s.r1 = f.pendingRes(s.t1)
	f.advance(10 * time.Second)
	f.setStatus(s.r1, StatusAccepted)
	s.t2 = must(f.e.CreateTask(f.ws.SID, CreateTaskParams{Attributes: `{"type":"sales"}`, TaskChannel: "chat"}))(t)
	s.r2 = f.pendingRes(s.t2)
	f.advance(30 * time.Second)
	f.setStatus(s.r2, StatusRejected)
	// Nobody else takes sales chats, so after a second T2 comes back to
	// alice; she lets that offer sit until the customer hangs up.
	f.advance(RetryDeclinedAfter)
	s.r2b = f.pendingRes(s.t2)
	f.advance(59*time.Second - RetryDeclinedAfter)
	reason := "customer hung up"
	canceled := TaskCanceled
	must(f.e.UpdateTask(f.ws.SID, s.t2.SID, UpdateTaskParams{AssignmentStatus: &canceled, Reason: &reason}))(t)
	f.advance(time.Second)
	s.t3 = f.task(`{"type":"support"}`)
	s.r3 = f.pendingRes(s.t3)
	f.advance(60 * time.Second)
	if s.r3.ReservationStatus != StatusTimeout {
		t.Fatalf("R3 is %s", s.r3.ReservationStatus)
	}
	f.advance(40 * time.Second)
	f.setStatus(s.r1, StatusCompleted)
	s.t4 = f.taskP(`{"type":"sales"}`, 3)
	s.r4 = f.pendingRes(s.t4)
	if s.r4.WorkerSID != s.alice.SID || s.r2.WorkerSID != s.alice.SID || s.r2b.WorkerSID != s.alice.SID ||
		s.r2b.ReservationStatus != StatusCanceled || s.r3.WorkerSID != s.bob.SID {
		t.Fatal("scenario routed differently than scripted")
	}
	return s
}

func TestCumulativeStatisticsScenario(t *testing.T) {
	s := newStatsScenario(t)
	f := s.fixture
	hour := 60
	win := StatisticsParams{Minutes: &hour, SplitByWaitTime: "30,5"}
	ws := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, win))(t)
	sales := must(f.e.TaskQueueCumulativeStatistics(f.ws.SID, s.sales.SID, win))(t)
	support := must(f.e.TaskQueueCumulativeStatistics(f.ws.SID, s.support.SID, win))(t)
	wf := must(f.e.WorkflowCumulativeStatistics(f.ws.SID, s.wf.SID, win))(t)
	chat := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{Minutes: &hour, TaskChannel: "chat"}))(t)

	type counts struct {
		entered, canceled, completed, deleted, moved, timedOut                  int
		resCreated, resAccepted, resRejected, resTimedOut, resCanceled, resResc int
		avgAccept                                                               int
	}
	of := func(c *CumulativeStatistics) counts {
		return counts{c.TasksEntered, c.TasksCanceled, c.TasksCompleted, c.TasksDeleted, c.TasksMoved, c.TasksTimedOutInWorkflow,
			c.ReservationsCreated, c.ReservationsAccepted, c.ReservationsRejected, c.ReservationsTimedOut,
			c.ReservationsCanceled, c.ReservationsRescinded, c.AvgTaskAcceptanceTime}
	}
	queueEntries := func(q *TaskQueue) int {
		return len(f.eventsOf(EventFilter{EventType: "task-queue.entered", TaskQueueSID: q.SID}))
	}
	tests := []struct {
		name string
		got  *CumulativeStatistics
		want counts
	}{
		{"workspace", ws, counts{4, 1, 1, 0, 0, 0, 5, 1, 1, 1, 1, 0, 10}},
		{"workflow", wf, counts{4, 1, 1, 0, 0, 0, 5, 1, 1, 1, 1, 0, 10}},
		{"queue Sales", sales, counts{queueEntries(s.sales), 1, 1, 0, 0, 0, 4, 1, 1, 0, 1, 0, 10}},
		{"queue Support", support, counts{queueEntries(s.support), 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0}},
		{"workspace, chat channel", chat, counts{1, 1, 0, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := of(tc.got); got != tc.want {
				t.Fatalf("counts\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("consistent with the Events log", func(t *testing.T) {
		for typ, n := range map[string]int{"task.created": ws.TasksEntered, "reservation.created": ws.ReservationsCreated,
			"reservation.accepted": ws.ReservationsAccepted, "reservation.rejected": ws.ReservationsRejected,
			"reservation.timeout": ws.ReservationsTimedOut, "task.canceled": ws.TasksCanceled, "task.completed": ws.TasksCompleted} {
			if got := len(f.eventsOf(EventFilter{EventType: typ})); got != n {
				t.Errorf("%s: %d events, statistics say %d", typ, got, n)
			}
		}
	})
	t.Run("durations", func(t *testing.T) {
		want := DurationStats{Avg: 10, Min: 10, Max: 10, Total: 10}
		if ws.WaitDurationUntilAccepted != want || sales.WaitDurationInQueueUntilAccepted != want {
			t.Fatalf("accepted waits %+v / in queue %+v", ws.WaitDurationUntilAccepted, sales.WaitDurationInQueueUntilAccepted)
		}
		if want := (DurationStats{Avg: 89, Min: 89, Max: 89, Total: 89}); ws.WaitDurationUntilCanceled != want {
			t.Fatalf("canceled waits %+v", ws.WaitDurationUntilCanceled)
		}
	})
	t.Run("split by wait time", func(t *testing.T) {
		want := []WaitTimeSplit{
			{Threshold: 30, Below: WaitTimeCounts{ReservationsAccepted: 1}, Above: WaitTimeCounts{TasksCanceled: 1}},
			{Threshold: 5, Above: WaitTimeCounts{ReservationsAccepted: 1, TasksCanceled: 1}},
		}
		if !reflect.DeepEqual(ws.SplitByWaitTime, want) {
			t.Fatalf("split %+v", ws.SplitByWaitTime)
		}
		if sales.SplitByWaitTime == nil || chat.SplitByWaitTime != nil {
			t.Fatal("split_by_wait_time only when asked")
		}
	})
	t.Run("windows", func(t *testing.T) {
		from := s.start.Add(2 * time.Minute)
		late := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{StartDate: &from}))(t)
		if got := of(late); got != (counts{1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0}) || !late.StartTime.Equal(from) {
			t.Fatalf("since +2m: %+v from %s", got, late.StartTime)
		}
		until := s.start.Add(30 * time.Second)
		early := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{StartDate: &s.start, EndDate: &until}))(t)
		// One-minute buckets: R2b (40s) falls in the first minute too.
		if early.TasksEntered != 2 || early.ReservationsCreated != 3 || !early.EndTime.Equal(until) {
			t.Fatalf("first minute: %+v", of(early))
		}
		f.advance(20 * time.Minute)
		def := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{}))(t)
		if got := of(def); got != (counts{}) || !def.EndTime.Equal(f.e.Now()) || def.EndTime.Sub(def.StartTime) != 15*time.Minute {
			t.Fatalf("default 15-minute window after 20 quiet minutes: %+v %s..%s", got, def.StartTime, def.EndTime)
		}
		again := must(f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{Minutes: &hour}))(t)
		want := of(ws)
		want.resTimedOut++ // R4 timed out at 260s while the clock moved on
		if got := of(again); got != want {
			t.Fatalf("an hour's window: %+v, want %+v", got, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		zero, bad := 0, "5,abc"
		_, err := f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{Minutes: &zero})
		wantTwilioErr(t, err, 400, 20001, "Minutes")
		_, err = f.e.WorkspaceCumulativeStatistics(f.ws.SID, StatisticsParams{SplitByWaitTime: bad})
		wantTwilioErr(t, err, 400, 20001, "SplitByWaitTime")
		_, err = f.e.TaskQueueCumulativeStatistics(f.ws.SID, s.sales.SID, StatisticsParams{TaskChannel: "fax"})
		wantTwilioErr(t, err, 400, 20001, "TaskChannel")
		_, err = f.e.WorkflowRealTimeStatistics(f.ws.SID, "WW00000000000000000000000000000000", "")
		wantTwilioErr(t, err, 404, 20404)
	})
}

func TestWorkerStatisticsScenario(t *testing.T) {
	s := newStatsScenario(t)
	f := s.fixture
	hour := 60
	win := StatisticsParams{Minutes: &hour}
	durations := func(c *CumulativeStatistics) map[string]ActivityDuration {
		m := map[string]ActivityDuration{}
		for _, d := range c.ActivityDurations {
			m[d.FriendlyName] = d
		}
		if len(m) != 3 {
			t.Fatalf("activity_durations %+v", c.ActivityDurations)
		}
		return m
	}
	all := must(f.e.WorkersCumulativeStatistics(f.ws.SID, WorkerSelection{}, win))(t)
	alice := must(f.e.WorkerCumulativeStatistics(f.ws.SID, s.alice.SID, win))(t)
	bob := must(f.e.WorkerCumulativeStatistics(f.ws.SID, s.bob.SID, win))(t)
	sales := must(f.e.WorkersCumulativeStatistics(f.ws.SID, WorkerSelection{TaskQueueSID: s.sales.SID}, win))(t)

	tests := []struct {
		name                                  string
		got                                   *CumulativeStatistics
		created, accepted, rejected, timedOut int
		durations                             map[string]ActivityDuration
	}{
		{"all workers", all, 5, 1, 1, 1, map[string]ActivityDuration{
			"Available":   {Avg: 180, Min: 160, Max: 200, Total: 360},
			"Offline":     {Avg: 120, Min: 40, Max: 200, Total: 240},
			"Unavailable": {}}},
		{"alice", alice, 4, 1, 1, 0, map[string]ActivityDuration{
			"Available": {Avg: 200, Min: 200, Max: 200, Total: 200}, "Offline": {}, "Unavailable": {}}},
		{"bob", bob, 1, 0, 0, 1, map[string]ActivityDuration{
			"Available": {Avg: 160, Min: 160, Max: 160, Total: 160}, "Offline": {Avg: 40, Min: 40, Max: 40, Total: 40},
			"Unavailable": {}}},
		{"workers of queue Sales", sales, 4, 1, 1, 0, map[string]ActivityDuration{
			"Available": {Avg: 200, Min: 200, Max: 200, Total: 200}, "Offline": {Avg: 200, Min: 200, Max: 200, Total: 200},
			"Unavailable": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.got
			if c.ReservationsCreated != tc.created || c.ReservationsAccepted != tc.accepted ||
				c.ReservationsRejected != tc.rejected || c.ReservationsTimedOut != tc.timedOut {
				t.Fatalf("reservations %d/%d/%d/%d", c.ReservationsCreated, c.ReservationsAccepted, c.ReservationsRejected, c.ReservationsTimedOut)
			}
			got := durations(c)
			for name, want := range tc.durations {
				want.SID, want.FriendlyName = got[name].SID, name
				if got[name] != want {
					t.Errorf("%s: %+v, want %+v", name, got[name], want)
				}
			}
		})
	}
}

func TestRealTimeStatisticsScenario(t *testing.T) {
	s := newStatsScenario(t)
	f := s.fixture
	ws := must(f.e.WorkspaceRealTimeStatistics(f.ws.SID, ""))(t)
	wf := must(f.e.WorkflowRealTimeStatistics(f.ws.SID, s.wf.SID, ""))(t)
	sales := must(f.e.TaskQueueRealTimeStatistics(f.ws.SID, s.sales.SID, ""))(t)
	support := must(f.e.TaskQueueRealTimeStatistics(f.ws.SID, s.support.SID, ""))(t)
	workers := must(f.e.WorkersRealTimeStatistics(f.ws.SID, WorkerSelection{}, ""))(t)
	chat := must(f.e.WorkspaceRealTimeStatistics(f.ws.SID, "chat"))(t)

	status := func(p, r, a, w int) map[string]int {
		return map[string]int{"pending": p, "reserved": r, "assigned": a, "wrapping": w}
	}
	acts := func(rt *RealTimeStatistics) map[string]int {
		m := map[string]int{}
		for _, a := range rt.ActivityStatistics {
			m[a.FriendlyName] = a.Workers
		}
		return m
	}
	tests := []struct {
		name                         string
		got                          *RealTimeStatistics
		byStatus                     map[string]int
		byPriority                   map[string]int
		total                        int
		longestSID                   string
		longestAge                   int
		activities                   map[string]int
		workers, eligible, available int
	}{
		{"workspace", ws, status(1, 1, 0, 0), map[string]int{"0": 1, "3": 1}, 2, s.t3.SID, 100,
			map[string]int{"Available": 1, "Offline": 2, "Unavailable": 0}, 3, 0, 1},
		{"workflow", wf, status(1, 1, 0, 0), map[string]int{"0": 1, "3": 1}, 2, s.t3.SID, 100, map[string]int{}, 0, 0, 0},
		{"queue Sales", sales, status(0, 1, 0, 0), map[string]int{"3": 1}, 1, s.t4.SID, 0,
			map[string]int{"Available": 1, "Offline": 1, "Unavailable": 0}, 0, 2, 1},
		{"queue Support", support, status(1, 0, 0, 0), map[string]int{"0": 1}, 1, s.t3.SID, 100,
			map[string]int{"Available": 0, "Offline": 1, "Unavailable": 0}, 0, 1, 0},
		{"workers", workers, nil, nil, 0, "", 0, map[string]int{"Available": 1, "Offline": 2, "Unavailable": 0}, 3, 0, 1},
		{"workspace, chat channel", chat, status(0, 0, 0, 0), map[string]int{}, 0, "", 0,
			map[string]int{"Available": 1, "Offline": 2, "Unavailable": 0}, 3, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := tc.got
			if tc.byStatus != nil && (!reflect.DeepEqual(rt.TasksByStatus, tc.byStatus) || !reflect.DeepEqual(rt.TasksByPriority, tc.byPriority)) {
				t.Fatalf("by status %v, by priority %v", rt.TasksByStatus, rt.TasksByPriority)
			}
			if rt.TotalTasks != tc.total || rt.LongestTaskWaitingSID != tc.longestSID || rt.LongestTaskWaitingAge != tc.longestAge {
				t.Fatalf("total %d, longest %s (%ds)", rt.TotalTasks, rt.LongestTaskWaitingSID, rt.LongestTaskWaitingAge)
			}
			if got := acts(rt); len(tc.activities) > 0 && !reflect.DeepEqual(got, tc.activities) {
				t.Fatalf("activities %v", got)
			}
			if rt.TotalWorkers != tc.workers || rt.TotalEligibleWorkers != tc.eligible || rt.TotalAvailableWorkers != tc.available {
				t.Fatalf("workers %d, eligible %d, available %d", rt.TotalWorkers, rt.TotalEligibleWorkers, rt.TotalAvailableWorkers)
			}
		})
	}
	t.Run("relative age in queue", func(t *testing.T) {
		// T3 re-entered Support at 160s (reservation timeout) but has been in it since 100s.
		if support.LongestRelativeTaskSIDInQueue != s.t3.SID || support.LongestRelativeTaskAgeInQueue != 100 {
			t.Fatalf("relative %s %d", support.LongestRelativeTaskSIDInQueue, support.LongestRelativeTaskAgeInQueue)
		}
	})
	t.Run("all queues in one call", func(t *testing.T) {
		list := must(f.e.TaskQueuesStatistics(f.ws.SID, "", StatisticsParams{}))(t)
		if len(list) != 2 || list[0].Queue != s.sales || !reflect.DeepEqual(list[0].RealTime, sales) ||
			!reflect.DeepEqual(list[1].RealTime, support) {
			t.Fatalf("list %+v", list)
		}
		named := must(f.e.TaskQueuesStatistics(f.ws.SID, "Support", StatisticsParams{}))(t)
		if len(named) != 1 || named[0].Queue != s.support {
			t.Fatalf("FriendlyName filter: %+v", named)
		}
	})
}

// TestStatisticsBucketRetention: counters older than the retention are dropped.
func TestStatisticsBucketRetention(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Q", "1==1")
	f.workflow(`{"task_routing":{"default_filter":{"queue":"`+q.SID+`"}}}`, 60)
	f.task(`{}`)
	f.advance(33 * 24 * time.Hour)
	f.task(`{}`)
	st := f.e.wsStats(f.ws)
	if len(st.buckets) != 1 {
		t.Fatalf("%d buckets kept, want 1", len(st.buckets))
	}
}
