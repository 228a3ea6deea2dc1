package flex

import (
	"fmt"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Interactions created by Flex: a Channel with participants[] and no
// properties.media_channel_sid asks Flex to open the conversation itself
// (the agent-initiated outbound case), with one messaging binding per
// participant; and routing.properties may name a worker_sid or queue_sid,
// which become the task's RoutingTarget (workflow_sid optional when the
// workspace has exactly one workflow).

// validateChannelParticipants checks participants[] of a Channel that names
// no conversation.
func validateChannelParticipants(c ChannelParams) error {
	if len(c.Participants) == 0 {
		return twilio.InvalidParam("Channel", "properties.media_channel_sid or participants[] is required")
	}
	for i, p := range c.Participants {
		if p.Address == "" {
			return twilio.InvalidParam("Channel", "participants[%d].address is required", i)
		}
		if p.ProxyAddress == "" {
			return twilio.InvalidParam("Channel", "participants[%d].proxy_address is required", i)
		}
		if p.Type != "" && p.Type != c.Type {
			return twilio.InvalidParam("Channel", "participants[%d].type %q differs from the channel type %q", i, p.Type, c.Type)
		}
	}
	return nil
}

// validateRoutingTarget checks what routing.properties names to route to.
func validateRoutingTarget(param string, r RoutingParams) error {
	if r.WorkflowSID == "" && r.WorkspaceSID == "" {
		return twilio.InvalidParam(param, "properties.workflow_sid is required (or properties.workspace_sid, when the workspace has exactly one workflow)")
	}
	if r.WorkerSID != "" && !twilio.IsSID(r.WorkerSID, "WK") {
		return twilio.InvalidParam(param, "properties.worker_sid %q is not a Worker SID (WK…)", r.WorkerSID)
	}
	if r.QueueSID != "" && !twilio.IsSID(r.QueueSID, "WQ") {
		return twilio.InvalidParam(param, "properties.queue_sid %q is not a TaskQueue SID (WQ…)", r.QueueSID)
	}
	return nil
}

// channelConversation is the conversation a Channel binds to: the one
// media_channel_sid names, or one Flex opens with the participants.
func (e *Engine) channelConversation(ch ChannelParams) (ConversationInfo, error) {
	if sid := ch.Properties.MediaChannelSID; sid != "" {
		conv, err := e.conv.Conversation(sid)
		if err != nil {
			return ConversationInfo{}, fmt.Errorf("flex: looking up conversation %s: %w", sid, err)
		}
		return conv, nil
	}
	op, ok := e.conv.(ConversationOpener)
	if !ok {
		return ConversationInfo{}, twilio.InvalidParam("Channel", "properties.media_channel_sid is required")
	}
	p := OpenConversationParams{Participants: make([]OpenParticipant, 0, len(ch.Participants))}
	for _, cp := range ch.Participants {
		p.Participants = append(p.Participants, OpenParticipant{Address: cp.Address, ProxyAddress: cp.ProxyAddress})
	}
	opened, err := op.OpenConversation(p)
	if err != nil {
		return ConversationInfo{}, fmt.Errorf("flex: opening a conversation for participants[]: %w", err)
	}
	e.env.Record(product, "conversation.opened", opened.SID,
		"flex opened conversation "+opened.SID+" for an interaction with "+ch.Participants[0].Address,
		map[string]string{"conversation_sid": opened.SID, "address": ch.Participants[0].Address,
			"proxy_address": ch.Participants[0].ProxyAddress})
	return opened.ConversationInfo, nil
}

// discardOpened removes a conversation Flex opened for participants[] when
// the interaction could not be created after all.
func (e *Engine) discardOpened(ch ChannelParams, conversationSID string) {
	if ch.Properties.MediaChannelSID != "" || conversationSID == "" {
		return
	}
	if op, ok := e.conv.(ConversationOpener); ok {
		op.DiscardConversation(conversationSID)
	}
}
