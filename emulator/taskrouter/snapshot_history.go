package taskrouter

// Snapshots of a workspace's history: its stored Events and statistics
// counters (events.go, statistics.go). Events keep their EV sequence (so
// their SIDs), date and event_data; the memory sharing between records
// (interned key shapes, task values shared with the task) is rebuilt only
// for the shapes.

import (
	"fmt"
	"sort"
	"time"
)

type snapHistory struct {
	// Shapes are the event_data key sequences the Events use (a handful
	// cover every event), so each Event stores only its values.
	Shapes  [][]string       `json:"shapes,omitempty"`
	Events  []snapEvent      `json:"events,omitempty"`
	Buckets []snapBucket     `json:"buckets,omitempty"`
	Workers []snapWorkerHist `json:"workers,omitempty"`
}

type snapEvent struct {
	Seq         uint64    `json:"seq"`
	Date        time.Time `json:"date"`
	EventType   string    `json:"event_type"`
	Description string    `json:"description"`
	ResourceSID string    `json:"resource_sid,omitempty"`
	Shape       int       `json:"shape"`  // index in snapHistory.Shapes: the event_data keys
	Values      []string  `json:"values"` // event_data values, in the shape's key order
}

// snapBucket is one minute of statistics counters.
type snapBucket struct {
	Minute int64       `json:"minute"` // Unix minute
	Scopes []snapScope `json:"scopes"`
}

// snapScope is a scope's (workspace, workflow, queue or worker SID)
// counters per task channel, in the bucket's order.
type snapScope struct {
	Scope    string         `json:"scope"`
	Channels []snapCounters `json:"channels"`
}

type snapCounters struct {
	Channel        string  `json:"channel"`
	TasksEntered   int     `json:"tasks_entered,omitempty"`
	TasksCanceled  int     `json:"tasks_canceled,omitempty"`
	TasksCompleted int     `json:"tasks_completed,omitempty"`
	TasksDeleted   int     `json:"tasks_deleted,omitempty"`
	TasksMoved     int     `json:"tasks_moved,omitempty"`
	TasksTimedOut  int     `json:"tasks_timed_out,omitempty"`
	ResCreated     int     `json:"reservations_created,omitempty"`
	ResAccepted    int     `json:"reservations_accepted,omitempty"`
	ResRejected    int     `json:"reservations_rejected,omitempty"`
	ResTimedOut    int     `json:"reservations_timed_out,omitempty"`
	ResCanceled    int     `json:"reservations_canceled,omitempty"`
	ResRescinded   int     `json:"reservations_rescinded,omitempty"`
	WaitAccepted   []int64 `json:"wait_accepted,omitempty"` // n, total, min, max (ms)
	WaitCanceled   []int64 `json:"wait_canceled,omitempty"`
	WaitInQueue    []int64 `json:"wait_in_queue,omitempty"`
	AcceptedWaits  []int32 `json:"accepted_waits,omitempty"` // seconds, for SplitByWaitTime
	CanceledWaits  []int32 `json:"canceled_waits,omitempty"`
}

// snapWorkerHist is a worker's activity history (activity durations).
type snapWorkerHist struct {
	Worker   string      `json:"worker"`
	Activity string      `json:"activity,omitempty"` // current; "" once deleted
	Since    time.Time   `json:"since"`
	Stints   []snapStint `json:"stints,omitempty"`
	Deleted  bool        `json:"deleted,omitempty"`
}

