package taskrouter

// Routing indexes. A workspace may hold 100,000 waiting tasks and 10,000
// workers; routing must never scan either population. Three structures make
// every routing decision a handful of ordered-set operations:
//
//   - Queue membership: each worker lists the queues whose target_workers it
//     matches (Worker.queues), and each queue counts its members per activity
//     (skip_if counters). Membership is recomputed only when a worker's
//     attributes, activity or name change, or a queue's expression changes.
//     A target_workers expression that reads the clock (taskrouter.currentTime
//     ...) cannot be cached: such a queue treats every worker as a potential
//     member and evaluates the expression live.
//   - Ready sets: per queue and task channel, the member workers that can take
//     one more reservation on that channel right now (available activity,
//     channel available, capacity left), ordered longest idle first. Creating
//     a task walks its queue's ready set from the head, so it costs nothing
//     when everyone is busy and stops at the first eligible worker otherwise.
//     Idle keys only grow, so an entry is re-keyed lazily: a reservation does
//     not touch the worker's other channels; a walk that meets an entry whose
//     key went stale moves it to its place and starts over. Entries hold a
//     slot number rather than a pointer, so shifting them costs no GC work.
//   - Lanes: per queue, the waiting tasks that can take another reservation,
//     split by (workflow target, task channel, known worker) and ordered in
//     the queue's serving order. Tasks in one lane are alike for any worker
//     except through task.* references in the target expression, so a worker
//     freeing capacity looks at the head of each lane of its queues.
//
// Every mutation of the inputs (reservation counts, capacity, activity,
// attributes, channels, queue settings) goes through syncReady,
// refreshMembership, syncOpen or enqueue/dequeue; checkIndexes (tests)
// rebuilds everything from scratch and compares.

import (
	"strings"

	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
)

// wsIndex is a workspace's lookup index: workers by case-folded name, and
// by slot (the pointer-free handle ready sets store).
type wsIndex struct {
	workerNames map[string]*Worker
	slots       []*Worker
	freeSlots   []uint32
	// directQueues are the queues that have held a task routed to a worker
	// (RoutingTarget=WK…), which the worker need not be a member of: a
	// worker gaining room looks at its direct lanes there too.
	directQueues []*TaskQueue
}

func nameKey(name string) string { return strings.ToLower(name) }

func (ws *Workspace) indexWorkerName(w *Worker) {
	if ws.idx.workerNames == nil {
		ws.idx.workerNames = map[string]*Worker{}
	}
	w.nameKey = nameKey(w.FriendlyName)
	ws.idx.workerNames[w.nameKey] = w
}

func (ws *Workspace) unindexWorkerName(w *Worker) {
	if ws.idx.workerNames[w.nameKey] == w {
		delete(ws.idx.workerNames, w.nameKey)
	}
}

// readyEntry is a worker in a ready set, keyed by its idle order at
// insertion (WorkerChannel.readyKey, never above the current idleKey).
type readyEntry struct {
	key, seq uint64
	slot     uint32 // Workspace.idx.slots index
}

func entryOf(w *Worker, wc *WorkerChannel) readyEntry {
	return readyEntry{key: wc.readyKey, seq: w.seq, slot: w.slot}
}

func readyLess(a, b readyEntry) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.seq < b.seq
}

// idleKey orders workers longest idle first: the last assignment on this
// channel for channel-optimized channels, on any channel otherwise.
func idleKey(w *Worker, wc *WorkerChannel) uint64 {
	if wc.channel.ChannelOptimizedRouting {
		return wc.lastAssigned
	}
	return w.lastAssigned
}

// readyOn reports whether w can take one more reservation on wc now:
// available activity and, multitasking, room on the channel; single-tasking,
// no reservation or assignment at all.
func readyOn(ws *Workspace, w *Worker, wc *WorkerChannel) bool {
	if !w.Available {
		return false
	}
	if ws.MultiTaskEnabled {
		return wc.hasRoom()
	}
	return w.active == 0 && wc.Available && wc.ConfiguredCapacity > 0
}

// laneKey identifies a lane: tasks at the same workflow target, on the same
// channel, and (for known-worker targets) naming the same worker.
type laneKey struct {
	target  *targetConfig
	channel *TaskChannel
	known   knownKey
}

