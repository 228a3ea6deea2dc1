package taskrouter

// The assignment callback (section 6 of the TaskRouter dossier): each new
// reservation of a workflow with an assignment_callback_url is POSTed there;
// the JSON answer's instruction is applied to the reservation if it is still
// pending. A failed call (non-2xx, timeout, no connection) goes to the
// fallback_assignment_callback_url; when that fails too the reservation just
// stays pending until accepted, rejected or timed out.
//
// The engine never waits on the network while the account is locked: the
// request goes out through the dispatcher and the answer is applied later
// under the lock via env.Answered.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/webhook"
)

// AssignmentCallbackTimeout is how long TaskRouter waits for an answer.
const AssignmentCallbackTimeout = 5 * time.Second

// assignmentTimeout is AssignmentCallbackTimeout; tests shorten it.
var assignmentTimeout = AssignmentCallbackTimeout

// Timeline entry types for the assignment callback's outcome.
const (
	evAssignmentInstruction = "assignment_callback.instruction"
	evAssignmentFailed      = "assignment_callback.failed"
	evAssignmentIgnored     = "assignment_callback.ignored"
	evAssignmentWarning     = "assignment_callback.warning"
)

// AssignmentCallbackParams are the form parameters of the assignment
// callback for r, as of now.
func AssignmentCallbackParams(r *Reservation, now time.Time) url.Values {
	t, w := r.task, r.worker
	p := url.Values{}
	p.Set("AccountSid", r.AccountSID)
	p.Set("WorkspaceSid", r.WorkspaceSID)
	p.Set("WorkflowSid", t.WorkflowSID)
	p.Set("TaskQueueSid", t.TaskQueueSID)
	p.Set("TaskQueueName", t.TaskQueueFriendlyName)
	p.Set("TaskSid", t.SID)
	p.Set("TaskAttributes", t.Attributes)
	p.Set("TaskAge", strconv.Itoa(t.Age(now)))
	p.Set("TaskPriority", strconv.Itoa(t.Priority))
	p.Set("TaskChannelSid", t.TaskChannelSID)
	p.Set("TaskChannelUniqueName", t.TaskChannelUniqueName)
	p.Set("ReservationSid", r.SID)
	p.Set("WorkerSid", w.SID)
	p.Set("WorkerName", w.FriendlyName)
	p.Set("WorkerAttributes", w.Attributes)
	p.Set("Timestamp", strconv.FormatInt(now.Unix(), 10))
	return p
}

// startAssignmentCallback calls the workflow's assignment_callback_url for
// a reservation that was just created.
func (e *Engine) startAssignmentCallback(ws *Workspace, r *Reservation) {
	if u := r.task.workflow.AssignmentCallbackURL; u != "" {
		e.sendAssignmentCallback(ws, r, u, false)
	}
}

func (e *Engine) sendAssignmentCallback(ws *Workspace, r *Reservation, target string, fallback bool) {
	event := "assignment_callback"
	if fallback {
		event = "fallback_assignment_callback"
	}
	wsSID, resSID := ws.SID, r.SID
	e.env.Webhooks.Send(webhook.Request{URL: target, Method: "POST", Params: AssignmentCallbackParams(r, e.env.Now()),
		Product: productName, Event: event, Refs: assignmentRefs(r), Timeout: assignmentTimeout,
		OnResponse: func(d webhook.Delivery) {
			e.env.Answered(d, func() { e.assignmentAnswered(wsSID, resSID, d, fallback) })
		}})
}

func assignmentRefs(r *Reservation) map[string]string {
	return map[string]string{"workspace_sid": r.WorkspaceSID, "reservation_sid": r.SID, "task_sid": r.TaskSID,
		"worker_sid": r.WorkerSID, "worker_name": r.WorkerName, "workflow_sid": r.task.WorkflowSID}
}

// assignmentInstruction is the JSON answer of an assignment callback.
type assignmentInstruction struct {
	Instruction *string `json:"instruction"`
	ActivitySID string  `json:"activity_sid"`
}

