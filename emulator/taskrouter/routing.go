package taskrouter

// The router. Tasks walk their workflow's filters top-down (first match wins;
// no match -> default_filter; nothing -> canceled with ReasonNoMatch) and,
// within a filter, its targets in order. Entering a target places the task in
// the target's queue and immediately tries to reserve workers for it.
// A target's timeout is cumulative from when the task entered the filter; on
// expiry the task moves to the next target, then to the next matching
// filter, then is canceled (ReasonWorkflowTimeout). Re-evaluation (reject,
// reservation timeout, new attributes) restarts at the top of the filters but
// keeps those filter entry times, so elapsed steps stay elapsed.
//
// Whenever a worker may have gained room (activity, capacity, attributes,
// ended reservation, new worker) offerWorker hands it the best waiting task
// of the queues it belongs to: FIFO queues serve priority desc then oldest,
// LIFO newest first; the workspace's prioritize_queue_order decides between
// FIFO and LIFO queues. Each task reserves the eligible workers idle longest
// (order_by clauses first), up to the queue's max_reserved_workers. Both
// directions go through the indexes of index.go (queue membership, ready
// workers per queue and channel, task lanes), so no decision scans all tasks
// or all workers.

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter/expr"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// route places t at filter fi / target ti (keep: fi is already known to
// match), falling through later filters, the default filter, or canceling.
func (e *Engine) route(ws *Workspace, t *Task, fi, ti int, keep bool) {
	now := e.env.Now()
	cfg := t.cfg
	for i := fi; i < len(cfg.filters); i++ {
		f := cfg.filters[i]
		start := 0
		if i == fi && keep {
			start = ti
		} else if attrs := t.attrs(); !f.expr.Eval(&expr.Vars{Default: attrs, Task: attrs, Now: now}) {
			continue
		}
		base := t.filterBase(i, now)
		for j := start; j < len(f.targets); j++ {
			tg := f.targets[j]
			var deadline time.Time
			if tg.cumTimeout > 0 {
				deadline = base.Add(tg.cumTimeout)
				if !deadline.After(now) {
					t.everMatched = true // this step already elapsed
					continue
				}
			}
			if e.enterStep(ws, t, f, i, j, tg, deadline) {
				t.everMatched = true
				return
			}
		}
	}
	if cfg.def != nil && !t.everMatched {
		e.enterStep(ws, t, nil, -1, 0, cfg.def, time.Time{})
		return
	}
	reason := ReasonNoMatch
	if t.everMatched {
		reason = ReasonWorkflowTimeout
		e.emit(e.taskEvent(eventtype.WorkflowTimeout, t), t.SID, fmt.Sprintf("task %s fell out of workflow %s", t.SID, t.WorkflowFriendlyName), taskRefs(t))
	}
	e.cancelTask(ws, t, reason)
}

