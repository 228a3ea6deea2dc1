package taskrouter

// Statistics, as Flex dashboards read them.
//
// Cumulative statistics are counters kept incrementally from the events the
// engine emits (never by rescanning tasks): one bucket per minute of account
// time holding, per scope (workspace, queue, workflow or worker SID) and task
// channel, the task and reservation counts and wait durations of that
// minute. A window (Minutes, StartDate, EndDate) sums the buckets it
// overlaps, so windows have one-minute resolution. Worker activity time is
// kept as per-worker activity stints.
//
// Real-time statistics describe the current state and are computed on
// request in one pass over the workspace's tasks and workers.

import (
	"github.com/flexemu/flexemu/emulator/eventtype"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// DefaultStatisticsMinutes is the default cumulative statistics window.
const DefaultStatisticsMinutes = 15

const (
	statsRetentionMinutes = 31 * 24 * 60 // cumulative counters older than this are dropped
	maxStintsPerWorker    = 1000         // activity stints kept per worker
)

// StatisticsParams select the window and channel of cumulative statistics.
type StatisticsParams struct {
	// Minutes looks back from now; when nil, StartDate or the default 15
	// minutes apply.
	Minutes   *int
	StartDate *time.Time
	EndDate   *time.Time // default now
	// TaskChannel (TC SID or unique name) restricts the counts to one channel.
	TaskChannel string
	// SplitByWaitTime is Twilio's comma-separated list of thresholds in seconds.
	SplitByWaitTime string
}

// DurationStats are avg/min/max/total of a duration, in whole seconds.
type DurationStats struct{ Avg, Min, Max, Total int }

// WaitTimeCounts are the counts on one side of a wait-time threshold.
type WaitTimeCounts struct{ TasksCanceled, ReservationsAccepted int }

// WaitTimeSplit counts canceled tasks and accepted reservations whose wait
// was below, or at/above, Threshold seconds.
type WaitTimeSplit struct {
	Threshold    int
	Above, Below WaitTimeCounts
}

// ActivityDuration is the time spent in one activity during a window.
type ActivityDuration struct {
	SID, FriendlyName    string
	Avg, Min, Max, Total int // seconds
}

// CumulativeStatistics are counts over a window. TasksEntered is "created"
// for a workspace, "entered the queue" for a queue and "entered the
// workflow" for a workflow.
type CumulativeStatistics struct {
	StartTime, EndTime time.Time

	TasksEntered, TasksCanceled, TasksCompleted, TasksDeleted, TasksMoved, TasksTimedOutInWorkflow int

	ReservationsCreated, ReservationsAccepted, ReservationsRejected   int
	ReservationsTimedOut, ReservationsCanceled, ReservationsRescinded int

	// AvgTaskAcceptanceTime is the mean seconds from task creation to acceptance.
	AvgTaskAcceptanceTime            int
	WaitDurationUntilAccepted        DurationStats
	WaitDurationUntilCanceled        DurationStats
	WaitDurationInQueueUntilAccepted DurationStats
	// SplitByWaitTime is nil unless thresholds were requested.
	SplitByWaitTime []WaitTimeSplit
	// ActivityDurations is set for worker statistics only.
	ActivityDurations []ActivityDuration
}

// ActivityCount is how many workers are in one activity.
type ActivityCount struct {
	SID, FriendlyName string
	Workers           int
}

// RealTimeStatistics describe the current state of a workspace, queue,
// workflow or set of workers; fields that do not apply stay zero.
type RealTimeStatistics struct {
	// TasksByStatus counts the live tasks: pending, reserved, assigned, wrapping.
	TasksByStatus map[string]int
	// TasksByPriority counts waiting (pending or reserved) tasks by priority.
	TasksByPriority map[string]int
	TotalTasks      int

	LongestTaskWaitingAge int
	LongestTaskWaitingSID string
	// LongestRelativeTaskAgeInQueue is measured from when the task entered its queue.
	LongestRelativeTaskAgeInQueue int
	LongestRelativeTaskSIDInQueue string

	ActivityStatistics    []ActivityCount
	TotalWorkers          int
	TotalEligibleWorkers  int
	TotalAvailableWorkers int
}

// ---- counters

type durAgg struct{ n, total, min, max int64 } // milliseconds

func (a *durAgg) add(ms int64) {
	if ms < 0 {
		ms = 0
	}
	if a.n == 0 || ms < a.min {
		a.min = ms
	}
	if ms > a.max {
		a.max = ms
	}
	a.n++
	a.total += ms
}

func (a *durAgg) merge(b durAgg) {
	if b.n == 0 {
		return
	}
	if a.n == 0 || b.min < a.min {
		a.min = b.min
	}
	if b.max > a.max {
		a.max = b.max
	}
	a.n += b.n
	a.total += b.total
}

func (a durAgg) stats() DurationStats {
	if a.n == 0 {
		return DurationStats{}
	}
	return DurationStats{Avg: int(math.Round(float64(a.total) / float64(a.n) / 1000)), Min: int(a.min / 1000),
		Max: int(a.max / 1000), Total: int(a.total / 1000)}
}

type statCounters struct {
	tasksEntered, tasksCanceled, tasksCompleted, tasksDeleted, tasksMoved, tasksTimedOut int
	resCreated, resAccepted, resRejected, resTimedOut, resCanceled, resRescinded         int
	waitAccepted, waitCanceled, waitInQueue                                              durAgg
	// wait samples in seconds for split_by_wait_time (workspace/queue/workflow scopes)
	acceptedWaits, canceledWaits []int32
}

func (c *statCounters) merge(o *statCounters, samples bool) {
	c.tasksEntered += o.tasksEntered
	c.tasksCanceled += o.tasksCanceled
	c.tasksCompleted += o.tasksCompleted
	c.tasksDeleted += o.tasksDeleted
	c.tasksMoved += o.tasksMoved
	c.tasksTimedOut += o.tasksTimedOut
	c.resCreated += o.resCreated
	c.resAccepted += o.resAccepted
	c.resRejected += o.resRejected
	c.resTimedOut += o.resTimedOut
	c.resCanceled += o.resCanceled
	c.resRescinded += o.resRescinded
	c.waitAccepted.merge(o.waitAccepted)
	c.waitCanceled.merge(o.waitCanceled)
	c.waitInQueue.merge(o.waitInQueue)
	if samples {
		c.acceptedWaits = append(c.acceptedWaits, o.acceptedWaits...)
		c.canceledWaits = append(c.canceledWaits, o.canceledWaits...)
	}
}

type chanCounters struct {
	channel string // TC SID
	statCounters
}

type statBucket struct {
	minute int64                      // Unix minute
	scopes map[string][]*chanCounters // scope SID -> per channel
}

func (b *statBucket) get(scope, channel string) *statCounters {
	for _, cc := range b.scopes[scope] {
		if cc.channel == channel {
			return &cc.statCounters
		}
	}
	cc := &chanCounters{channel: channel}
	b.scopes[scope] = append(b.scopes[scope], cc)
	return &cc.statCounters
}

type stint struct {
	activity string
	from, to time.Time
}

type workerHist struct {
	activity string
	since    time.Time
	stints   []stint // closed stints, oldest first
	deleted  bool
}

// wsStats is one workspace's statistics state.
type wsStats struct {
	buckets []*statBucket // ascending minute
	workers map[string]*workerHist
}

func unixMinute(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 59) / 60
	}
	return s / 60
}