// assignmentAnswered applies an assignment callback's answer, under the
// account lock. Anything that changed meanwhile wins: a reservation that is
// no longer pending ignores the answer.
func (e *Engine) assignmentAnswered(wsSID, resSID string, d webhook.Delivery, fallback bool) {
	e.begin()
	defer e.end()
	ws := e.workspaces.get(wsSID)
	if ws == nil {
		return
	}
	r := ws.reservations.get(resSID)
	if r == nil {
		return
	}
	refs := assignmentRefs(r)
	refs["url"] = d.Request.URL
	if !d.OK() {
		why := d.Error
		if why == "" {
			why = fmt.Sprintf("HTTP %d", d.Status)
		}
		if fb := r.task.workflow.FallbackAssignmentCallbackURL; !fallback && fb != "" && r.ReservationStatus == StatusPending {
			e.env.Record(productName, evAssignmentFailed, r.SID,
				fmt.Sprintf("assignment callback for reservation %s failed (%s): calling the fallback URL", r.SID, why), refs)
			e.sendAssignmentCallback(ws, r, fb, true)
			return
		}
		e.env.Record(productName, evAssignmentFailed, r.SID,
			fmt.Sprintf("assignment callback for reservation %s failed (%s): reservation stays %s", r.SID, why, r.ReservationStatus), refs)
		return
	}
	if r.ReservationStatus != StatusPending {
		e.env.Record(productName, evAssignmentIgnored, r.SID,
			fmt.Sprintf("assignment callback answer for reservation %s ignored: it is already %s", r.SID, r.ReservationStatus), refs)
		return
	}
	body := strings.TrimSpace(d.ResponseBody)
	if body == "" {
		return // no instruction: the reservation waits for the REST API / SDK
	}
	var ans assignmentInstruction
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		refs["error_code"] = "40001"
		e.env.Record(productName, evAssignmentWarning, r.SID,
			fmt.Sprintf("warning 40001: Assignment Instruction response is not valid JSON (reservation %s)", r.SID), refs)
		return
	}
	_ = json.Unmarshal([]byte(body), &ans) // same document; fields of the wrong type stay empty
	if ans.Instruction == nil {
		if len(raw) > 0 {
			refs["error_code"] = "40005"
			e.env.Record(productName, evAssignmentWarning, r.SID,
				fmt.Sprintf("warning 40005: Assignment Callback response does not contain 'instruction' (reservation %s)", r.SID), refs)
		}
		return // {} defers the decision without a warning
	}
	instr := strings.ToLower(strings.TrimSpace(*ans.Instruction))
	refs["instruction"] = instr
	p := UpdateReservationParams{}
	switch instr {
	case "accept":
		p.ReservationStatus = StatusAccepted
	case "reject":
		p.ReservationStatus = StatusRejected
		if ans.ActivitySID != "" {
			if ws.activities.get(ans.ActivitySID) != nil {
				p.WorkerActivitySID = ans.ActivitySID
				refs["activity_sid"] = ans.ActivitySID
			} else {
				e.env.Record(productName, evAssignmentWarning, r.SID,
					fmt.Sprintf("assignment callback reject: activity_sid %q is not an Activity of workspace %s; the worker keeps its activity", ans.ActivitySID, ws.SID), refs)
			}
		}
	case "dequeue", "call", "redirect", "conference":
		// No telephony: the worker "answers" at once, so these accept.
		p.Instruction = instr
	default:
		e.env.Record(productName, evAssignmentWarning, r.SID,
			fmt.Sprintf("assignment callback for reservation %s: unknown instruction %q ignored", r.SID, instr), refs)
		return
	}
	e.env.Record(productName, evAssignmentInstruction, r.SID,
		fmt.Sprintf("assignment callback instructed %s for reservation %s (worker %s)", instr, r.SID, r.WorkerName), refs)
	if _, err := e.UpdateReservation(ws.SID, r.SID, p); err != nil {
		e.env.Record(productName, evAssignmentWarning, r.SID,
			fmt.Sprintf("assignment callback instruction %s for reservation %s failed: %v", instr, r.SID, err), refs)
	}
}