// enterStep puts t in target tg's queue and tries to reserve. It reports
// false when the step was skipped by skip_if (nobody reservable right now).
func (e *Engine) enterStep(ws *Workspace, t *Task, f *filterConfig, fi, ti int, tg *targetConfig, deadline time.Time) bool {
	now := e.env.Now()
	if t.queued {
		t.queue.dequeue(t)
		t.queued = false
	}
	stopTimer(&t.stepTimer)
	t.stepGen++
	t.filterIdx, t.targetIdx, t.target = fi, ti, tg
	if tg.priority != nil {
		t.Priority = *tg.priority
	}
	q := tg.queue
	prevQueue := t.TaskQueueSID
	if t.queue != q {
		t.queue, t.TaskQueueSID, t.TaskQueueFriendlyName, t.TaskQueueEnteredDate = q, q.SID, q.FriendlyName, now
	}
	e.touchTask(t, now)
	filterName, filterExpr := "default_filter", ""
	if f != nil {
		filterName, filterExpr = f.name, f.exprSrc
	}
	target := strconv.Itoa(ti)
	refs := taskRefsFor(t, 4)
	refs["workflow_filter_name"], refs["workflow_filter_expression"] = filterName, filterExpr
	refs["workflow_target_index"] = target
	if tg.exprSrc != "" {
		refs["workflow_filter_target_expression"] = tg.exprSrc
	}
	if tg.direct {
		ws.noteDirectQueue(q)
	}
	if !t.cfg.direct {
		e.emit(e.taskEvent(eventtype.WorkflowTargetMatched, t), t.SID,
			"task "+t.SID+" matched "+filterName+" target "+target+" -> queue "+q.FriendlyName, refs)
	}
	if prevQueue != "" && prevQueue != q.SID {
		refs := taskRefs(t)
		refs["previous_task_queue_sid"] = prevQueue
		e.emit(e.taskEvent(eventtype.TaskQueueMoved, t), t.SID, fmt.Sprintf("task %s moved to queue %s", t.SID, q.FriendlyName), refs)
	}
	e.emit(e.taskEvent(eventtype.TaskQueueEntered, t), t.SID, "task "+t.SID+" entered queue "+q.FriendlyName, taskRefs(t))
	q.enqueue(t)
	t.queued = true
	if !deadline.IsZero() {
		gen := t.stepGen
		t.stepTimer = e.after(deadline.Sub(now), func() { e.stepTimedOut(ws, t, gen) })
	}
	if e.tryReserve(ws, t) == 0 && tg.skipIf != nil && tg.skipIf.Eval(&expr.Vars{Counters: e.queueCounters(ws, q), Now: now}) {
		stopTimer(&t.stepTimer)
		t.stepGen++
		q.dequeue(t)
		t.queued = false
		e.emit(e.taskEvent(eventtype.WorkflowSkipped, t), t.SID, fmt.Sprintf("task %s skipped %s target %d (skip_if)", t.SID, filterName, ti), taskRefs(t))
		return false
	}
	return true
}

// queueCounters are the skip_if counters over the workers in q, from the
// membership counts (a live scan only for clock-dependent expressions).
func (e *Engine) queueCounters(ws *Workspace, q *TaskQueue) map[string]float64 {
	c := map[string]float64{"workers.available": 0, "workers.unavailable": 0}
	if q.idx.timeDependent {
		for _, w := range ws.workers.list {
			if !e.inQueue(q, w) {
				continue
			}
			if w.Available {
				c["workers.available"]++
			} else {
				c["workers.unavailable"]++
			}
			c["workers."+w.ActivitySID]++
		}
		return c
	}
	c["workers.available"] = float64(q.idx.available)
	c["workers.unavailable"] = float64(q.idx.members - q.idx.available)
	for act, n := range q.idx.byActivity {
		c["workers."+act] = float64(n)
	}
	return c
}

// stepTimedOut moves a task whose current target expired to the next one.
func (e *Engine) stepTimedOut(ws *Workspace, t *Task, gen uint64) {
	e.begin()
	defer e.end()
	if e.workspaces.get(ws.SID) != ws || ws.tasks.get(t.SID) != t || t.stepGen != gen || !t.waiting() {
		return // stale: the task moved, was assigned or is gone
	}
	t.stepTimer = nil
	e.emit(e.taskEvent(eventtype.TaskQueueTimeout, t), t.SID, fmt.Sprintf("task %s timed out of queue %s", t.SID, t.TaskQueueFriendlyName), taskRefs(t))
	freed := e.endPendingReservations(ws, t, StatusCanceled)
	e.setWaitingStatus(t)
	if t.filterIdx < 0 {
		e.route(ws, t, len(t.cfg.filters), 0, false) // default filter never times out; defensive
	} else {
		e.route(ws, t, t.filterIdx, t.targetIdx+1, true)
	}
	e.offerWorkers(ws, freed)
}

// ttlExpired cancels a task that was not assigned within its Timeout.
func (e *Engine) ttlExpired(ws *Workspace, t *Task) {
	e.begin()
	defer e.end()
	if e.workspaces.get(ws.SID) != ws || ws.tasks.get(t.SID) != t || !t.waiting() {
		return
	}
	t.ttlTimer = nil
	e.cancelTask(ws, t, ReasonTTLExceeded)
}