type snapStint struct {
	Activity string    `json:"activity"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

func snapWSHistory(wh *wsHistory) *snapHistory {
	s := &snapHistory{}
	shapes := map[string]int{}
	for i := range wh.events {
		r := wh.at(i)
		keys := *r.keys
		n, ok := shapes[keys]
		if !ok {
			names := make([]string, len(keys))
			for j := range names {
				names[j] = eventKeys[keys[j]]
			}
			n = len(s.Shapes)
			s.Shapes = append(s.Shapes, names)
			shapes[keys] = n
		}
		ev := snapEvent{Seq: r.seq, Date: r.Date(), EventType: r.EventType, Description: r.Description,
			ResourceSID: r.ResourceSID, Shape: n, Values: make([]string, len(keys))}
		for j := range ev.Values {
			ev.Values[j] = r.value(j)
		}
		s.Events = append(s.Events, ev)
	}
	for _, b := range wh.stats.buckets {
		sb := snapBucket{Minute: b.minute, Scopes: make([]snapScope, 0, len(b.scopes))}
		for _, scope := range sortedKeys(b.scopes) {
			sc := snapScope{Scope: scope}
			for _, cc := range b.scopes[scope] {
				sc.Channels = append(sc.Channels, snapCountersOf(cc))
			}
			sb.Scopes = append(sb.Scopes, sc)
		}
		s.Buckets = append(s.Buckets, sb)
	}
	for _, sid := range sortedKeys(wh.stats.workers) {
		w := wh.stats.workers[sid]
		sw := snapWorkerHist{Worker: sid, Activity: w.activity, Since: w.since, Deleted: w.deleted}
		for _, st := range w.stints {
			sw.Stints = append(sw.Stints, snapStint{Activity: st.activity, From: st.from, To: st.to})
		}
		s.Workers = append(s.Workers, sw)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func snapCountersOf(cc *chanCounters) snapCounters {
	c := &cc.statCounters
	return snapCounters{Channel: cc.channel, TasksEntered: c.tasksEntered, TasksCanceled: c.tasksCanceled,
		TasksCompleted: c.tasksCompleted, TasksDeleted: c.tasksDeleted, TasksMoved: c.tasksMoved, TasksTimedOut: c.tasksTimedOut,
		ResCreated: c.resCreated, ResAccepted: c.resAccepted, ResRejected: c.resRejected, ResTimedOut: c.resTimedOut,
		ResCanceled: c.resCanceled, ResRescinded: c.resRescinded, WaitAccepted: snapDur(c.waitAccepted),
		WaitCanceled: snapDur(c.waitCanceled), WaitInQueue: snapDur(c.waitInQueue),
		AcceptedWaits: c.acceptedWaits, CanceledWaits: c.canceledWaits}
}

func snapDur(a durAgg) []int64 {
	if a.n == 0 {
		return nil
	}
	return []int64{a.n, a.total, a.min, a.max}
}

func restoreDur(v []int64) (durAgg, error) {
	switch len(v) {
	case 0:
		return durAgg{}, nil
	case 4:
		if v[0] <= 0 {
			return durAgg{}, fmt.Errorf("duration aggregate %v has no samples", v)
		}
		return durAgg{n: v[0], total: v[1], min: v[2], max: v[3]}, nil
	}
	return durAgg{}, fmt.Errorf("duration aggregate %v: want [n, total, min, max]", v)
}

// eventKeyByName is the inverse of eventKeys.
var eventKeyByName = func() map[string]eventKey {
	m := make(map[string]eventKey, numEventKeys)
	for k, name := range eventKeys {
		m[name] = eventKey(k)
	}
	return m
}()

// restoreHistory rebuilds a workspace's history into wh (whose hist is the
// engine's), keeping at most limit Events (the newest), interning event_data
// shapes in shapes.
func restoreHistory(wh *wsHistory, s *snapHistory, logSeq uint64, limit int, shapes map[string]*string) error {
	events := s.Events
	if len(events) > limit {
		events = events[len(events)-limit:]
	}
	var last uint64
	for i, ev := range s.Events {
		if ev.Seq == 0 || ev.Seq <= last || ev.Seq > logSeq {
			return fmt.Errorf("event %d: sequence %d out of order (previous %d, log at %d)", i, ev.Seq, last, logSeq)
		}
		last = ev.Seq
	}
	interned := make([]*string, len(s.Shapes))
	for i, names := range s.Shapes {
		keys := make([]byte, len(names))
		for j, name := range names {
			k, ok := eventKeyByName[name]
			if !ok {
				return fmt.Errorf("event shape %d: unknown event_data key %q", i, name)
			}
			keys[j] = byte(k)
		}
		shape, ok := shapes[string(keys)]
		if !ok {
			str := string(keys)
			shape = &str
			shapes[str] = shape
		}
		interned[i] = shape
	}
	for _, ev := range events {
		if ev.Shape < 0 || ev.Shape >= len(interned) || len(ev.Values) != len(*interned[ev.Shape]) {
			return fmt.Errorf("event %d: shape %d does not fit its %d values", ev.Seq, ev.Shape, len(ev.Values))
		}
		wh.events = append(wh.events, &EventRecord{EventType: ev.EventType, Description: ev.Description,
			ResourceSID: ev.ResourceSID, at: ev.Date.UnixNano(), seq: ev.Seq, wh: wh, keys: interned[ev.Shape], own: ev.Values})
	}
	for i, sb := range s.Buckets {
		if i > 0 && sb.Minute <= s.Buckets[i-1].Minute {
			return fmt.Errorf("statistics minute %d out of order", sb.Minute)
		}
		b := &statBucket{minute: sb.Minute, scopes: make(map[string][]*chanCounters, len(sb.Scopes))}
		for _, sc := range sb.Scopes {
			if _, dup := b.scopes[sc.Scope]; dup || sc.Scope == "" {
				return fmt.Errorf("statistics minute %d: scope %q repeated or empty", sb.Minute, sc.Scope)
			}
			list := make([]*chanCounters, 0, len(sc.Channels))
			for _, c := range sc.Channels {
				cc, err := restoreCounters(c)
				if err != nil {
					return fmt.Errorf("statistics minute %d scope %s: %w", sb.Minute, sc.Scope, err)
				}
				list = append(list, cc)
			}
			b.scopes[sc.Scope] = list
		}
		wh.stats.buckets = append(wh.stats.buckets, b)
	}
	for _, sw := range s.Workers {
		if wh.stats.workers == nil {
			wh.stats.workers = map[string]*workerHist{}
		}
		if _, dup := wh.stats.workers[sw.Worker]; dup || sw.Worker == "" {
			return fmt.Errorf("activity history of worker %q repeated or unnamed", sw.Worker)
		}
		w := &workerHist{activity: sw.Activity, since: sw.Since, deleted: sw.Deleted}
		for _, st := range sw.Stints {
			w.stints = append(w.stints, stint{activity: st.Activity, from: st.From, to: st.To})
		}
		wh.stats.workers[sw.Worker] = w
	}
	return nil
}

func restoreCounters(c snapCounters) (*chanCounters, error) {
	cc := &chanCounters{channel: c.Channel}
	x := &cc.statCounters
	x.tasksEntered, x.tasksCanceled, x.tasksCompleted = c.TasksEntered, c.TasksCanceled, c.TasksCompleted
	x.tasksDeleted, x.tasksMoved, x.tasksTimedOut = c.TasksDeleted, c.TasksMoved, c.TasksTimedOut
	x.resCreated, x.resAccepted, x.resRejected = c.ResCreated, c.ResAccepted, c.ResRejected
	x.resTimedOut, x.resCanceled, x.resRescinded = c.ResTimedOut, c.ResCanceled, c.ResRescinded
	x.acceptedWaits, x.canceledWaits = c.AcceptedWaits, c.CanceledWaits
	var err error
	if x.waitAccepted, err = restoreDur(c.WaitAccepted); err != nil {
		return nil, err
	}
	if x.waitCanceled, err = restoreDur(c.WaitCanceled); err != nil {
		return nil, err
	}
	if x.waitInQueue, err = restoreDur(c.WaitInQueue); err != nil {
		return nil, err
	}
	return cc, nil
}