// bucket returns the bucket of now's minute, creating it (and dropping
// buckets past retention) when needed.
func (s *wsStats) bucket(now time.Time) *statBucket {
	m := unixMinute(now)
	n := len(s.buckets)
	if n > 0 && s.buckets[n-1].minute == m {
		return s.buckets[n-1]
	}
	i := sort.Search(n, func(i int) bool { return s.buckets[i].minute >= m })
	if i < n && s.buckets[i].minute == m {
		return s.buckets[i]
	}
	b := &statBucket{minute: m, scopes: map[string][]*chanCounters{}}
	s.buckets = append(s.buckets, nil)
	copy(s.buckets[i+1:], s.buckets[i:])
	s.buckets[i] = b
	if newest := s.buckets[len(s.buckets)-1].minute; s.buckets[0].minute < newest-statsRetentionMinutes {
		j := sort.Search(len(s.buckets), func(j int) bool { return s.buckets[j].minute >= newest-statsRetentionMinutes })
		s.buckets = append(s.buckets[:0:0], s.buckets[j:]...)
	}
	return b
}

// activitySince reports when a worker entered its current activity.
func (s *wsStats) activitySince(workerSID string) (time.Time, bool) {
	wh := s.workers[workerSID]
	if wh == nil {
		return time.Time{}, false
	}
	return wh.since, true
}