// reevaluate sends a waiting task back to the top of its workflow (latest
// configuration), canceling its pending reservations. skip, if set, is not
// offered the task in this pass.
func (e *Engine) reevaluate(ws *Workspace, t *Task, skip *Worker) {
	freed := e.endPendingReservations(ws, t, StatusCanceled)
	e.setWaitingStatus(t)
	if !t.cfg.direct {
		t.cfg = t.workflow.cfg
	}
	t.everMatched = false
	t.skipWorker = skip
	e.route(ws, t, 0, 0, false)
	t.skipWorker = nil
	for _, w := range freed {
		if w != skip {
			e.offerWorker(ws, w)
		}
	}
	if skip != nil {
		e.offerWorkerExcept(ws, skip, t)
		if t.waiting() && t.pendingRes == 0 {
			e.retryDeclined(ws, t)
		}
	}
}

// RetryDeclinedAfter is how long a task that nobody else could take waits
// before it is offered again to workers who just declined it. TaskRouter
// leaves them out of the current evaluation cycle only; a worker who rejects
// and stays available gets the task back. The pause (virtual time) keeps an
// assignment callback that always rejects from spinning.
const RetryDeclinedAfter = time.Second

// retryDeclined schedules the next evaluation cycle for t.
func (e *Engine) retryDeclined(ws *Workspace, t *Task) {
	var vt *vtimer
	vt = e.after(RetryDeclinedAfter, func() { e.retryFired(ws, t, vt) })
	t.retries = append(t.retries, vt)
}

// retryFired is a retryDeclined cycle coming due.
func (e *Engine) retryFired(ws *Workspace, t *Task, vt *vtimer) {
	e.begin()
	defer e.end()
	if i := slices.Index(t.retries, vt); i >= 0 {
		t.retries = slices.Delete(t.retries, i, i+1)
	}
	if e.workspaces.get(ws.SID) != ws || ws.tasks.get(t.SID) != t || !t.waiting() || t.pendingRes > 0 {
		return
	}
	e.tryReserve(ws, t)
}

func (e *Engine) setWaitingStatus(t *Task) {
	if t.AssignmentStatus == TaskReserved && t.pendingRes == 0 {
		t.AssignmentStatus = TaskPending
		e.touchTask(t, e.env.Now())
	}
}

// tryReserve creates reservations for t with the best eligible workers, up
// to its queue's max_reserved_workers, and reports how many it created. It
// walks the queue's ready set for t's channel longest idle first, so it never
// looks at busy or unavailable workers and, without order_by, stops at the
// first eligible ones.
func (e *Engine) tryReserve(ws *Workspace, t *Task) int {
	if !t.waiting() || !t.queued || t.lane == nil {
		return 0
	}
	need := t.queue.MaxReservedWorkers - t.pendingRes
	if need <= 0 {
		return 0
	}
	now := e.env.Now()
	tg := t.target
	cands := e.scratch[:0]
	if tg.knownWorker != nil {
		if w := e.knownWorker(ws, t); w != nil && e.eligible(ws, t, w, now) {
			cands = append(cands, w)
		}
	} else if set := t.queue.idx.ready[t.channel]; set != nil {
		e.scanReady(ws, t, set, need, now)
		cands = e.scratch
		if len(tg.orderBy) > 0 && len(cands) > 1 {
			e.sortWorkers(t, cands)
		}
	}
	n := min(need, len(cands))
	e.scratch = nil // owned by this call until the reservations exist (re-entry safe)
	for _, w := range cands[:n] {
		e.createReservation(ws, t, w)
	}
	clear(cands)
	e.scratch = cands[:0]
	return n
}

// scanReady collects into e.scratch the eligible workers of set in idle
// order: the first need of them, or all when order_by will sort them.
func (e *Engine) scanReady(ws *Workspace, t *Task, set *olist[readyEntry], need int, now time.Time) {
	all := len(t.target.orderBy) > 0
	e.freshReady(ws, set, t.channel, func(w *Worker) bool {
		if e.eligible(ws, t, w, now) {
			e.scratch = append(e.scratch, w)
		}
		return all || len(e.scratch) < need
	})
}

// knownWorker resolves a known-worker target to the worker the task names.
func (e *Engine) knownWorker(ws *Workspace, t *Task) *Worker {
	v, ok := t.knownName()
	if !ok {
		return nil
	}
	if t.target.knownByName {
		return ws.workerByName(v)
	}
	return ws.workers.get(v)
}