// knownKey is the worker a known-worker task names: a SID, or a case-folded
// friendly name.
type knownKey struct {
	byName bool
	v      string
}

// lane holds a queue's waiting tasks of one laneKey that can take another
// reservation, in the queue's serving order.
type lane struct {
	key     laneKey
	open    olist[*Task]
	n       int  // tasks in the queue assigned to this lane, open or not
	taskDep bool // the target expression reads task.*: eligibility differs per task
}

// queueIndex is the routing state a TaskQueue keeps beside its settings.
type queueIndex struct {
	// timeDependent: target_workers reads the clock, so membership is live.
	timeDependent bool
	// waiting holds every pending/reserved task in the queue, serving order.
	waiting olist[*Task]
	lanes   []*lane // lanes without a known worker, in creation order
	byKey   map[laneKey]*lane
	known   map[knownKey][]*lane
	ready   map[*TaskChannel]*olist[readyEntry]
	// member counts for skip_if (unused when timeDependent)
	members    int
	available  int
	byActivity map[string]int
}

func (q *TaskQueue) initIndex() {
	q.idx.waiting = newOlist(q.before)
	q.idx.byKey = map[laneKey]*lane{}
	q.idx.ready = map[*TaskChannel]*olist[readyEntry]{}
	q.idx.byActivity = map[string]int{}
	q.setTargetExpr(q.targetExpr)
}

func (q *TaskQueue) setTargetExpr(x *expr.Expr) {
	q.targetExpr = x
	q.idx.timeDependent = x != nil && readsClock(x)
}

func (q *TaskQueue) readySet(c *TaskChannel) *olist[readyEntry] {
	s := q.idx.ready[c]
	if s == nil {
		l := newOlist(readyLess)
		s = &l
		q.idx.ready[c] = s
	}
	return s
}

// hasReady reports whether any worker is ready on any channel.
func (q *TaskQueue) hasReady() bool {
	for _, s := range q.idx.ready {
		if s.Len() > 0 {
			return true
		}
	}
	return false
}

// readsClock reports whether x reads taskrouter.currentTime and friends.
func readsClock(x *expr.Expr) bool {
	for _, r := range x.References() {
		if strings.HasPrefix(r, "taskrouter.") {
			return true
		}
	}
	return false
}

// readsTask reports whether x reads task attributes (task.*).
func readsTask(x *expr.Expr) bool {
	for _, r := range x.References() {
		if r == "task" || strings.HasPrefix(r, "task.") || strings.HasPrefix(r, "task[") {
			return true
		}
	}
	return false
}

// --- membership

// memberOf reports whether w belongs in q's index: matches target_workers,
// or might (clock-dependent expressions are checked live at routing time).
func (e *Engine) memberOf(q *TaskQueue, w *Worker) bool {
	if q.targetExpr == nil {
		return false
	}
	return q.idx.timeDependent || e.matchesWorker(q.targetExpr, w)
}

// inQueue is the routing-time membership test: the index, plus the live
// expression for clock-dependent queues.
func (e *Engine) inQueue(q *TaskQueue, w *Worker) bool {
	if !w.inQueue(q) {
		return false
	}
	return !q.idx.timeDependent || e.matchesWorker(q.targetExpr, w)
}

func (w *Worker) inQueue(q *TaskQueue) bool {
	for _, x := range w.queues {
		if x == q {
			return true
		}
	}
	return false
}

// refreshMembership re-evaluates every queue's target_workers for w.
func (e *Engine) refreshMembership(ws *Workspace, w *Worker) {
	for _, q := range ws.queues.list {
		e.syncMembership(q, w)
	}
}

// syncMembership adds w to or removes it from q as its expression now says.
func (e *Engine) syncMembership(q *TaskQueue, w *Worker) {
	want, has := e.memberOf(q, w), w.inQueue(q)
	switch {
	case want && !has:
		w.queues = append(w.queues, q)
		q.count(w, 1)
		for _, wc := range w.channels {
			if wc.inReady {
				q.readySet(wc.channel).insert(entryOf(w, wc))
			}
		}
	case !want && has:
		e.leaveQueue(q, w)
	}
}