// enterActivity closes the worker's current stint (if any) and opens one in activity.
func (s *wsStats) enterActivity(workerSID, activity string, now time.Time) {
	if s.workers == nil {
		s.workers = map[string]*workerHist{}
	}
	wh := s.workers[workerSID]
	if wh == nil {
		s.workers[workerSID] = &workerHist{activity: activity, since: now}
		return
	}
	wh.close(now)
	wh.activity, wh.since = activity, now
}

func (wh *workerHist) close(now time.Time) {
	if wh.activity == "" {
		return
	}
	wh.stints = append(wh.stints, stint{wh.activity, wh.since, now})
	if len(wh.stints) > maxStintsPerWorker {
		wh.stints = append(wh.stints[:0:0], wh.stints[len(wh.stints)-maxStintsPerWorker:]...)
	}
	wh.activity = ""
}

// observe updates the counters for one event.
func (s *wsStats) observe(ws *Workspace, ev Event, c *evCtx, refs map[string]string, now time.Time) {
	switch ev.Type {
	case eventtype.WorkerCreated, eventtype.WorkerActivityUpdate:
		if w := c.worker; w != nil {
			s.enterActivity(w.SID, w.ActivitySID, now)
		}
		return
	case eventtype.WorkerDeleted:
		if wh := s.workers[ev.WorkerSID]; wh != nil {
			wh.close(now)
			wh.deleted = true
		}
		return
	}
	t := c.task
	var chSID, wfSID, qSID string
	switch {
	case t != nil:
		chSID, wfSID, qSID = t.TaskChannelSID, t.WorkflowSID, t.TaskQueueSID
	case ev.TaskSID != "": // task.deleted
		wfSID, qSID = refs["workflow_sid"], refs["task_queue_sid"]
		if ch := ws.findChannel(refs["task_channel"]); ch != nil {
			chSID = ch.SID
		}
	default:
		return
	}
	apply := func(f func(*statCounters), scopes ...string) {
		b := s.bucket(now)
		for _, sc := range scopes {
			if sc != "" {
				f(b.get(sc, chSID))
			}
		}
	}
	switch ev.Type {
	case eventtype.TaskCreated:
		apply(func(x *statCounters) { x.tasksEntered++ }, ws.SID)
	case eventtype.WorkflowEntered:
		apply(func(x *statCounters) { x.tasksEntered++ }, wfSID)
	case eventtype.TaskQueueEntered:
		apply(func(x *statCounters) { x.tasksEntered++ }, qSID)
	case eventtype.TaskQueueMoved:
		apply(func(x *statCounters) { x.tasksMoved++ }, ws.SID, wfSID, refs["previous_task_queue_sid"])
	case eventtype.WorkflowTimeout:
		apply(func(x *statCounters) { x.tasksTimedOut++ }, ws.SID, wfSID)
	case eventtype.TaskCanceled:
		wait := now.Sub(t.DateCreated).Milliseconds()
		apply(func(x *statCounters) {
			x.tasksCanceled++
			x.waitCanceled.add(wait)
			x.canceledWaits = append(x.canceledWaits, int32(wait/1000))
		}, ws.SID, wfSID, qSID)
	case eventtype.TaskCompleted:
		apply(func(x *statCounters) { x.tasksCompleted++ }, ws.SID, wfSID, qSID)
	case eventtype.TaskDeleted:
		apply(func(x *statCounters) { x.tasksDeleted++ }, ws.SID, wfSID, qSID)
	case eventtype.ReservationCreated:
		apply(func(x *statCounters) { x.resCreated++ }, ws.SID, wfSID, qSID, ev.WorkerSID)
	case eventtype.ReservationAccepted:
		wait := now.Sub(t.DateCreated).Milliseconds()
		inQueue := now.Sub(t.TaskQueueEnteredDate).Milliseconds()
		apply(func(x *statCounters) {
			x.resAccepted++
			x.waitAccepted.add(wait)
			x.waitInQueue.add(inQueue)
			x.acceptedWaits = append(x.acceptedWaits, int32(wait/1000))
		}, ws.SID, wfSID, qSID)
		apply(func(x *statCounters) { x.resAccepted++ }, ev.WorkerSID)
	case eventtype.ReservationRejected:
		apply(func(x *statCounters) { x.resRejected++ }, ws.SID, wfSID, qSID, ev.WorkerSID)
	case eventtype.ReservationTimeout:
		apply(func(x *statCounters) { x.resTimedOut++ }, ws.SID, wfSID, qSID, ev.WorkerSID)
	case eventtype.ReservationCanceled:
		apply(func(x *statCounters) { x.resCanceled++ }, ws.SID, wfSID, qSID, ev.WorkerSID)
	case eventtype.ReservationRescinded:
		apply(func(x *statCounters) { x.resRescinded++ }, ws.SID, wfSID, qSID, ev.WorkerSID)
	}
}