// eligible implements section 4.1: available activity, room on the task's
// channel, queue target_workers, target expression, known worker, and no
// pending reservation for this task already.
func (e *Engine) eligible(ws *Workspace, t *Task, w *Worker, now time.Time) bool {
	if t.skipWorker == w {
		return false
	}
	wc := w.channelFor(t.channel)
	if t.target.direct {
		// RoutingTarget=WK…: that worker only, member of the queue or not;
		// IgnoreCapacity offers it even with no room and unavailable.
		return wc != nil && w.SID == t.RoutingTarget && (t.IgnoreCapacity || readyOn(ws, w, wc)) && !hasPending(t, w)
	}
	if wc == nil || !readyOn(ws, w, wc) || hasPending(t, w) || !e.inQueue(t.queue, w) {
		return false
	}
	return e.targetAccepts(t, w, now)
}

// hasPending reports whether w already holds a pending reservation for t.
func hasPending(t *Task, w *Worker) bool {
	for _, r := range t.resList {
		if r.worker == w && r.ReservationStatus == StatusPending {
			return true
		}
	}
	return false
}

// targetAccepts applies the task's workflow target: its worker expression
// and its known worker.
func (e *Engine) targetAccepts(t *Task, w *Worker, now time.Time) bool {
	tg := t.target
	if tg.expr != nil {
		e.vars = expr.Vars{Default: w.AttributesMap, Task: t.attrs(), Worker: w.AttributesMap, WorkerInfo: &w.info, Now: now}
		if !tg.expr.Eval(&e.vars) {
			return false
		}
	}
	if tg.knownWorker != nil {
		name, ok := t.knownName()
		if !ok || (tg.knownByName && !strings.EqualFold(name, w.FriendlyName)) || (!tg.knownByName && name != w.SID) {
			return false
		}
	}
	return true
}

// matchesWorker evaluates a worker-side expression (queue target_workers).
func (e *Engine) matchesWorker(x *expr.Expr, w *Worker) bool {
	e.vars = expr.Vars{Default: w.AttributesMap, Worker: w.AttributesMap, WorkerInfo: &w.info, Now: e.env.Now()}
	return x.Eval(&e.vars)
}

