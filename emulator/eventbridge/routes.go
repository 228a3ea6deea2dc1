package eventbridge

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// The SDK's 20 routes (dossier §1.6; twilio-taskrouter lib/util/Routes.js
// and WorkspaceRoutes.js). Reads render engine objects under the account
// lock; actions are REST calls through Account.CallAPI (validation,
// events, callbacks, timeline, If-Match), answered with the SDK's payload
// rendered afterwards.

// unsupportedWorkerOps are the v2 voice and transfer routes, which have no
// REST equivalent in flexemu (no telephony, no transfers).
var unsupportedWorkerOps = map[string]string{
	"Transfers":             "task transfers (Workers/{WK}/Transfers)",
	"CustomerParticipant":   "conference participants (Workers/{WK}/CustomerParticipant)",
	"WorkerParticipant":     "conference participants (Workers/{WK}/WorkerParticipant)",
	"HoldWorkerParticipant": "conference hold (Workers/{WK}/HoldWorkerParticipant)",
	"KickWorkerParticipant": "conference kick (Workers/{WK}/KickWorkerParticipant)",
}

// serve dispatches c. It returns a payload, or an error, or a non-zero
// status with the REST error body to relay.
func (c *call) serve() (int, any, error) {
	s := c.segs[2:]
	get, post := c.method == http.MethodGet, c.method == http.MethodPost
	n := len(s)
	switch {
	case n == 1 && s[0] == "Activities" && get: // 3
		return c.listActivities()
	case n == 1 && s[0] == "Workers" && get: // 18
		return c.listWorkers()
	case n == 2 && s[0] == "Workers" && get: // 1
		return c.fetchWorker(s[1])
	case n == 2 && s[0] == "Workers" && post: // 2
		return c.updateWorker(s[1])
	case n == 3 && s[0] == "Workers" && (s[2] == "WorkerChannels" || s[2] == "Channels") && get: // 4
		return c.listChannels(s[1])
	case n == 3 && s[0] == "Workers" && s[2] == "Reservations" && get: // 5
		return c.listReservations(s[1])
	case n == 4 && s[0] == "Workers" && s[2] == "Reservations" && get: // 6
		return c.fetchReservation(s[1], s[3])
	case n == 4 && s[0] == "Workers" && s[2] == "Reservations" && post: // 7
		return c.updateReservation("/Workers/"+s[1]+"/Reservations/"+s[3], s[3])
	case n >= 3 && s[0] == "Workers" && unsupportedWorkerOps[s[2]] != "": // 12-17
		return 0, nil, unsupported(unsupportedWorkerOps[s[2]])
	case n == 1 && s[0] == "Tasks" && post: // 8
		return c.createTask()
	case n == 2 && s[0] == "Tasks" && get: // 9
		return c.fetchTask(s[1])
	case n == 2 && s[0] == "Tasks" && post: // 10
		return c.updateTask(s[1])
	case n == 4 && s[0] == "Tasks" && s[2] == "Reservations" && post: // 11
		if c.params.Get("Instruction") == "supervise" {
			return 0, nil, unsupported("supervising a call (Instruction=supervise)")
		}
		return c.updateReservation("/Tasks/"+s[1]+"/Reservations/"+s[3], s[3])
	case n == 1 && s[0] == "TaskQueues" && get: // 19
		return c.listTaskQueues()
	case n == 2 && s[0] == "TaskQueues" && get: // 20
		return c.fetchTaskQueue(s[1])
	}
	return 0, nil, twilio.NewError(http.StatusNotFound, twilio.CodeNotFound,
		"flexemu's event bridge has no route %s %s", c.method, joinSegs(c.segs))
}

func unsupported(what string) error {
	return twilio.NewError(http.StatusBadRequest, twilio.CodeInvalidParameter, "%s is not supported by flexemu", what)
}

func joinSegs(segs []string) string {
	out := ""
	for i, s := range segs {
		if i > 0 {
			out += "/"
		}
		out += s
	}
	return out
}

// read renders under the account lock.
func (c *call) read(fn func(tr *taskrouter.Engine) (any, error)) (int, any, error) {
	var out any
	err := c.acct.Do(func(tr *taskrouter.Engine) error {
		var err error
		out, err = fn(tr)
		return err
	})
	return 0, out, err
}