// sum adds up scope's counters on channel ("" = all) over [from, to].
func (s *wsStats) sum(into *statCounters, scope, channel string, from, to time.Time, samples bool) {
	lo, hi := unixMinute(from), unixMinute(to)
	i := sort.Search(len(s.buckets), func(i int) bool { return s.buckets[i].minute >= lo })
	for ; i < len(s.buckets) && s.buckets[i].minute <= hi; i++ {
		for _, cc := range s.buckets[i].scopes[scope] {
			if channel == "" || cc.channel == channel {
				into.merge(&cc.statCounters, samples)
			}
		}
	}
}

// ---- queries

// statsQuery is a validated StatisticsParams.
type statsQuery struct {
	start, end time.Time
	channel    string // TC SID, "" = all
	splits     []int
}

func (e *Engine) statsQuery(ws *Workspace, p StatisticsParams) (statsQuery, error) {
	now := e.env.Now()
	q := statsQuery{end: now}
	if p.EndDate != nil {
		q.end = p.EndDate.UTC()
	}
	switch {
	case p.Minutes != nil:
		if *p.Minutes < 1 || *p.Minutes > maxLookbackMinutes {
			return q, twilio.InvalidParam("Minutes", "%d is out of range [1, %d]", *p.Minutes, maxLookbackMinutes)
		}
		q.start = now.Add(-time.Duration(*p.Minutes) * time.Minute)
	case p.StartDate != nil:
		q.start = p.StartDate.UTC()
	default:
		q.start = now.Add(-DefaultStatisticsMinutes * time.Minute)
	}
	if q.end.Before(q.start) {
		return q, twilio.InvalidParam("EndDate", "%s is before the start of the window %s", twilio.Time(q.end), twilio.Time(q.start))
	}
	ch, err := channelParam(ws, p.TaskChannel)
	if err != nil {
		return q, err
	}
	if ch != nil {
		q.channel = ch.SID
	}
	if strings.TrimSpace(p.SplitByWaitTime) != "" {
		for _, part := range strings.Split(p.SplitByWaitTime, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 0 {
				return q, twilio.InvalidParam("SplitByWaitTime", "%q is not a number of seconds", part)
			}
			q.splits = append(q.splits, n)
		}
	}
	return q, nil
}

// channelParam resolves a TaskChannel filter (nil when empty).
func channelParam(ws *Workspace, name string) (*TaskChannel, error) {
	if name == "" {
		return nil, nil
	}
	ch := ws.findChannel(name)
	if ch == nil {
		return nil, twilio.InvalidParam("TaskChannel", "%q is not a TaskChannel in workspace %s", name, ws.SID)
	}
	return ch, nil
}

func (e *Engine) wsStats(ws *Workspace) *wsStats {
	e.hist.init()
	wh := e.hist.ws[ws.SID]
	if wh == nil {
		wh = &wsHistory{}
		e.hist.ws[ws.SID] = wh
	}
	return &wh.stats
}

