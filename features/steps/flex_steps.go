package steps

import (
	"context"
	"encoding/json"
	"fmt"

	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
)

// Steps for what the Flex UI does when an agent ends a chat: it updates the
// agent's Interaction Channel Participant (wrapup, then closed).
var flexSteps = []stepDef{
	{pattern: `^worker "([^"]+)" (wraps up|completes) the conversation$`, fn: (*World).workerEndsConversation,
		doc: "as the Flex UI does: the worker's agent participant of the task's Interaction Channel goes to wrapup, or closed"},
	{pattern: `^"([^"]+)" should not be a participant of the conversation$`, fn: (*World).notParticipantOfConversation,
		doc: "the identity is not (or no longer) a participant of the scenario's conversation"},
}

func (w *World) workerEndsConversation(ctx context.Context, worker, verb string) error {
	status := map[string]string{"wraps up": "wrapup", "completes": "closed"}[verb]
	ap, err := w.agentParticipant(worker)
	if err != nil {
		return err
	}
	_, err = w.Twilio.FlexV1.UpdateInteractionChannelParticipant(ap.interactionSID, ap.channelSID, ap.sid,
		(&flexapi.UpdateInteractionChannelParticipantParams{}).SetStatus(status))
	return err
}

func (w *World) notParticipantOfConversation(ctx context.Context, identity string) error {
	parts, err := w.Twilio.ConversationsV1.ListConversationParticipant(w.conversationSID, nil)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.Identity != nil && *p.Identity == identity {
			return fmt.Errorf("%q is still a participant of %s", identity, w.conversationSID)
		}
	}
	return nil
}

// agentParticipantRef is a worker's agent participant in the Interaction
// Channel of "the task", and the worker's own task there.
type agentParticipantRef struct {
	interactionSID, channelSID, sid string
	taskSID                         string
}

// agentParticipant finds the interaction channel of "the task" and worker's
// agent participant in it.
func (w *World) agentParticipant(worker string) (agentParticipantRef, error) {
	_, workerSID, err := w.workerSID(worker)
	if err != nil {
		return agentParticipantRef{}, err
	}
	t, err := w.lastTask()
	if err != nil {
		return agentParticipantRef{}, err
	}
	kd, _ := attribute(str(t.Attributes), "flexInteractionSid")
	uo, _ := attribute(str(t.Attributes), "flexInteractionChannelSid")
	if kd == "" || uo == "" {
		return agentParticipantRef{}, fmt.Errorf("task %s is not a Flex interaction task: %s", *t.Sid, str(t.Attributes))
	}
	parts, err := w.Twilio.FlexV1.ListInteractionChannelParticipant(kd, uo, nil)
	if err != nil {
		return agentParticipantRef{}, err
	}
	for _, p := range parts {
		if str(p.Type) != "agent" || p.RoutingProperties == nil {
			continue
		}
		raw, _ := json.Marshal(*p.RoutingProperties)
		var rp struct {
			WorkerSID string `json:"worker_sid"`
			TaskSID   string `json:"task_sid"`
		}
		if json.Unmarshal(raw, &rp) == nil && rp.WorkerSID == workerSID {
			return agentParticipantRef{interactionSID: kd, channelSID: uo, sid: *p.Sid, taskSID: rp.TaskSID}, nil
		}
	}
	return agentParticipantRef{}, fmt.Errorf("worker %s is not an agent participant of interaction channel %s (%d participants)", worker, uo, len(parts))
}
