package flex

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Interaction Channel statuses (interaction_channel_enum_channel_status).
const (
	StatusActive   = "active"
	StatusClosed   = "closed"
	StatusInactive = "inactive"
)

// Channel is an Interaction Channel (UO…): the interaction's binding to one
// conversation, and the set of tasks routed for it (one per invite).
type Channel struct {
	SID             string
	InteractionSID  string
	Type            string
	Status          string
	ConversationSID string
	ErrorCode       *int
	ErrorMessage    string
	DateCreated     time.Time
	DateUpdated     time.Time

	invites      []*Invite
	participants []*Participant
}

// ChannelClosed is what the OnChannelClosed hook receives.
type ChannelClosed struct {
	InteractionSID  string
	ChannelSID      string
	ConversationSID string
	Status          string   // "closed" or "inactive"
	TaskStatus      string   // what the channel's tasks were moved to: "wrapping" or "completed"
	TaskSIDs        []string // tasks moved by this close
}

// UpdateChannelParams are the inputs of UpdateChannel.
type UpdateChannelParams struct {
	Status string // closed | inactive
	// RoutingStatus is Routing.status: "closed" completes the tasks, "wrapup"
	// or "" sends them to wrapping. Required ("closed") for inactive.
	RoutingStatus string
}

// channel returns the channel of an interaction, or Twilio's 404.
func (e *Engine) channel(interactionSID, channelSID string) (*Channel, error) {
	ch, ok := e.channels[channelSID]
	if !ok || ch.InteractionSID != interactionSID {
		return nil, twilio.NotFound(fmt.Sprintf("/Interactions/%s/Channels/%s", interactionSID, channelSID))
	}
	return ch, nil
}

// Channel returns one interaction channel.
func (e *Engine) Channel(interactionSID, channelSID string) (Channel, error) {
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Channel{}, err
	}
	return *ch, nil
}

// Channels lists an interaction's channels.
func (e *Engine) Channels(interactionSID string) ([]Channel, error) {
	in, ok := e.interactions[interactionSID]
	if !ok {
		return nil, twilio.NotFound("/Interactions/" + interactionSID)
	}
	return []Channel{*e.channels[in.ChannelSID]}, nil
}

// ChannelForTask returns the channel a task was created for, so the account
// can tell Flex conversation tasks from other tasks.
func (e *Engine) ChannelForTask(taskSID string) (Channel, bool) {
	sid, ok := e.taskChannel[taskSID]
	if !ok {
		return Channel{}, false
	}
	return *e.channels[sid], true
}

// UpdateChannel closes or parks a channel and moves its open tasks to
// wrapping (default) or completed (Routing status "closed").
func (e *Engine) UpdateChannel(interactionSID, channelSID string, p UpdateChannelParams) (Channel, error) {
	switch p.Status {
	case StatusClosed, StatusInactive:
	case "":
		return Channel{}, twilio.MissingParam("Status")
	default:
		return Channel{}, twilio.InvalidParam("Status", "%q is not one of closed, inactive", p.Status)
	}
	switch p.RoutingStatus {
	case "", "closed", "wrapup":
	default:
		return Channel{}, twilio.InvalidParam("Routing", "status %q is not one of closed, wrapup", p.RoutingStatus)
	}
	if p.Status == StatusInactive && p.RoutingStatus != "closed" {
		return Channel{}, twilio.InvalidParam("Routing", `status "closed" is required when the channel status is inactive`)
	}
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Channel{}, err
	}
	if ch.Status == StatusClosed {
		if p.Status == StatusClosed {
			return *ch, nil // closing twice is harmless
		}
		return Channel{}, twilio.BadRequest("Interaction Channel %s is closed and cannot be set to %s", ch.SID, p.Status)
	}
	taskStatus := "wrapping"
	if p.RoutingStatus == "closed" {
		taskStatus = "completed"
	}
	moved, err := e.moveTasks(ch, taskStatus, "Interaction Channel "+p.Status)
	if err != nil {
		return Channel{}, err
	}
	e.setChannelStatus(ch, p.Status, taskStatus, moved)
	return *ch, nil
}

// moveTasks moves every task of ch that has not reached status yet.
func (e *Engine) moveTasks(ch *Channel, status, reason string) ([]string, error) {
	var moved []string
	for _, inv := range ch.invites {
		if inv.TaskStatus == "completed" || inv.TaskStatus == status {
			continue
		}
		if err := e.tr.UpdateTaskStatus(inv.Task.WorkspaceSID, inv.Task.SID, status, reason); err != nil {
			return moved, fmt.Errorf("flex: moving task %s to %s: %w", inv.Task.SID, status, err)
		}
		inv.TaskStatus = status
		moved = append(moved, inv.Task.SID)
	}
	return moved, nil
}

// setChannelStatus records a channel's move to closed or inactive and runs
// the hook.
func (e *Engine) setChannelStatus(ch *Channel, status, taskStatus string, moved []string) {
	ch.Status = status
	ch.DateUpdated = e.env.Now()
	e.env.Record(product, "channel."+status, ch.SID,
		fmt.Sprintf("interaction channel %s %s; %d task(s) → %s", ch.SID, status, len(moved), taskStatus),
		map[string]string{"interaction_sid": ch.InteractionSID, "conversation_sid": ch.ConversationSID,
			"task_status": taskStatus})
	if e.onChannelClosed != nil {
		e.onChannelClosed(ChannelClosed{InteractionSID: ch.InteractionSID, ChannelSID: ch.SID,
			ConversationSID: ch.ConversationSID, Status: status, TaskStatus: taskStatus, TaskSIDs: moved})
	}
}