// cumulative sums scopes' counters for q.
func (e *Engine) cumulative(ws *Workspace, q statsQuery, scopes ...string) *CumulativeStatistics {
	s := e.wsStats(ws)
	var c statCounters
	for _, sc := range scopes {
		s.sum(&c, sc, q.channel, q.start, q.end, len(q.splits) > 0)
	}
	out := &CumulativeStatistics{StartTime: q.start, EndTime: q.end,
		TasksEntered: c.tasksEntered, TasksCanceled: c.tasksCanceled, TasksCompleted: c.tasksCompleted,
		TasksDeleted: c.tasksDeleted, TasksMoved: c.tasksMoved, TasksTimedOutInWorkflow: c.tasksTimedOut,
		ReservationsCreated: c.resCreated, ReservationsAccepted: c.resAccepted, ReservationsRejected: c.resRejected,
		ReservationsTimedOut: c.resTimedOut, ReservationsCanceled: c.resCanceled, ReservationsRescinded: c.resRescinded,
		WaitDurationUntilAccepted: c.waitAccepted.stats(), WaitDurationUntilCanceled: c.waitCanceled.stats(),
		WaitDurationInQueueUntilAccepted: c.waitInQueue.stats()}
	out.AvgTaskAcceptanceTime = out.WaitDurationUntilAccepted.Avg
	for _, th := range q.splits {
		sp := WaitTimeSplit{Threshold: th}
		for _, w := range c.acceptedWaits {
			if int(w) < th {
				sp.Below.ReservationsAccepted++
			} else {
				sp.Above.ReservationsAccepted++
			}
		}
		for _, w := range c.canceledWaits {
			if int(w) < th {
				sp.Below.TasksCanceled++
			} else {
				sp.Above.TasksCanceled++
			}
		}
		out.SplitByWaitTime = append(out.SplitByWaitTime, sp)
	}
	return out
}

// activityDurations measures time per activity in [q.start, q.end] for the
// given workers (nil: every worker the workspace ever had). perStint makes
// each stint one observation (one worker); otherwise each worker's total is.
func (e *Engine) activityDurations(ws *Workspace, q statsQuery, workers []string, perStint bool) []ActivityDuration {
	s := e.wsStats(ws)
	now := e.env.Now()
	end := q.end
	if end.After(now) {
		end = now
	}
	aggs := map[string]*durAgg{}
	agg := func(act string) *durAgg {
		a := aggs[act]
		if a == nil {
			a = &durAgg{}
			aggs[act] = a
		}
		return a
	}
	overlap := func(from, to time.Time) int64 {
		if from.Before(q.start) {
			from = q.start
		}
		if to.After(end) {
			to = end
		}
		if !to.After(from) {
			return 0
		}
		return to.Sub(from).Milliseconds()
	}
	measure := func(wh *workerHist) {
		totals := map[string]int64{}
		visit := func(act string, from, to time.Time) {
			if ms := overlap(from, to); ms > 0 {
				if perStint {
					agg(act).add(ms)
				} else {
					totals[act] += ms
				}
			}
		}
		for _, st := range wh.stints {
			visit(st.activity, st.from, st.to)
		}
		if wh.activity != "" {
			visit(wh.activity, wh.since, now)
		}
		for act, ms := range totals {
			agg(act).add(ms)
		}
	}
	if workers == nil {
		for _, wh := range s.workers {
			measure(wh)
		}
	} else {
		for _, sid := range workers {
			if wh := s.workers[sid]; wh != nil {
				measure(wh)
			}
		}
	}
	out := make([]ActivityDuration, 0, len(ws.activities.list))
	for _, a := range ws.activities.list {
		d := ActivityDuration{SID: a.SID, FriendlyName: a.FriendlyName}
		if g := aggs[a.SID]; g != nil {
			st := g.stats()
			d.Avg, d.Min, d.Max, d.Total = st.Avg, st.Min, st.Max, st.Total
		}
		out = append(out, d)
	}
	return out
}

