package flex

import (
	"fmt"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Participant is an Interaction Channel Participant (UT…).
type Participant struct {
	SID            string
	InteractionSID string
	ChannelSID     string
	Type           string // supervisor, customer, external, agent, unknown
	// Status is "active", "wrapup" or "closed" (Twilio does not expose it).
	Status            string
	MediaProperties   map[string]any
	RoutingProperties map[string]any // agent: task_sid, worker_sid, reservation_sid
	DateCreated       time.Time
	DateUpdated       time.Time

	// The customer participant an interaction starts with stores no
	// MediaProperties map (participants created through the API always
	// have one): view builds {conversationSid, address} from its channel
	// and customerAddress.
	customerAddress string
}

// view is the participant as the engine hands it out: a copy, carrying the
// customer's media properties.
func (p *Participant) view(ch *Channel) Participant {
	out := *p
	if p.MediaProperties == nil && p.Type == "customer" {
		out.MediaProperties = map[string]any{"conversationSid": ch.ConversationSID, "address": p.customerAddress}
	}
	return out
}

// participantTypes is the interaction_channel_participant_enum_type enum.
var participantTypes = []string{"supervisor", "customer", "external", "agent", "unknown"}

// CreateParticipantParams are the inputs of CreateParticipant.
type CreateParticipantParams struct {
	Type              string
	MediaProperties   map[string]any // required
	RoutingProperties map[string]any // optional
}

// ParticipantUpdated is what the OnParticipantUpdated hook receives.
type ParticipantUpdated struct {
	InteractionSID  string
	ChannelSID      string
	ParticipantSID  string
	ConversationSID string
	// ConversationParticipantSID is the agent's MB… in the conversation ("" if
	// the participant was not added by ReservationAccepted).
	ConversationParticipantSID string
	Type                       string
	Status                     string // wrapup or closed
	TaskSID                    string
	// ActiveAgents counts the channel's agent participants still active and
	// the agents its open invites still wait for (a transfer in flight), so
	// the conversation is not closed under a transfer.
	ActiveAgents int
}

// ReservationAccepted is the TaskRouter event the account forwards to Flex.
type ReservationAccepted struct {
	WorkspaceSID, TaskSID, ReservationSID, WorkerSID, WorkerName string
	WorkerAttributes                                             map[string]any
	TaskAttributes                                               map[string]any
}

// addParticipant stores and records a participant.
func (e *Engine) addParticipant(ch *Channel, p *Participant) {
	ch.participants = append(ch.participants, p)
	refs := map[string]string{"interaction_sid": ch.InteractionSID, "channel_sid": ch.SID,
		"conversation_sid": ch.ConversationSID, "type": p.Type}
	for _, k := range []string{"task_sid", "worker_sid", "reservation_sid"} {
		if v, ok := p.RoutingProperties[k].(string); ok {
			refs[k] = v
		}
	}
	e.env.Record(product, "participant.created", p.SID,
		p.Type+" participant "+p.SID+" joined interaction channel "+ch.SID, refs)
}

// CreateParticipant adds a participant record to a channel. It only records
// the participant; it does not change the conversation.
func (e *Engine) CreateParticipant(interactionSID, channelSID string, p CreateParticipantParams) (Participant, error) {
	if p.Type == "" {
		return Participant{}, twilio.MissingParam("Type")
	}
	if !contains(participantTypes, p.Type) {
		return Participant{}, twilio.InvalidParam("Type", "%q is not one of %s", p.Type, strings.Join(participantTypes, ", "))
	}
	if p.MediaProperties == nil {
		return Participant{}, twilio.MissingParam("MediaProperties")
	}
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Participant{}, err
	}
	if ch.Status == StatusClosed {
		return Participant{}, twilio.BadRequest("Interaction Channel %s is closed", ch.SID)
	}
	now := e.env.Now()
	pt := &Participant{SID: twilio.NewSID("UT"), InteractionSID: interactionSID, ChannelSID: channelSID,
		Type: p.Type, Status: "active", MediaProperties: p.MediaProperties, RoutingProperties: p.RoutingProperties,
		DateCreated: now, DateUpdated: now}
	e.addParticipant(ch, pt)
	return *pt, nil
}

// Participants lists a channel's participants in creation order.
func (e *Engine) Participants(interactionSID, channelSID string) ([]Participant, error) {
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return nil, err
	}
	out := make([]Participant, 0, len(ch.participants))
	for _, p := range ch.participants {
		out = append(out, p.view(ch))
	}
	return out, nil
}

