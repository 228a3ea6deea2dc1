package eventbridge

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// hub is one account's connection state: the open sockets by worker and,
// per socket, what its SDK has been told. Lock order: the account lock
// (engine listeners, Do) before hub.mu; nothing blocks while holding mu.
type hub struct {
	srv        *Server
	acct       Account
	attachOnce sync.Once

	mu       sync.Mutex
	gen      int // bumped each time the account's engines are (re)built
	sessions map[string]map[*session]struct{}
}

func newHub(srv *Server, acct Account) *hub {
	return &hub{srv: srv, acct: acct, sessions: map[string]map[*session]struct{}{}}
}

// attach runs under the account lock with the account's current engine:
// once at first use and after every reset, when it closes every socket
// (their SDKs reconnect and read the fresh state).
func (h *hub) attach(tr *taskrouter.Engine) {
	h.mu.Lock()
	h.gen++
	var stale []*session
	if h.gen > 1 {
		for _, ss := range h.sessions {
			for s := range ss {
				stale = append(stale, s)
			}
		}
		h.sessions = map[string]map[*session]struct{}{}
	}
	h.mu.Unlock()
	for _, s := range stale {
		s.close(reasonReset)
	}
	tr.Subscribe(func(ev taskrouter.Event) { h.onEvent(tr, ev) })
}

// register adds s under the account lock, seeding what its SDK will know
// from the state it is about to read (activities, channels, active
// reservations), so no event falls between the two. With
// closeExistingSessions it returns the worker's other sockets to close.
func (h *hub) register(s *session, tr *taskrouter.Engine, closeExisting bool) ([]*session, error) {
	w, err := tr.Worker(s.workspaceSID, s.workerSID)
	if err != nil {
		return nil, err
	}
	acts, err := tr.Activities(s.workspaceSID, "", nil)
	if err != nil {
		return nil, err
	}
	active, err := tr.Reservations(s.workspaceSID, taskrouter.ReservationFilter{WorkerSID: w.SID, Status: activeStatuses})
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range acts {
		s.activities[a.SID] = true
	}
	for _, wc := range w.Channels() {
		s.channels[wc.SID] = true
	}
	for _, r := range active {
		s.reservations[r.SID] = true
	}
	var replaced []*session
	if closeExisting {
		for o := range h.sessions[s.workerSID] {
			replaced = append(replaced, o)
		}
	}
	if h.sessions[s.workerSID] == nil {
		h.sessions[s.workerSID] = map[*session]struct{}{}
	}
	h.sessions[s.workerSID][s] = struct{}{}
	return replaced, nil
}

// unregister removes s and reports how many sockets the worker still has
// and the engines' generation.
func (h *hub) unregister(s *session) (remaining, gen int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ss := h.sessions[s.workerSID]; ss != nil {
		delete(ss, s)
		if len(ss) == 0 {
			delete(h.sessions, s.workerSID)
		}
	}
	return len(h.sessions[s.workerSID]), h.gen
}

// learn records, under the account lock, what a worker's SDK has just read
// through a list or fetch, for all the worker's sockets.
func (h *hub) learn(workerSID string, reservations, channels, activities []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions[workerSID] {
		for _, sid := range reservations {
			s.reservations[sid] = true
		}
		for _, sid := range channels {
			s.channels[sid] = true
		}
		for _, sid := range activities {
			s.activities[sid] = true
		}
	}
}

// learnActivities records a re-read of the workspace's activities by any
// SDK of the workspace (the list route is not tied to one worker).
func (h *hub) learnActivities(workspaceSID string, activities []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ss := range h.sessions {
		for s := range ss {
			if s.workspaceSID != workspaceSID {
				continue
			}
			for _, sid := range activities {
				s.activities[sid] = true
			}
		}
	}
}

// flushWait bounds how long an action's answer waits for its pushes.
const flushWait = time.Second

// flush waits until every frame queued so far for the worker's sockets has
// been written (bounded by flushWait; a closing socket is not waited for).
func (h *hub) flush(workerSID string) {
	if workerSID == "" {
		return
	}
	type mark struct {
		s *session
		n uint64
	}
	h.mu.Lock()
	marks := make([]mark, 0, len(h.sessions[workerSID]))
	for s := range h.sessions[workerSID] {
		marks = append(marks, mark{s, s.queued})
	}
	h.mu.Unlock()
	if len(marks) == 0 {
		return
	}
	deadline := time.After(flushWait)
	for _, m := range marks {
		m.s.flushed(m.n, deadline)
	}
}

// scheduleOffline implements setWorkerOfflineIfDisconnected: when the
// worker's last socket has been closed for OfflineGrace (a reconnecting
// SDK, e.g. after a missed heartbeat, is back well within it) and the
// engines were not reset meanwhile, the worker is moved to the offline
// activity through the REST stack, like any activity change.
func (h *hub) scheduleOffline(s *session, gen int) {
	time.AfterFunc(h.srv.opts.OfflineGrace, func() {
		if h.srv.backend.ShuttingDown() {
			return
		}
		h.mu.Lock()
		n, g := len(h.sessions[s.workerSID]), h.gen
		h.mu.Unlock()
		if n > 0 || g != gen {
			return
		}
		var act string
		_ = h.acct.Do(func(tr *taskrouter.Engine) error {
			w, err := tr.Worker(s.workspaceSID, s.workerSID)
			if err != nil {
				return err
			}
			act = offlineActivity(tr, s.workspaceSID)
			if act == w.ActivitySID {
				act = ""
			}
			return nil
		})
		if act == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		status, body := h.acct.CallAPI(ctx, http.MethodPost, "/v1/Workspaces/"+s.workspaceSID+"/Workers/"+s.workerSID,
			url.Values{"ActivitySid": {act}}, nil)
		if status >= 300 {
			h.srv.opts.Logger.Warn("event bridge: could not set a disconnected worker offline", "worker", s.workerSID,
				"status", status, "body", string(body))
		}
	})
}

// offlineActivity is where setWorkerOfflineIfDisconnected moves a worker.
// Twilio documents the option as setting the worker "Offline": the
// activity named Offline (every new workspace and Flex account has one),
// else the workspace's timeout activity (where TaskRouter itself parks
// unresponsive workers), else the first unavailable activity.
func offlineActivity(tr *taskrouter.Engine, workspaceSID string) string {
	acts, err := tr.Activities(workspaceSID, "", nil)
	if err != nil {
		return ""
	}
	for _, a := range acts {
		if strings.EqualFold(a.FriendlyName, "Offline") && !a.Available {
			return a.SID
		}
	}
	if ws, err := tr.Workspace(workspaceSID); err == nil && ws.TimeoutActivitySID != "" {
		return ws.TimeoutActivitySID
	}
	for _, a := range acts {
		if !a.Available {
			return a.SID
		}
	}
	return ""
}

// activeStatuses are the reservations the SDK holds: route 5's Active=true.
var activeStatuses = []string{taskrouter.StatusPending, taskrouter.StatusAccepted, taskrouter.StatusWrapping}