// realtime fills the task side of rt from the tasks matching keep.
func realtimeTasks(rt *RealTimeStatistics, tasks []*Task, ch *TaskChannel, now time.Time, keep func(*Task) bool) {
	rt.TasksByStatus = map[string]int{TaskPending: 0, TaskReserved: 0, TaskAssigned: 0, TaskWrapping: 0}
	rt.TasksByPriority = map[string]int{}
	var oldest, oldestInQueue *Task
	for _, t := range tasks {
		if (ch != nil && t.TaskChannelSID != ch.SID) || (keep != nil && !keep(t)) {
			continue
		}
		if _, live := rt.TasksByStatus[t.AssignmentStatus]; !live {
			continue
		}
		rt.TasksByStatus[t.AssignmentStatus]++
		rt.TotalTasks++
		if !t.waiting() {
			continue
		}
		rt.TasksByPriority[strconv.Itoa(t.Priority)]++
		if oldest == nil || t.DateCreated.Before(oldest.DateCreated) {
			oldest = t
		}
		if oldestInQueue == nil || t.TaskQueueEnteredDate.Before(oldestInQueue.TaskQueueEnteredDate) {
			oldestInQueue = t
		}
	}
	if oldest != nil {
		rt.LongestTaskWaitingAge, rt.LongestTaskWaitingSID = oldest.Age(now), oldest.SID
	}
	if t := oldestInQueue; t != nil && !t.TaskQueueEnteredDate.IsZero() {
		if d := now.Sub(t.TaskQueueEnteredDate); d > 0 {
			rt.LongestRelativeTaskAgeInQueue = int(d / time.Second)
		}
		rt.LongestRelativeTaskSIDInQueue = t.SID
	}
}

// realtimeWorkers fills the worker side of rt from workers.
func realtimeWorkers(rt *RealTimeStatistics, ws *Workspace, workers []*Worker) {
	counts := make(map[*Activity]int, len(ws.activities.list))
	for _, w := range workers {
		counts[w.activity]++
		if w.Available {
			rt.TotalAvailableWorkers++
		}
	}
	rt.TotalWorkers = len(workers)
	rt.ActivityStatistics = make([]ActivityCount, 0, len(ws.activities.list))
	for _, a := range ws.activities.list {
		rt.ActivityStatistics = append(rt.ActivityStatistics, ActivityCount{SID: a.SID, FriendlyName: a.FriendlyName, Workers: counts[a]})
	}
}

// WorkspaceRealTimeStatistics describes a workspace now; taskChannel (TC
// SID or unique name, optional) restricts the task counts.
func (e *Engine) WorkspaceRealTimeStatistics(wsSID, taskChannel string) (*RealTimeStatistics, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	ch, err := channelParam(ws, taskChannel)
	if err != nil {
		return nil, err
	}
	rt := &RealTimeStatistics{}
	realtimeTasks(rt, ws.tasks.list, ch, e.env.Now(), nil)
	realtimeWorkers(rt, ws, ws.workers.list)
	rt.LongestRelativeTaskAgeInQueue, rt.LongestRelativeTaskSIDInQueue = 0, ""
	return rt, nil
}

// WorkspaceCumulativeStatistics counts what happened in a workspace during a window.
func (e *Engine) WorkspaceCumulativeStatistics(wsSID string, p StatisticsParams) (*CumulativeStatistics, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	q, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	return e.cumulative(ws, q, ws.SID), nil
}

// TaskQueueRealTimeStatistics describes a queue now: its live tasks and the
// workers its target_workers expression selects.
func (e *Engine) TaskQueueRealTimeStatistics(wsSID, queueSID, taskChannel string) (*RealTimeStatistics, error) {
	ws, q, err := e.taskQueue(wsSID, queueSID)
	if err != nil {
		return nil, err
	}
	ch, err := channelParam(ws, taskChannel)
	if err != nil {
		return nil, err
	}
	var tasks []*Task
	for _, t := range ws.tasks.list {
		if t.TaskQueueSID == q.SID {
			tasks = append(tasks, t)
		}
	}
	return e.queueRealtime(ws, q, tasks, ch)
}

