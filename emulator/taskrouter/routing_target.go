package taskrouter

// Direct routing: the Task create parameter RoutingTarget names a Worker
// (WK…), a TaskQueue (WQ…) or a Workflow (WW…) to route the task to.
//
//   - WW…: the task goes through that workflow (it becomes the task's
//     workflow_sid, whatever WorkflowSid says).
//   - WQ…: the task skips the workflow's filters and waits in that queue,
//     offered to its members as a queue target with no expression would.
//   - WK…: the task is offered to that worker only. IgnoreCapacity (default
//     true with a worker target) offers it even when the worker has no room
//     on the channel or is in an unavailable activity; with
//     IgnoreCapacity=false the task waits until the worker can take it.
//     The task still sits in a queue (task_queue_sid): TaskQueueSid if
//     given, else the first queue the worker is a member of, else the
//     workflow's first queue; the worker need not be a member of it.
//
// Direct tasks keep the workflow (WorkflowSid, or the workspace's only one)
// for the reservation timeout and the assignment callback; they emit no
// workflow.* events, and a re-evaluation (reject, timeout, new attributes)
// keeps their target. Only IgnoreCapacity of a worker target has an effect.

import (
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// directRouting is a queue's routing configurations for direct tasks, shared
// by all of them so that they share lanes.
type directRouting struct {
	queue  *routingConfig // RoutingTarget = this queue
	worker *routingConfig // RoutingTarget = a worker, waiting in this queue
}

func (q *TaskQueue) directConfig(toWorker bool) *routingConfig {
	if q.direct == nil {
		q.direct = &directRouting{
			queue:  &routingConfig{direct: true, def: &targetConfig{queue: q}},
			worker: &routingConfig{direct: true, def: &targetConfig{queue: q, knownWorker: []string{}, direct: true}},
		}
	}
	if toWorker {
		return q.direct.worker
	}
	return q.direct.queue
}

// knownName is the worker a known-worker target names for t: its
// RoutingTarget for a direct target, else the attribute the target reads.
func (t *Task) knownName() (string, bool) {
	if t.target.direct {
		return t.RoutingTarget, true
	}
	v, ok := lookupPath(t.attrs(), t.target.knownWorker).(string)
	return v, ok
}

// noteDirectQueue records that q holds (or held) a task routed to a worker.
func (ws *Workspace) noteDirectQueue(q *TaskQueue) {
	for _, x := range ws.idx.directQueues {
		if x == q {
			return
		}
	}
	ws.idx.directQueues = append(ws.idx.directQueues, q)
}

// forgetDirectQueue drops a deleted queue.
func (ws *Workspace) forgetDirectQueue(q *TaskQueue) {
	for i, x := range ws.idx.directQueues {
		if x == q {
			ws.idx.directQueues = append(ws.idx.directQueues[:i], ws.idx.directQueues[i+1:]...)
			return
		}
	}
}

// routingTarget checks p.RoutingTarget and returns the workflow it names
// (WW…, else nil) or the direct routing configuration (WQ…, WK…, else nil),
// and whether IgnoreCapacity is in force.
func (e *Engine) routingTarget(ws *Workspace, wf *Workflow, p *CreateTaskParams) (*Workflow, *routingConfig, bool, error) {
	rt := strings.TrimSpace(p.RoutingTarget)
	ignore := p.IgnoreCapacity != nil && *p.IgnoreCapacity
	if rt == "" {
		return nil, nil, ignore, nil
	}
	p.RoutingTarget = rt
	switch {
	case twilio.IsSID(rt, "WW"):
		target := ws.workflows.get(rt)
		if target == nil {
			return nil, nil, false, twilio.InvalidParam("RoutingTarget", "%q is not a Workflow in workspace %s", rt, ws.SID)
		}
		return target, nil, ignore, nil
	case twilio.IsSID(rt, "WQ"):
		q := ws.queues.get(rt)
		if q == nil {
			return nil, nil, false, twilio.InvalidParam("RoutingTarget", "%q is not a TaskQueue in workspace %s", rt, ws.SID)
		}
		return nil, q.directConfig(false), ignore, nil
	case twilio.IsSID(rt, "WK"):
		w := ws.workers.get(rt)
		if w == nil {
			return nil, nil, false, twilio.InvalidParam("RoutingTarget", "%q is not a Worker in workspace %s", rt, ws.SID)
		}
		q, err := directQueue(ws, wf, w, p.TaskQueueSID)
		if err != nil {
			return nil, nil, false, err
		}
		return nil, q.directConfig(true), p.IgnoreCapacity == nil || *p.IgnoreCapacity, nil
	}
	return nil, nil, false, twilio.InvalidParam("RoutingTarget", "%q is not the SID of a Worker, TaskQueue or Workflow", rt)
}

// directQueue is the queue a task routed to worker w waits in.
func directQueue(ws *Workspace, wf *Workflow, w *Worker, queueSID string) (*TaskQueue, error) {
	if queueSID != "" {
		q := ws.queues.get(queueSID)
		if q == nil {
			return nil, twilio.InvalidParam("TaskQueueSid", "%q is not a TaskQueue in workspace %s", queueSID, ws.SID)
		}
		return q, nil
	}
	for _, q := range ws.queues.list {
		if w.inQueue(q) {
			return q, nil
		}
	}
	if cfg := wf.cfg; cfg != nil {
		for _, f := range cfg.filters {
			for _, tg := range f.targets {
				return tg.queue, nil
			}
		}
		if cfg.def != nil {
			return cfg.def.queue, nil
		}
	}
	if len(ws.queues.list) > 0 {
		return ws.queues.list[0], nil
	}
	return nil, twilio.InvalidParam("RoutingTarget", "workspace %s has no TaskQueue for a task routed to worker %s", ws.SID, w.SID)
}