// mutate POSTs form to the REST path under the workspace, waits until the
// pushes it caused for the caller's own sockets are written (so that when
// the SDK's promise resolves it has, as a rule, applied them: e.g.
// reservation.accepted, which carries the task's new version that its next
// If-Match needs), then renders the SDK's answer under the account lock.
func (c *call) mutate(path string, form url.Values, render func(tr *taskrouter.Engine, rest []byte) (any, error)) (int, any, error) {
	status, body := c.acct.CallAPI(c.r.Context(), http.MethodPost, "/v1/Workspaces/"+c.workspaceSID+path, form, c.header)
	if status < 200 || status > 299 {
		return status, body, nil
	}
	c.hub.flush(c.workerSID)
	return c.read(func(tr *taskrouter.Engine) (any, error) { return render(tr, body) })
}

// --- Workers

func (c *call) fetchWorker(sid string) (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		w, err := tr.Worker(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderWorker(c.acct.SID(), w), nil
	})
}

func (c *call) updateWorker(sid string) (int, any, error) {
	form := url.Values{}
	for _, k := range []string{"ActivitySid", "Attributes", "RejectPendingReservations", "FriendlyName"} {
		if v, ok := c.params[k]; ok {
			form[k] = v
		}
	}
	return c.mutate("/Workers/"+sid, form, func(tr *taskrouter.Engine, _ []byte) (any, error) {
		w, err := tr.Worker(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderWorker(c.acct.SID(), w), nil
	})
}

func (c *call) listWorkers() (int, any, error) {
	p := c.params
	f := taskrouter.WorkerFilter{FriendlyName: p.Get("FriendlyName"), ActivitySID: p.Get("ActivitySid"),
		ActivityName: p.Get("ActivityName"), TargetWorkersExpression: p.Get("TargetWorkersExpression"), Ordering: p.Get("Ordering")}
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		ws, err := tr.Workers(c.workspaceSID, f)
		if err != nil {
			return nil, err
		}
		return page(ws, p, func(w *taskrouter.Worker) string { return w.SID },
			func(w *taskrouter.Worker) workerPayload { return renderWorker(c.acct.SID(), w) }), nil
	})
}

func (c *call) listChannels(workerSID string) (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		w, err := tr.Worker(c.workspaceSID, workerSID)
		if err != nil {
			return nil, err
		}
		chans := w.Channels()
		out := page(chans, c.params, func(wc *taskrouter.WorkerChannel) string { return wc.SID },
			func(wc *taskrouter.WorkerChannel) channelPayload { return renderChannel(c.acct.SID(), wc) })
		sids := make([]string, len(out.Contents))
		for i, p := range out.Contents {
			sids[i] = p.SID
		}
		c.hub.learn(workerSID, nil, sids, nil)
		return out, nil
	})
}

// --- Activities

func (c *call) listActivities() (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		acts, err := tr.Activities(c.workspaceSID, c.params.Get("FriendlyName"), nil)
		if err != nil {
			return nil, err
		}
		out := page(acts, c.params, func(a *taskrouter.Activity) string { return a.SID },
			func(a *taskrouter.Activity) activityPayload { return renderActivity(c.acct.SID(), a) })
		sids := make([]string, len(out.Contents))
		for i, p := range out.Contents {
			sids[i] = p.SID
		}
		c.hub.learnActivities(c.workspaceSID, sids)
		return out, nil
	})
}

// --- Reservations

// listReservations is route 5 (v2): Active=true lists the pending, accepted
// and wrapping reservations the SDK holds; else ReservationStatus filters.
func (c *call) listReservations(workerSID string) (int, any, error) {
	f := taskrouter.ReservationFilter{WorkerSID: workerSID}
	if c.params.Get("Active") == "true" {
		f.Status = activeStatuses
	} else if st := c.params.Get("ReservationStatus"); st != "" {
		f.Status = []string{st}
	}
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		rs, err := tr.Reservations(c.workspaceSID, f)
		if err != nil {
			return nil, err
		}
		out := page(rs, c.params, func(r *taskrouter.Reservation) string { return r.SID },
			func(r *taskrouter.Reservation) reservationPayload { return renderReservation(tr, r) })
		var sids []string
		for _, p := range out.Contents {
			if p.ReservationStatus == taskrouter.StatusPending || p.ReservationStatus == taskrouter.StatusAccepted ||
				p.ReservationStatus == taskrouter.StatusWrapping {
				sids = append(sids, p.SID)
			}
		}
		c.hub.learn(workerSID, sids, nil, nil)
		return out, nil
	})
}