// MaxBulkTaskQueues is how many queues one bulk real-time statistics request
// may name (Twilio: "support upto 50 in a request").
const MaxBulkTaskQueues = 50

// QueueRealTime is one queue's entry of the bulk real-time statistics.
type QueueRealTime struct {
	Queue    *TaskQueue
	RealTime *RealTimeStatistics
}

// TaskQueuesRealTimeStatistics is TaskQueueRealTimeStatistics for up to 50
// queues at once (POST TaskQueues/RealTimeStatistics), in the order asked,
// each queue once. A SID that names no queue of the workspace is left out
// (the answer's task_queue_response_count says how many were found).
func (e *Engine) TaskQueuesRealTimeStatistics(wsSID string, queueSIDs []string) ([]QueueRealTime, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if len(queueSIDs) == 0 {
		return nil, twilio.InvalidParam("QueueSids", "required: a list of 1 to %d TaskQueue SIDs", MaxBulkTaskQueues)
	}
	if len(queueSIDs) > MaxBulkTaskQueues {
		return nil, twilio.InvalidParam("QueueSids", "%d TaskQueue SIDs; at most %d per request", len(queueSIDs), MaxBulkTaskQueues)
	}
	var queues []*TaskQueue
	byQueue := map[string][]*Task{}
	for _, sid := range queueSIDs {
		if !twilio.IsSID(sid, "WQ") {
			return nil, twilio.InvalidParam("QueueSids", "%q is not a TaskQueue SID", sid)
		}
		if q := ws.queues.get(sid); q != nil {
			if _, dup := byQueue[q.SID]; !dup {
				byQueue[q.SID] = nil
				queues = append(queues, q)
			}
		}
	}
	for _, t := range ws.tasks.list {
		if ts, ok := byQueue[t.TaskQueueSID]; ok {
			byQueue[t.TaskQueueSID] = append(ts, t)
		}
	}
	out := make([]QueueRealTime, 0, len(queues))
	for _, q := range queues {
		rt, err := e.queueRealtime(ws, q, byQueue[q.SID], nil)
		if err != nil {
			return nil, err
		}
		out = append(out, QueueRealTime{Queue: q, RealTime: rt})
	}
	return out, nil
}

func (e *Engine) queueRealtime(ws *Workspace, q *TaskQueue, tasks []*Task, ch *TaskChannel) (*RealTimeStatistics, error) {
	rt := &RealTimeStatistics{}
	realtimeTasks(rt, tasks, ch, e.env.Now(), nil)
	members, err := e.Workers(ws.SID, WorkerFilter{TaskQueueSID: q.SID})
	if err != nil {
		return nil, err
	}
	realtimeWorkers(rt, ws, members)
	rt.TotalEligibleWorkers, rt.TotalWorkers = rt.TotalWorkers, 0
	return rt, nil
}

// TaskQueueCumulativeStatistics counts what happened in a queue during a window.
func (e *Engine) TaskQueueCumulativeStatistics(wsSID, queueSID string, p StatisticsParams) (*CumulativeStatistics, error) {
	ws, q, err := e.taskQueue(wsSID, queueSID)
	if err != nil {
		return nil, err
	}
	sq, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	return e.cumulative(ws, sq, q.SID), nil
}

// TaskQueueStatistics are one queue's real-time and cumulative statistics.
type TaskQueueStatistics struct {
	Queue      *TaskQueue
	RealTime   *RealTimeStatistics
	Cumulative *CumulativeStatistics
}

// TaskQueuesStatistics returns the statistics of every queue (or those
// named friendlyName), oldest queue first, in one pass over the tasks.
func (e *Engine) TaskQueuesStatistics(wsSID, friendlyName string, p StatisticsParams) ([]TaskQueueStatistics, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	sq, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	ch, _ := channelParam(ws, p.TaskChannel) // validated by statsQuery
	byQueue := map[string][]*Task{}
	for _, t := range ws.tasks.list {
		if t.TaskQueueSID != "" {
			byQueue[t.TaskQueueSID] = append(byQueue[t.TaskQueueSID], t)
		}
	}
	out := []TaskQueueStatistics{}
	for _, q := range ws.queues.list {
		if friendlyName != "" && q.FriendlyName != friendlyName {
			continue
		}
		rt, err := e.queueRealtime(ws, q, byQueue[q.SID], ch)
		if err != nil {
			return nil, err
		}
		out = append(out, TaskQueueStatistics{Queue: q, RealTime: rt, Cumulative: e.cumulative(ws, sq, q.SID)})
	}
	return out, nil
}

