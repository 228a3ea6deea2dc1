package flex

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Invite is an Interaction Channel Invite (KG…): one request to route the
// channel to an agent, i.e. one TaskRouter task.
type Invite struct {
	SID            string
	InteractionSID string
	ChannelSID     string
	// Task is the invite's task as created (shared, read-only).
	Task *TaskInfo
	// TaskStatus is where Flex last moved the task: "" (routing/assigned),
	// "wrapping" or "completed".
	TaskStatus  string
	DateCreated time.Time
}

// addInvite stores an invite for a task just created and records it.
func (e *Engine) addInvite(ch *Channel, sid string, task *TaskInfo, now time.Time) *Invite {
	inv := &Invite{SID: sid, InteractionSID: ch.InteractionSID, ChannelSID: ch.SID, Task: task, DateCreated: now}
	ch.invites = append(ch.invites, inv)
	e.taskChannel[task.SID] = ch.SID
	e.env.Record(product, "invite.created", sid,
		"invite "+sid+" routes channel "+ch.SID+" as task "+task.SID,
		map[string]string{"interaction_sid": ch.InteractionSID, "channel_sid": ch.SID, "task_sid": task.SID,
			"conversation_sid": ch.ConversationSID, "workflow_sid": task.WorkflowSID, "workflow_name": task.WorkflowName})
	return inv
}

// CreateInvite routes a channel again (transfer, re-route or resuming a
// parked chat): a new task whose attributes are the caller's plus Flex's SID
// keys (the original task's attributes are not carried over, as on Twilio).
// An inactive channel becomes active again.
func (e *Engine) CreateInvite(interactionSID, channelSID string, r RoutingParams) (Invite, error) {
	if err := validateRouting("Routing", r); err != nil {
		return Invite{}, err
	}
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Invite{}, err
	}
	if ch.Status == StatusClosed {
		return Invite{}, twilio.BadRequest("Interaction Channel %s is closed", ch.SID)
	}
	ws, err := e.resolveWorkspace("Routing", r)
	if err != nil {
		return Invite{}, err
	}
	sid := twilio.NewSID("KG")
	attrs := mergeAttributes(make(map[string]any, len(r.Attributes)+4), r.Attributes)
	setSIDAttributes(attrs, ch.ConversationSID, ch.InteractionSID, ch.SID, sid)
	task, err := e.createTask(ws, r, attrs)
	if err != nil {
		return Invite{}, err
	}
	now := e.env.Now()
	if ch.Status != StatusActive {
		ch.Status = StatusActive
		ch.DateUpdated = now
		e.env.Record(product, "channel.active", ch.SID, fmt.Sprintf("interaction channel %s active again", ch.SID),
			map[string]string{"interaction_sid": ch.InteractionSID, "conversation_sid": ch.ConversationSID})
	}
	return *e.addInvite(ch, sid, task, now), nil
}

// Invites lists a channel's invites in creation order.
func (e *Engine) Invites(interactionSID, channelSID string) ([]Invite, error) {
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return nil, err
	}
	out := make([]Invite, 0, len(ch.invites))
	for _, inv := range ch.invites {
		out = append(out, *inv)
	}
	return out, nil
}

// awaitedAgents counts a channel's invites whose task is still open and
// has no agent yet: the agents a transfer or re-route is waiting for.
func awaitedAgents(ch *Channel) int {
	n := 0
	for _, inv := range ch.invites {
		if inv.TaskStatus != "" {
			continue
		}
		joined := false
		for _, p := range ch.participants {
			if p.Type == "agent" && p.RoutingProperties["task_sid"] == inv.Task.SID {
				joined = true
				break
			}
		}
		if !joined {
			n++
		}
	}
	return n
}
