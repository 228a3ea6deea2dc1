package emulator

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// consoleRoutes serves the console's JSON read model and its actions under
// the control API prefix p. Reads render from the engines under the
// account lock and append nothing to the timeline; every action is the
// REST call a Flex UI or SDK would make, served in-process by CallAPI, so
// it is validated, evented, webhooked and put on the timeline like one.
// Replies, customer messages and the clock use the existing control routes.
// consoleControl is the console's read model and actions (control API
// routes the browser page calls).
var consoleControl = []controlRoute{
	{method: "GET", path: "/console/state", account: (*Emulator).serveConsoleState},
	{method: "GET", path: "/console/conversations/{ConversationSid}", account: (*Emulator).serveConsoleConversation},
	{method: "POST", path: "/console/reservations/{ReservationSid}", account: (*Emulator).serveConsoleReservation},
	{method: "POST", path: "/console/workers/{WorkerSid}", account: (*Emulator).serveConsoleWorker},
	{method: "POST", path: "/console/tasks/{TaskSid}", account: (*Emulator).serveConsoleTask},
}

func (e *Emulator) serveConsoleConversation(a *Account, w http.ResponseWriter, r *http.Request) {
	d, err := a.consoleConversation(r.PathValue("ConversationSid"))
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, d)
}

func (e *Emulator) serveConsoleState(a *Account, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, size := 0, consolePageSize
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			twilio.WriteError(w, twilio.InvalidParam("page", "%q is not a page number (0 or more)", v))
			return
		}
		page = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > consoleMaxPageSize {
			twilio.WriteError(w, twilio.InvalidParam("page_size", "%q is not a page size between 1 and %d", v, consoleMaxPageSize))
			return
		}
		size = n
	}
	st, err := a.consoleState(page, size)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, st)
}

// consoleStatus is the body of the console's actions on reservations and tasks.
type consoleStatus struct {
	Status      string `json:"status"`
	ActivitySID string `json:"activity_sid"`
}

// writeAPIAnswer relays a REST answer (its JSON or Twilio's error JSON).
func writeAPIAnswer(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (e *Emulator) serveConsoleReservation(a *Account, w http.ResponseWriter, r *http.Request) {
	var in consoleStatus
	if err := decodeControl(r, &in, map[string]*string{"status": &in.Status}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	if in.Status != "accepted" && in.Status != "rejected" {
		twilio.WriteError(w, twilio.InvalidParam("status", "%q is not accepted or rejected", in.Status))
		return
	}
	sid := r.PathValue("ReservationSid")
	var wsSID, taskSID string
	err := a.locked(0, func(en *Engines) error {
		ws := consoleWorkspace(en)
		if ws == nil {
			return twilio.NotFound(r.URL.Path)
		}
		res, err := en.TaskRouter.Reservation(ws.SID, sid)
		if err != nil {
			return err
		}
		wsSID, taskSID = ws.SID, res.TaskSID
		return nil
	})
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	status, body := e.CallAPI(r.Context(), a, http.MethodPost, taskrouter.Product.Prefix,
		"/v1/Workspaces/"+wsSID+"/Tasks/"+taskSID+"/Reservations/"+sid, url.Values{"ReservationStatus": {in.Status}}, nil)
	writeAPIAnswer(w, status, body)
}

func (e *Emulator) serveConsoleWorker(a *Account, w http.ResponseWriter, r *http.Request) {
	var in consoleStatus
	if err := decodeControl(r, &in, map[string]*string{"activity_sid": &in.ActivitySID}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	if in.ActivitySID == "" {
		twilio.WriteError(w, twilio.MissingParam("activity_sid"))
		return
	}
	var wsSID string
	err := a.locked(0, func(en *Engines) error {
		ws := consoleWorkspace(en)
		if ws == nil {
			return twilio.NotFound(r.URL.Path)
		}
		wsSID = ws.SID
		return nil
	})
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	status, body := e.CallAPI(r.Context(), a, http.MethodPost, taskrouter.Product.Prefix,
		"/v1/Workspaces/"+wsSID+"/Workers/"+r.PathValue("WorkerSid"), url.Values{"ActivitySid": {in.ActivitySID}}, nil)
	writeAPIAnswer(w, status, body)
}

// serveConsoleTask wraps up or completes a task. A Flex conversation task
// is ended the way the Flex UI does it: its agent's Interaction Channel
// Participant goes to wrapup or closed. Any other task is updated through
// TaskRouter. The answer is the task as the console shows it.
func (e *Emulator) serveConsoleTask(a *Account, w http.ResponseWriter, r *http.Request) {
	var in consoleStatus
	if err := decodeControl(r, &in, map[string]*string{"status": &in.Status}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	flexStatus := map[string]string{"wrapping": "wrapup", "completed": "closed"}[in.Status]
	if flexStatus == "" {
		twilio.WriteError(w, twilio.InvalidParam("status", "%q is not wrapping or completed", in.Status))
		return
	}
	sid := r.PathValue("TaskSid")
	var wsSID, participantPath string
	err := a.locked(0, func(en *Engines) error {
		ws := consoleWorkspace(en)
		if ws == nil {
			return twilio.NotFound(r.URL.Path)
		}
		wsSID = ws.SID
		t, err := en.TaskRouter.Task(ws.SID, sid)
		if err != nil {
			return err
		}
		ch, ok := en.Flex.ChannelForTask(sid)
		if !ok {
			return nil
		}
		var worker string
		for _, res := range t.Reservations() {
			switch res.ReservationStatus {
			case "accepted", "wrapping":
				worker = res.WorkerSID
			}
		}
		parts, err := en.Flex.Participants(ch.InteractionSID, ch.SID)
		if err != nil {
			return err
		}
		for _, fp := range parts {
			if isAgentOf(fp, worker, sid) {
				participantPath = "/v1/Interactions/" + ch.InteractionSID + "/Channels/" + ch.SID + "/Participants/" + fp.SID
			}
		}
		return nil
	})
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	var status int
	var body []byte
	if participantPath != "" {
		status, body = e.CallAPI(r.Context(), a, http.MethodPost, flex.Product.Prefix, participantPath,
			url.Values{"Status": {flexStatus}}, nil)
	} else {
		form := url.Values{"AssignmentStatus": {in.Status}}
		if in.Status == "completed" {
			form.Set("Reason", "completed in the flexemu console")
		}
		status, body = e.CallAPI(r.Context(), a, http.MethodPost, taskrouter.Product.Prefix,
			"/v1/Workspaces/"+wsSID+"/Tasks/"+sid, form, nil)
	}
	if status >= 300 {
		writeAPIAnswer(w, status, body)
		return
	}
	var out ConsoleTask
	err = a.locked(0, func(en *Engines) error {
		t, err := en.TaskRouter.Task(wsSID, sid)
		if err != nil {
			return err
		}
		out = ConsoleTask{SID: t.SID, AssignmentStatus: t.AssignmentStatus, QueueName: t.TaskQueueFriendlyName}
		for _, res := range t.Reservations() {
			switch res.ReservationStatus {
			case "accepted", "wrapping", "completed":
				out.WorkerSID = res.WorkerSID
			}
		}
		return nil
	})
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusOK, out)
}

// isAgentOf tells whether a Flex participant is the agent worker took task as.
func isAgentOf(p flex.Participant, worker, task string) bool {
	if p.Type != "agent" || p.Status == "closed" {
		return false
	}
	rp := p.RoutingProperties
	if ws, _ := rp["worker_sid"].(string); worker != "" && ws == worker {
		return true
	}
	ts, _ := rp["task_sid"].(string)
	return worker == "" && ts == task
}