// UpdateParticipant sets a participant to wrapup (its task → wrapping) or
// closed (its task → completed). When the last open task of the channel is
// completed the channel closes.
func (e *Engine) UpdateParticipant(interactionSID, channelSID, participantSID, status string) (Participant, error) {
	switch status {
	case "wrapup", "closed":
	case "":
		return Participant{}, twilio.MissingParam("Status")
	default:
		return Participant{}, twilio.InvalidParam("Status", "%q is not one of closed, wrapup", status)
	}
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Participant{}, err
	}
	var pt *Participant
	for _, p := range ch.participants {
		if p.SID == participantSID {
			pt = p
		}
	}
	if pt == nil {
		return Participant{}, twilio.NotFound(fmt.Sprintf("/Interactions/%s/Channels/%s/Participants/%s",
			interactionSID, channelSID, participantSID))
	}
	if pt.Status == "closed" {
		if status == "closed" {
			return pt.view(ch), nil
		}
		return Participant{}, twilio.BadRequest("Participant %s is closed and cannot be set to %s", pt.SID, status)
	}
	taskSID, _ := pt.RoutingProperties["task_sid"].(string)
	taskStatus := map[string]string{"wrapup": "wrapping", "closed": "completed"}[status]
	if inv := inviteForTask(ch, taskSID); inv != nil && inv.TaskStatus != "completed" && inv.TaskStatus != taskStatus {
		if err := e.tr.UpdateTaskStatus(inv.Task.WorkspaceSID, inv.Task.SID, taskStatus, "Participant "+status); err != nil {
			return Participant{}, fmt.Errorf("flex: moving task %s to %s: %w", inv.Task.SID, taskStatus, err)
		}
		inv.TaskStatus = taskStatus
	}
	pt.Status = status
	pt.DateUpdated = e.env.Now()
	e.env.Record(product, "participant."+status, pt.SID,
		fmt.Sprintf("%s participant %s set to %s", pt.Type, pt.SID, status),
		map[string]string{"interaction_sid": ch.InteractionSID, "channel_sid": ch.SID,
			"conversation_sid": ch.ConversationSID, "task_sid": taskSID})
	if e.onParticipantUpdated != nil {
		mb, _ := pt.MediaProperties["participantSid"].(string)
		e.onParticipantUpdated(ParticipantUpdated{InteractionSID: ch.InteractionSID, ChannelSID: ch.SID,
			ParticipantSID: pt.SID, ConversationSID: ch.ConversationSID, ConversationParticipantSID: mb,
			Type: pt.Type, Status: status, TaskSID: taskSID, ActiveAgents: activeAgents(ch) + awaitedAgents(ch)})
	}
	if status == "closed" && ch.Status != StatusClosed && allTasksCompleted(ch) {
		e.setChannelStatus(ch, StatusClosed, "completed", nil)
	}
	return pt.view(ch), nil
}

func inviteForTask(ch *Channel, taskSID string) *Invite {
	if taskSID == "" {
		return nil
	}
	for _, inv := range ch.invites {
		if inv.Task.SID == taskSID {
			return inv
		}
	}
	return nil
}

func activeAgents(ch *Channel) int {
	n := 0
	for _, p := range ch.participants {
		if p.Type == "agent" && p.Status == "active" {
			n++
		}
	}
	return n
}

func allTasksCompleted(ch *Channel) bool {
	for _, inv := range ch.invites {
		if inv.TaskStatus != "completed" {
			return false
		}
	}
	return true
}

// ReservationAccepted puts the accepting agent into the conversation when the
// task belongs to one of this engine's channels (found by the task's
// flexInteractionChannelSid attribute, else by task SID): the worker's
// identity (contact_uri without "client:", else its friendly name) joins the
// conversation through Conversations.AddAgent and an agent Participant is
// recorded. Other tasks and repeated events are ignored (nil error).
func (e *Engine) ReservationAccepted(ev ReservationAccepted) error {
	var ch *Channel
	if sid, ok := ev.TaskAttributes[attrChannelSID].(string); ok {
		ch = e.channels[sid]
	}
	if ch == nil {
		ch = e.channels[e.taskChannel[ev.TaskSID]]
	}
	if ch == nil {
		return nil
	}
	for _, p := range ch.participants {
		if p.Type == "agent" && p.RoutingProperties["reservation_sid"] == ev.ReservationSID {
			return nil
		}
	}
	if ch.Status == StatusClosed {
		return twilio.BadRequest("Interaction Channel %s is closed; reservation %s cannot join it", ch.SID, ev.ReservationSID)
	}
	identity := ev.WorkerName
	if uri, ok := ev.WorkerAttributes["contact_uri"].(string); ok && strings.TrimSpace(uri) != "" {
		identity = strings.TrimPrefix(strings.TrimSpace(uri), "client:")
	}
	if identity == "" {
		return twilio.BadRequest("worker %s has neither contact_uri nor a friendly name", ev.WorkerSID)
	}
	mb, err := e.conv.AddAgent(ch.ConversationSID, identity)
	if err != nil {
		return fmt.Errorf("flex: adding agent %s to conversation %s: %w", identity, ch.ConversationSID, err)
	}
	now := e.env.Now()
	pt := &Participant{SID: twilio.NewSID("UT"), InteractionSID: ch.InteractionSID, ChannelSID: ch.SID, Type: "agent",
		Status: "active",
		MediaProperties: map[string]any{"conversationSid": ch.ConversationSID, "participantSid": mb,
			"identity": identity},
		RoutingProperties: map[string]any{"task_sid": ev.TaskSID, "worker_sid": ev.WorkerSID,
			"reservation_sid": ev.ReservationSID},
		DateCreated: now, DateUpdated: now}
	e.addParticipant(ch, pt)
	e.env.Record(product, "agent.joined", pt.SID,
		fmt.Sprintf("agent %s joined conversation %s as %s", identity, ch.ConversationSID, mb),
		map[string]string{"interaction_sid": ch.InteractionSID, "channel_sid": ch.SID,
			"conversation_sid": ch.ConversationSID, "conversation_participant_sid": mb, "task_sid": ev.TaskSID,
			"worker_sid": ev.WorkerSID, "worker_name": ev.WorkerName, "reservation_sid": ev.ReservationSID})
	e.transferAccepted(ev.TaskSID, pt)
	return nil
}