// WorkflowRealTimeStatistics describes the live tasks of a workflow.
func (e *Engine) WorkflowRealTimeStatistics(wsSID, workflowSID, taskChannel string) (*RealTimeStatistics, error) {
	ws, wf, err := e.workflow(wsSID, workflowSID)
	if err != nil {
		return nil, err
	}
	ch, err := channelParam(ws, taskChannel)
	if err != nil {
		return nil, err
	}
	rt := &RealTimeStatistics{}
	realtimeTasks(rt, ws.tasks.list, ch, e.env.Now(), func(t *Task) bool { return t.WorkflowSID == wf.SID })
	rt.LongestRelativeTaskAgeInQueue, rt.LongestRelativeTaskSIDInQueue = 0, ""
	return rt, nil
}

// WorkflowCumulativeStatistics counts what happened in a workflow during a window.
func (e *Engine) WorkflowCumulativeStatistics(wsSID, workflowSID string, p StatisticsParams) (*CumulativeStatistics, error) {
	ws, wf, err := e.workflow(wsSID, workflowSID)
	if err != nil {
		return nil, err
	}
	q, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	return e.cumulative(ws, q, wf.SID), nil
}

// WorkerSelection narrows workers statistics; zero fields do not filter.
type WorkerSelection struct {
	TaskQueueSID  string
	TaskQueueName string
	FriendlyName  string
}

func (s WorkerSelection) empty() bool { return s == WorkerSelection{} }

// WorkersRealTimeStatistics counts the selected workers by activity.
func (e *Engine) WorkersRealTimeStatistics(wsSID string, sel WorkerSelection, taskChannel string) (*RealTimeStatistics, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if _, err := channelParam(ws, taskChannel); err != nil {
		return nil, err
	}
	workers, err := e.Workers(ws.SID, WorkerFilter{TaskQueueSID: sel.TaskQueueSID, TaskQueueName: sel.TaskQueueName, FriendlyName: sel.FriendlyName})
	if err != nil {
		return nil, err
	}
	rt := &RealTimeStatistics{}
	realtimeWorkers(rt, ws, workers)
	return rt, nil
}

// WorkersCumulativeStatistics counts the selected workers' reservations and
// activity time during a window (every worker, deleted ones included, when
// sel is empty).
func (e *Engine) WorkersCumulativeStatistics(wsSID string, sel WorkerSelection, p StatisticsParams) (*CumulativeStatistics, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	q, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	q.splits = nil
	if sel.empty() {
		out := e.cumulative(ws, q, ws.SID)
		out.ActivityDurations = e.activityDurations(ws, q, nil, false)
		return out, nil
	}
	workers, err := e.Workers(ws.SID, WorkerFilter{TaskQueueSID: sel.TaskQueueSID, TaskQueueName: sel.TaskQueueName, FriendlyName: sel.FriendlyName})
	if err != nil {
		return nil, err
	}
	sids := make([]string, len(workers))
	for i, w := range workers {
		sids[i] = w.SID
	}
	out := e.cumulative(ws, q, sids...)
	out.ActivityDurations = e.activityDurations(ws, q, sids, false)
	return out, nil
}

// WorkerCumulativeStatistics counts one worker's reservations and activity
// time (per activity stint) during a window.
func (e *Engine) WorkerCumulativeStatistics(wsSID, workerSID string, p StatisticsParams) (*CumulativeStatistics, error) {
	ws, w, err := e.worker(wsSID, workerSID)
	if err != nil {
		return nil, err
	}
	q, err := e.statsQuery(ws, p)
	if err != nil {
		return nil, err
	}
	q.splits = nil
	out := e.cumulative(ws, q, w.SID)
	out.ActivityDurations = e.activityDurations(ws, q, []string{w.SID}, true)
	return out, nil
}