// leaveQueue removes w from q's index.
func (e *Engine) leaveQueue(q *TaskQueue, w *Worker) {
	for i, x := range w.queues {
		if x == q {
			w.queues = append(w.queues[:i], w.queues[i+1:]...)
			break
		}
	}
	q.count(w, -1)
	for _, wc := range w.channels {
		if wc.inReady {
			q.readySet(wc.channel).remove(entryOf(w, wc))
		}
	}
}

// count adds d (±1) of w's current activity to q's member counters.
func (q *TaskQueue) count(w *Worker, d int) {
	q.idx.members += d
	if w.Available {
		q.idx.available += d
	}
	q.idx.byActivity[w.ActivitySID] += d
	if q.idx.byActivity[w.ActivitySID] == 0 {
		delete(q.idx.byActivity, w.ActivitySID)
	}
}

// changeActivity moves w to act keeping counters, membership (expressions
// may read activity_name) and ready sets in step.
func (e *Engine) changeActivity(ws *Workspace, w *Worker, act *Activity) {
	for _, q := range w.queues {
		q.count(w, -1)
	}
	w.setActivity(act)
	for _, q := range w.queues {
		q.count(w, 1)
	}
	e.refreshMembership(ws, w)
	e.syncReady(ws, w)
}

// indexWorker enters a new worker into every index.
func (e *Engine) indexWorker(ws *Workspace, w *Worker) {
	w.ws = ws
	if n := len(ws.idx.freeSlots); n > 0 {
		w.slot = ws.idx.freeSlots[n-1]
		ws.idx.freeSlots = ws.idx.freeSlots[:n-1]
		ws.idx.slots[w.slot] = w
	} else {
		w.slot = uint32(len(ws.idx.slots))
		ws.idx.slots = append(ws.idx.slots, w)
	}
	ws.indexWorkerName(w)
	e.refreshMembership(ws, w)
	e.syncReady(ws, w)
}

// unindexWorker removes a worker from every index.
func (e *Engine) unindexWorker(ws *Workspace, w *Worker) {
	for len(w.queues) > 0 {
		e.leaveQueue(w.queues[len(w.queues)-1], w)
	}
	for _, wc := range w.channels {
		wc.inReady = false
	}
	ws.unindexWorkerName(w)
	ws.idx.slots[w.slot] = nil
	ws.idx.freeSlots = append(ws.idx.freeSlots, w.slot)
}

// rebuildMembership re-evaluates q's expression for every worker (queue
// created or target_workers changed).
func (e *Engine) rebuildMembership(ws *Workspace, q *TaskQueue) {
	for _, w := range ws.workers.list {
		e.syncMembership(q, w)
	}
}

// dropQueue removes a deleted queue from every worker.
func (e *Engine) dropQueue(ws *Workspace, q *TaskQueue) {
	for _, w := range ws.workers.list {
		if w.inQueue(q) {
			e.leaveQueue(q, w)
		}
	}
}

// --- ready sets

// syncReady enters w's channels into, or removes them from, the ready sets
// of its queues as its capacity and activity now say. Call it after any
// change to those. It does not re-key entries whose idle key grew (see
// freshReady).
func (e *Engine) syncReady(ws *Workspace, w *Worker) {
	for _, wc := range w.channels {
		switch want := readyOn(ws, w, wc); {
		case wc.inReady && !want:
			for _, q := range w.queues {
				q.readySet(wc.channel).remove(entryOf(w, wc))
			}
			wc.inReady = false
		case want && !wc.inReady:
			wc.inReady, wc.readyKey = true, idleKey(w, wc)
			for _, q := range w.queues {
				q.readySet(wc.channel).insert(entryOf(w, wc))
			}
		}
	}
}

// rekey moves w's entries for wc to its current idle key in every queue.
func (e *Engine) rekey(w *Worker, wc *WorkerChannel) {
	for _, q := range w.queues {
		q.readySet(wc.channel).remove(entryOf(w, wc))
	}
	wc.readyKey = idleKey(w, wc)
	for _, q := range w.queues {
		q.readySet(wc.channel).insert(entryOf(w, wc))
	}
}

