package steps

// Steps for what Flex UI does when an agent transfers a conversation: it
// calls the Interactions API's Transfers endpoint (cold or warm, to a worker
// or a queue) and later completes or cancels a warm transfer; and the older
// invite-based transfer Flex plugins do (an Invite on the channel).
//
//	When worker "carol" transfers the conversation to queue "Sales"
//	When worker "carol" warm transfers the conversation to worker "bob"
//	When worker "carol" invites queue "Sales" to the conversation
//	Then the transfer should be "completed"
//	And the original task should be "wrapping"
//
// After a transfer or invite, "the task" of the other steps is the new task.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
)

var transferSteps = []stepDef{
	{pattern: `^worker "([^"]+)" (?:(cold|warm) )?transfers the conversation to (queue|worker) "([^"]+)"$`, fn: (*World).transferConversation,
		doc: "the worker transfers the task's conversation (cold unless warm) through the Interaction Channel's Transfers; the new task becomes the task"},
	{pattern: `^worker "([^"]+)" invites (queue|worker) "([^"]+)" to the conversation$`, fn: (*World).inviteToConversation,
		doc: "the invite-based transfer of Flex plugins: an Invite on the channel with the task's attributes and the target; the invite's task becomes the task"},
	{pattern: `^worker "([^"]+)" (completes|cancels) the transfer$`, fn: (*World).endTransfer,
		doc: "completes (completed) or cancels (failed) the warm transfer the scenario started"},
	{pattern: `^the transfer should be "([^"]+)"$`, fn: (*World).transferShouldBe,
		doc: "the status of the transfer the scenario started"},
	{pattern: `^the original task should be "([^"]+)"$`, fn: (*World).originalTaskShouldBe,
		doc: "the assignment status of the transferring worker's task"},
}

// transferState is the Flex transfer a scenario started.
type transferState struct {
	interactionSID, channelSID string
	transferSID                string
	originalTask               string // the transferring agent's task
}

// transferFrom remembers the interaction channel and the transferring
// worker's task, and returns the worker's participant SID.
func (w *World) transferFrom(worker string) (string, error) {
	ap, err := w.agentParticipant(worker)
	if err != nil {
		return "", err
	}
	w.transfer.interactionSID, w.transfer.channelSID, w.transfer.originalTask = ap.interactionSID, ap.channelSID, ap.taskSID
	return ap.sid, nil
}

func (w *World) startedTransfer() (*transferState, error) {
	if w.transfer.transferSID == "" {
		return nil, errors.New("no transfer was started")
	}
	return &w.transfer, nil
}

func (w *World) endTransfer(ctx context.Context, _ string, verb string) error {
	s, err := w.startedTransfer()
	if err != nil {
		return err
	}
	status := map[string]string{"completes": "completed", "cancels": "failed"}[verb]
	_, err = w.Twilio.FlexV1.UpdateInteractionTransfer(s.interactionSID, s.channelSID, s.transferSID,
		(&flexapi.UpdateInteractionTransferParams{}).SetBody(map[string]any{"status": status}))
	return err
}

func (w *World) transferShouldBe(ctx context.Context, want string) error {
	s, err := w.startedTransfer()
	if err != nil {
		return err
	}
	tr, err := w.Twilio.FlexV1.FetchInteractionTransfer(s.interactionSID, s.channelSID, s.transferSID)
	if err != nil {
		return err
	}
	if got := str(tr.Status); got != want {
		return fmt.Errorf("transfer %s is %q, want %q", s.transferSID, got, want)
	}
	return nil
}

func (w *World) originalTaskShouldBe(ctx context.Context, want string) error {
	if w.transfer.originalTask == "" {
		return errors.New("no transfer was started")
	}
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	t, err := w.Twilio.TaskrouterV1.FetchTask(ws, w.transfer.originalTask)
	if err != nil {
		return err
	}
	if got := str(t.AssignmentStatus); got != want {
		return fmt.Errorf("original task %s is %q, want %q", w.transfer.originalTask, got, want)
	}
	return nil
}

// targetSID is the SID of a worker or a queue named by friendly name.
func (w *World) targetSID(kind, name string) (string, error) {
	if kind == "worker" {
		_, sid, err := w.workerSID(name)
		return sid, err
	}
	return w.queueSID(name)
}

// followInvite makes the channel's newest invite's task "the task".
func (w *World) followInvite() error {
	s := &w.transfer
	invs, err := w.Twilio.FlexV1.ListInteractionChannelInvite(s.interactionSID, s.channelSID, nil)
	if err != nil {
		return err
	}
	if len(invs) == 0 || invs[len(invs)-1].Routing == nil {
		return fmt.Errorf("interaction channel %s has no invite", s.channelSID)
	}
	raw, _ := json.Marshal(*invs[len(invs)-1].Routing)
	var r struct {
		Properties struct {
			SID string `json:"sid"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Properties.SID == "" {
		return fmt.Errorf("invite routing without a task: %s", raw)
	}
	w.taskSID = r.Properties.SID
	return nil
}

func (w *World) transferConversation(ctx context.Context, worker, mode, kind, name string) error {
	if mode == "" {
		mode = "cold"
	}
	from, err := w.transferFrom(worker)
	if err != nil {
		return err
	}
	to, err := w.targetSID(kind, name)
	if err != nil {
		return err
	}
	s := &w.transfer
	tr, err := w.Twilio.FlexV1.CreateInteractionTransfer(s.interactionSID, s.channelSID,
		(&flexapi.CreateInteractionTransferParams{}).SetBody(map[string]any{"type": mode, "from": from, "to": to}))
	if err != nil {
		return err
	}
	s.transferSID = str(tr.Sid)
	return w.followInvite()
}

// inviteToConversation is the invite-based transfer of Flex plugins: an
// invite on the channel carrying the worker's task attributes and the
// target, routed through the task's workflow to the target.
func (w *World) inviteToConversation(ctx context.Context, worker, kind, name string) error {
	if _, err := w.transferFrom(worker); err != nil {
		return err
	}
	to, err := w.targetSID(kind, name)
	if err != nil {
		return err
	}
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	s := &w.transfer
	t, err := w.Twilio.TaskrouterV1.FetchTask(ws, s.originalTask)
	if err != nil {
		return err
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(str(t.Attributes)), &attrs); err != nil {
		return err
	}
	attrs["transferTargetSid"], attrs["transferTargetType"] = to, kind
	if kind == "queue" {
		attrs["transferQueueName"] = name
	}
	props := map[string]any{"workspace_sid": ws, "workflow_sid": str(t.WorkflowSid),
		"task_channel_unique_name": str(t.TaskChannelUniqueName), "attributes": attrs}
	props[kind+"_sid"] = to
	if _, err := w.Twilio.FlexV1.CreateInteractionChannelInvite(s.interactionSID, s.channelSID,
		(&flexapi.CreateInteractionChannelInviteParams{}).SetRouting(map[string]any{"properties": props})); err != nil {
		return err
	}
	return w.followInvite()
}