// sortWorkers orders candidates: target order_by clauses, then longest idle
// (per channel when the channel is channel-optimized), then creation order.
func (e *Engine) sortWorkers(t *Task, ws []*Worker) {
	tg := t.target
	perChannel := t.channel.ChannelOptimizedRouting
	slices.SortStableFunc(ws, func(a, b *Worker) int {
		for _, oc := range tg.orderBy {
			av, aok := intAttr(a.AttributesMap, oc.path)
			bv, bok := intAttr(b.AttributesMap, oc.path)
			switch {
			case aok && !bok:
				return -1
			case !aok && bok:
				return 1
			case aok && bok && av != bv:
				if oc.desc {
					return cmpF(bv, av)
				}
				return cmpF(av, bv)
			}
		}
		la, lb := a.lastAssigned, b.lastAssigned
		if perChannel {
			la, lb = a.channelFor(t.channel).lastAssigned, b.channelFor(t.channel).lastAssigned
		}
		if c := cmpU64(la, lb); c != 0 {
			return c
		}
		return cmpU64(a.seq, b.seq)
	})
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// intAttr reads an integer worker attribute for order_by (non-integers are ignored).
func intAttr(m map[string]any, path []string) (float64, bool) {
	f, ok := lookupPath(m, path).(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return f, true
}

func lookupPath(m map[string]any, path []string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// offerWorker gives w waiting tasks from its queues while it has room.
func (e *Engine) offerWorker(ws *Workspace, w *Worker) { e.offerWorkerExcept(ws, w, nil) }

func (e *Engine) offerWorkers(ws *Workspace, workers []*Worker) {
	for _, w := range workers {
		e.offerWorker(ws, w)
	}
}

// offerWorkerExcept is offerWorker without offering skip (the task w just
// rejected or let time out) in this pass.
func (e *Engine) offerWorkerExcept(ws *Workspace, w *Worker, skip *Task) {
	if ws.workers.get(w.SID) != w {
		return
	}
	for w.Available {
		best := e.nextTaskFor(ws, w, skip)
		if best == nil || e.tryReserve(ws, best) == 0 {
			return
		}
	}
}

// nextTaskFor is the routing decision for a worker with room: the waiting
// task it should be offered next (nil if none), other than skip. It looks
// only at the lanes of the worker's queues, from their heads; it changes
// nothing.
func (e *Engine) nextTaskFor(ws *Workspace, w *Worker, skip *Task) *Task {
	now := e.env.Now()
	var best *Task
	for _, q := range w.queues {
		if q.idx.waiting.Len() == 0 || (q.idx.timeDependent && !e.matchesWorker(q.targetExpr, w)) {
			continue
		}
		for _, ln := range q.idx.lanes {
			best = e.bestInLane(ws, ln, w, skip, best, now)
		}
		if len(q.idx.known) > 0 {
			for _, ln := range q.idx.known[knownKey{v: w.SID}] {
				best = e.bestInLane(ws, ln, w, skip, best, now)
			}
			for _, ln := range q.idx.known[knownKey{byName: true, v: w.nameKey}] {
				best = e.bestInLane(ws, ln, w, skip, best, now)
			}
		}
	}
	// Tasks routed to w directly (RoutingTarget) in queues it is not a member
	// of (or, time-dependent, may not match now): membership is not needed.
	for _, q := range ws.idx.directQueues {
		if len(q.idx.known) == 0 || (w.inQueue(q) && !q.idx.timeDependent) {
			continue
		}
		for _, ln := range q.idx.known[knownKey{v: w.SID}] {
			if ln.key.target.direct {
				best = e.bestInLane(ws, ln, w, skip, best, now)
			}
		}
	}
	return best
}

// bestInLane returns the first task of ln that w may take if it is served
// before best, else best. A lane is in serving order, so the walk stops at
// the first task not served before best; and unless the target expression
// reads task attributes, a task refused for a reason other than its own
// reservations refuses w for the whole lane.
func (e *Engine) bestInLane(ws *Workspace, ln *lane, w *Worker, skip, best *Task, now time.Time) *Task {
	if ln.open.Len() == 0 {
		return best
	}
	wc := w.channelFor(ln.key.channel)
	if wc == nil || !readyOn(ws, w, wc) {
		return best
	}
	for _, c := range ln.open.chunks {
		for _, t := range c {
			if best != nil && !e.servedBefore(ws, t, best) {
				return best
			}
			if t == skip || t.skipWorker == w || hasPending(t, w) {
				continue
			}
			if e.targetAccepts(t, w, now) {
				return t
			}
			if !ln.taskDep {
				return best
			}
		}
	}
	return best
}

// servedBefore orders tasks from different queues for one worker.
func (e *Engine) servedBefore(ws *Workspace, a, b *Task) bool {
	qa, qb := a.queue.TaskOrder, b.queue.TaskOrder
	if qa != qb {
		return qa == ws.PrioritizeQueueOrder
	}
	return a.queue.before(a, b)
}

// createReservation offers t to w.
func (e *Engine) createReservation(ws *Workspace, t *Task, w *Worker) {
	now := e.env.Now()
	wc := w.channelFor(t.channel)
	r := &Reservation{SID: twilio.NewSID("WR"), AccountSID: e.env.AccountSID, WorkspaceSID: ws.SID, TaskSID: t.SID,
		WorkerSID: w.SID, WorkerName: w.FriendlyName, ReservationStatus: StatusPending, DateCreated: now, DateUpdated: now,
		task: t, worker: w, wc: wc, ver: e.created()}
	wc.pending++
	wc.LastReservedTime = now
	w.active++
	t.pendingRes++
	e.assignSeq++
	w.lastAssigned, wc.lastAssigned = e.assignSeq, e.assignSeq
	t.queue.syncOpen(t)
	e.syncReady(ws, w)
	t.resList = append(t.resList, r)
	w.reservations = append(w.reservations, r)
	ws.reservations.add(r.SID, r)
	t.AssignmentStatus = TaskReserved
	e.touchTask(t, now)
	r.timer = e.after(time.Duration(t.workflow.TaskReservationTimeout)*time.Second,
		func() { e.reservationTimedOut(ws, r) })
	if !t.inOpen {
		t.AttributesMap = nil // not routed again unless a reservation ends (see attrs)
	}
	e.emitReservation(eventtype.ReservationCreated, r,
		"reservation "+r.SID+" pending for worker "+w.FriendlyName+" on task "+t.SID+" (queue "+t.TaskQueueFriendlyName+")")
	if !ws.MultiTaskEnabled && t.queue.ReservationActivitySID != "" && w.ActivitySID != t.queue.ReservationActivitySID {
		if act := ws.activities.get(t.queue.ReservationActivitySID); act != nil {
			e.moveWorker(ws, w, act)
		}
	}
}

// release returns the capacity r holds (pending or assigned) to its worker.
func (e *Engine) release(r *Reservation) {
	switch r.ReservationStatus {
	case StatusPending:
		r.wc.pending--
		r.task.pendingRes--
		if r.task.queued {
			r.task.queue.syncOpen(r.task)
		}
	case StatusAccepted, StatusWrapping:
		r.wc.AssignedTasks--
	default:
		return
	}
	r.worker.active--
	stopTimer(&r.timer)
	e.syncReady(r.worker.ws, r.worker)
}

// endReservation moves a pending reservation to a final status.
func (e *Engine) endReservation(r *Reservation, status, summary string) {
	e.release(r)
	r.ReservationStatus = status
	e.touchReservation(r, e.env.Now())
	e.emitReservation(reservationEnded(status), r, summary)
}

// endPendingReservations ends all of t's pending reservations with status
// (canceled or rescinded) and returns their workers for re-offering.
func (e *Engine) endPendingReservations(ws *Workspace, t *Task, status string) []*Worker {
	var freed []*Worker
	for _, r := range t.resList {
		if r.ReservationStatus == StatusPending {
			e.endReservation(r, status, fmt.Sprintf("reservation %s for worker %s %s", r.SID, r.WorkerName, status))
			freed = append(freed, r.worker)
		}
	}
	return freed
}

// reservationTimedOut handles task_reservation_timeout: the reservation
// times out, the worker moves to the workspace's timeout activity and the
// task is re-routed.
func (e *Engine) reservationTimedOut(ws *Workspace, r *Reservation) {
	e.begin()
	defer e.end()
	if e.workspaces.get(ws.SID) != ws || ws.reservations.get(r.SID) != r || r.ReservationStatus != StatusPending {
		return // accepted, rejected or canceled just before the timer fired
	}
	r.timer = nil
	e.endReservation(r, StatusTimeout, fmt.Sprintf("reservation %s for worker %s timed out", r.SID, r.WorkerName))
	w, t := r.worker, r.task
	if act := ws.activities.get(ws.TimeoutActivitySID); act != nil && act != w.activity {
		e.moveWorker(ws, w, act)
	}
	e.afterOfferEnded(ws, t, w)
}

// rejectReservation ends a pending reservation as rejected and re-routes.
func (e *Engine) rejectReservation(ws *Workspace, r *Reservation, act *Activity) {
	e.endReservation(r, StatusRejected, fmt.Sprintf("reservation %s rejected by worker %s", r.SID, r.WorkerName))
	if act != nil && act != r.worker.activity {
		e.moveWorker(ws, r.worker, act)
	}
	e.afterOfferEnded(ws, r.task, r.worker)
}

// afterOfferEnded re-routes t once its last pending reservation ended
// without acceptance (not re-offering it to w in this pass), then offers w
// other work.
func (e *Engine) afterOfferEnded(ws *Workspace, t *Task, w *Worker) {
	if t.waiting() && t.pendingRes == 0 {
		e.reevaluate(ws, t, w)
		return
	}
	if t.waiting() && t.queued {
		// Other reservations are still pending: refill the freed slot
		// (max_reserved_workers) with someone else.
		t.skipWorker = w
		e.tryReserve(ws, t)
		t.skipWorker = nil
	}
	e.offerWorkerExcept(ws, w, t)
}

// acceptReservation assigns the task to the reservation's worker.
func (e *Engine) acceptReservation(ws *Workspace, r *Reservation) {
	t, w := r.task, r.worker
	now := e.env.Now()
	stopTimer(&r.timer)
	r.wc.pending--
	r.wc.AssignedTasks++
	t.pendingRes--
	r.ReservationStatus = StatusAccepted
	e.touchReservation(r, now)
	e.assignSeq++
	w.lastAssigned, r.wc.lastAssigned = e.assignSeq, e.assignSeq
	t.AssignmentStatus = TaskAssigned
	t.accepted = r
	e.touchTask(t, now)
	if t.queued {
		t.queue.dequeue(t)
		t.queued = false
	}
	e.syncReady(ws, w)
	stopTimer(&t.stepTimer)
	stopTimer(&t.ttlTimer)
	t.stepGen++
	if len(e.listeners) > 0 {
		t.attrs() // listeners of reservation.accepted read AttributesMap
	}
	e.emitReservation(eventtype.ReservationAccepted, r,
		fmt.Sprintf("reservation %s accepted by worker %s: task %s assigned", r.SID, w.FriendlyName, t.SID))
	freed := e.endPendingReservations(ws, t, StatusRescinded)
	if !ws.MultiTaskEnabled && t.queue.AssignmentActivitySID != "" && w.ActivitySID != t.queue.AssignmentActivitySID {
		if act := ws.activities.get(t.queue.AssignmentActivitySID); act != nil {
			e.moveWorker(ws, w, act)
		}
	}
	e.offerWorkers(ws, freed)
}

// wrapTask moves an assigned task and its reservation to wrapping; the
// worker keeps the capacity until completion.
func (e *Engine) wrapTask(ws *Workspace, t *Task) {
	now := e.env.Now()
	t.AssignmentStatus = TaskWrapping
	e.touchTask(t, now)
	if r := t.accepted; r != nil && r.ReservationStatus == StatusAccepted {
		r.ReservationStatus = StatusWrapping
		e.touchReservation(r, now)
		e.emitReservation(eventtype.ReservationWrapup, r, fmt.Sprintf("reservation %s wrapping (worker %s)", r.SID, r.WorkerName))
	}
	e.emit(e.taskEvent(eventtype.TaskWrapup, t), t.SID, fmt.Sprintf("task %s wrapping", t.SID), taskRefs(t))
}

// completeTask completes an assigned/wrapping task, releasing capacity.
func (e *Engine) completeTask(ws *Workspace, t *Task, reason string) {
	now := e.env.Now()
	t.AssignmentStatus = TaskCompleted
	t.Reason = reason
	e.touchTask(t, now)
	t.AttributesMap = nil // final: never routed again
	var freed *Worker
	if r := t.accepted; r != nil && (r.ReservationStatus == StatusAccepted || r.ReservationStatus == StatusWrapping) {
		e.release(r)
		r.ReservationStatus = StatusCompleted
		e.touchReservation(r, now)
		freed = r.worker
		e.emitReservation(eventtype.ReservationCompleted, r, fmt.Sprintf("reservation %s completed (worker %s)", r.SID, r.WorkerName))
	}
	e.emit(e.taskEvent(eventtype.TaskCompleted, t), t.SID, fmt.Sprintf("task %s completed: %s", t.SID, reason), taskRefs(t))
	if freed != nil {
		e.offerWorker(ws, freed)
	}
}

// cancelTask cancels a waiting task and its pending reservations.
func (e *Engine) cancelTask(ws *Workspace, t *Task, reason string) {
	if !t.waiting() {
		return
	}
	if t.queued {
		t.queue.dequeue(t)
		t.queued = false
	}
	stopTimer(&t.stepTimer)
	stopTimer(&t.ttlTimer)
	t.stepGen++
	freed := e.endPendingReservations(ws, t, StatusCanceled)
	t.AssignmentStatus = TaskCanceled
	t.Reason = reason
	e.touchTask(t, e.env.Now())
	t.AttributesMap = nil // final: never routed again
	e.emit(e.taskEvent(eventtype.TaskCanceled, t), t.SID, fmt.Sprintf("task %s canceled: %s", t.SID, reason), taskRefs(t))
	e.offerWorkers(ws, freed)
}