// freshReady walks the ready workers of set in idle order, calling keep on
// each until it returns false. A stale entry met on the way (its worker was
// reserved on another channel since) is re-keyed, which moves it further
// back, and the walk resumes after the last worker it visited; so the order
// is exact: a stale key is below the true one, hence never hides a worker
// that should come first.
func (e *Engine) freshReady(ws *Workspace, set *olist[readyEntry], ch *TaskChannel, keep func(w *Worker) bool) {
	ci, i := 0, 0
	var last readyEntry
	visited := false
	for ci < len(set.chunks) {
		c := set.chunks[ci]
		if i >= len(c) {
			ci, i = ci+1, 0
			continue
		}
		en := c[i]
		w := ws.idx.slots[en.slot]
		wc := w.channelFor(ch)
		if idleKey(w, wc) != en.key {
			e.rekey(w, wc)
			ci, i = 0, 0
			if visited {
				ci, i = set.after(last)
			}
			continue
		}
		if !keep(w) {
			return
		}
		last, visited = en, true
		i++
	}
}

// syncAllReady re-syncs every worker (workspace multitasking or a channel's
// routing mode changed), re-keying every entry: switching a channel to
// channel-optimized routing may lower keys, which lazy re-keying cannot see.
func (e *Engine) syncAllReady(ws *Workspace) {
	for _, w := range ws.workers.list {
		e.syncReady(ws, w)
		for _, wc := range w.channels {
			if wc.inReady && wc.readyKey != idleKey(w, wc) {
				e.rekey(w, wc)
			}
		}
	}
}

// offerAll offers waiting tasks to every worker (a workspace-wide rule changed).
func (e *Engine) offerAll(ws *Workspace) {
	for _, w := range ws.workers.all() {
		e.offerWorker(ws, w)
	}
}

// dropWorkerChannel takes a channel's entry out of the ready sets before the
// WorkerChannel is deleted.
func (e *Engine) dropWorkerChannel(w *Worker, wc *WorkerChannel) {
	if !wc.inReady {
		return
	}
	for _, q := range w.queues {
		q.readySet(wc.channel).remove(entryOf(w, wc))
	}
	wc.inReady = false
}

// --- lanes

// laneFor returns t's lane in q, creating it; nil when t's known-worker
// attribute names nobody (such a task waits until its step times out).
func (q *TaskQueue) laneFor(t *Task) *lane {
	key := laneKey{target: t.target, channel: t.channel}
	if tg := t.target; tg != nil && tg.knownWorker != nil {
		v, ok := t.knownName()
		if !ok {
			return nil
		}
		if tg.knownByName {
			v = nameKey(v)
		}
		key.known = knownKey{byName: tg.knownByName, v: v}
	}
	if ln := q.idx.byKey[key]; ln != nil {
		return ln
	}
	ln := &lane{key: key, open: newOlist(q.before)}
	if tg := t.target; tg != nil && tg.expr != nil {
		ln.taskDep = readsTask(tg.expr)
	}
	q.idx.byKey[key] = ln
	if key.target != nil && key.target.knownWorker != nil {
		if q.idx.known == nil {
			q.idx.known = map[knownKey][]*lane{}
		}
		q.idx.known[key.known] = append(q.idx.known[key.known], ln)
	} else {
		q.idx.lanes = append(q.idx.lanes, ln)
	}
	return ln
}

func (q *TaskQueue) dropLane(ln *lane) {
	delete(q.idx.byKey, ln.key)
	remove := func(s []*lane) []*lane {
		for i, x := range s {
			if x == ln {
				return append(s[:i], s[i+1:]...)
			}
		}
		return s
	}
	if ln.key.target != nil && ln.key.target.knownWorker != nil {
		if s := remove(q.idx.known[ln.key.known]); len(s) == 0 {
			delete(q.idx.known, ln.key.known)
		} else {
			q.idx.known[ln.key.known] = s
		}
		return
	}
	q.idx.lanes = remove(q.idx.lanes)
}

// syncOpen keeps t in its lane's open set exactly while it can take another
// reservation. Call it after t.pendingRes or the queue's limit changes.
func (q *TaskQueue) syncOpen(t *Task) {
	want := t.lane != nil && t.pendingRes < q.MaxReservedWorkers
	if want == t.inOpen {
		return
	}
	if want {
		t.lane.open.insert(t)
	} else {
		t.lane.open.remove(t)
	}
	t.inOpen = want
}