func (c *call) fetchReservation(workerSID, sid string) (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		r, err := tr.WorkerReservation(c.workspaceSID, workerSID, sid)
		if err != nil {
			return nil, err
		}
		return renderReservation(tr, r), nil
	})
}

// updateReservation is routes 7 and 11: ReservationStatus (accepted,
// rejected, wrapping, completed) with WorkerActivitySid, or an Instruction
// (call, dequeue, redirect, conference: accepted, as flexemu has no
// telephony); the instruction's options are passed on and ignored.
func (c *call) updateReservation(path, sid string) (int, any, error) {
	return c.mutate(path, c.params, func(tr *taskrouter.Engine, _ []byte) (any, error) {
		r, err := tr.Reservation(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderReservation(tr, r), nil
	})
}

// --- Tasks

// createTask is route 8 (Worker.createTask, an outbound task routed to the
// worker): TaskChannelUniqueName or TaskChannelSid become REST's
// TaskChannel; TaskQueueSid has no REST equivalent (the workflow routes).
func (c *call) createTask() (int, any, error) {
	form := url.Values{}
	for k, v := range c.params {
		switch k {
		case "TaskChannelUniqueName", "TaskChannelSid":
			form.Set("TaskChannel", v[0])
		case "TaskQueueSid":
		default:
			form[k] = v
		}
	}
	return c.mutate("/Tasks", form, func(tr *taskrouter.Engine, rest []byte) (any, error) {
		var created struct {
			SID string `json:"sid"`
		}
		_ = json.Unmarshal(rest, &created)
		t, err := tr.Task(c.workspaceSID, created.SID)
		if err != nil {
			return nil, err
		}
		return renderTask(tr.Now(), t), nil
	})
}

func (c *call) fetchTask(sid string) (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		t, err := tr.Task(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderTask(tr.Now(), t), nil
	})
}

// updateTask is route 10: AssignmentStatus (wrapping, completed) with
// Reason, Attributes, VirtualStartTime.
func (c *call) updateTask(sid string) (int, any, error) {
	return c.mutate("/Tasks/"+sid, c.params, func(tr *taskrouter.Engine, _ []byte) (any, error) {
		t, err := tr.Task(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderTask(tr.Now(), t), nil
	})
}

// --- TaskQueues

func (c *call) listTaskQueues() (int, any, error) {
	p := c.params
	f := taskrouter.TaskQueueFilter{FriendlyName: p.Get("FriendlyName"), WorkerSID: p.Get("WorkerSid"), Ordering: p.Get("Ordering")}
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		qs, err := tr.TaskQueues(c.workspaceSID, f)
		if err != nil {
			return nil, err
		}
		return page(qs, p, func(q *taskrouter.TaskQueue) string { return q.SID },
			func(q *taskrouter.TaskQueue) taskQueuePayload { return renderTaskQueue(c.acct.SID(), q) }), nil
	})
}

func (c *call) fetchTaskQueue(sid string) (int, any, error) {
	return c.read(func(tr *taskrouter.Engine) (any, error) {
		q, err := tr.TaskQueue(c.workspaceSID, sid)
		if err != nil {
			return nil, err
		}
		return renderTaskQueue(c.acct.SID(), q), nil
	})
}

// --- Paging

// Page sizes: Twilio's default and maximum.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// page renders one page of items: PageSize of them after the one whose SID
// is AfterSid (or NextToken, the token of ordered workspace lists); the
// next page's token is the last SID rendered, null at the end.
func page[T, P any](items []T, p url.Values, sid func(T) string, render func(T) P) listPayload[P] {
	size := defaultPageSize
	if v, err := strconv.Atoi(p.Get("PageSize")); err == nil && v > 0 {
		size = min(v, maxPageSize)
	}
	start := 0
	after := p.Get("AfterSid")
	if after == "" {
		after = p.Get("NextToken")
	}
	if after != "" {
		start = len(items) // unknown token: an empty last page, never a loop
		for i, it := range items {
			if sid(it) == after {
				start = i + 1
				break
			}
		}
	}
	end := min(start+size, len(items))
	out := listPayload[P]{Contents: make([]P, 0, end-start), Meta: listMeta{PageSize: size}}
	for _, it := range items[start:end] {
		out.Contents = append(out.Contents, render(it))
	}
	if end < len(items) {
		next := sid(items[end-1])
		out.AfterSID, out.Meta.NextToken = &next, &next
	}
	return out
}
