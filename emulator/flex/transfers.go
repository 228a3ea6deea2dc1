package flex

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Interaction Transfer types (interaction_transfer_enum_transfer_type) and
// statuses (interaction_transfer_enum_transfer_status).
const (
	TransferCold     = "cold"
	TransferWarm     = "warm"
	TransferExternal = "external"

	TransferActive    = "active"
	TransferCompleted = "completed"
	TransferFailed    = "failed"
)

// Transfer is an Interaction Transfer (UX…): an agent handing the channel to
// a worker, a queue or a workflow. It routes the channel once more (a new
// Invite, i.e. a new TaskRouter task carrying the transferring task's
// attributes); when the target's reservation is accepted the new agent joins
// the conversation, and the transferring agent leaves it (cold: at once;
// warm: when the transfer is completed), their task going to wrapping.
//
// Status: active until the target agent has joined and the transferring
// agent has left (completed), or until the transfer task is canceled or
// times out, or the transfer is set to failed before it is accepted
// (failed).
type Transfer struct {
	SID            string
	AccountSID     string
	InstanceSID    string // the Flex instance, GO…
	InteractionSID string
	ChannelSID     string
	Type           string // cold or warm
	Status         string // active, completed or failed
	From           string // the transferring agent participant, UT…
	To             string // the target: WK…, WQ… or WW…
	// TargetType is "worker", "queue" or "workflow"; TargetName the worker's
	// or queue's friendly name when known.
	TargetType, TargetName string
	InviteSID              string // the Invite (KG…) routing the transfer
	TaskSID                string // its task (WT…)
	FromTaskSID            string // the transferring agent's task
	// Joined is the participant (UT…) the accepting agent joined as; "" until
	// the transfer is accepted.
	Joined      string
	DateCreated time.Time
	DateUpdated time.Time
}

// CreateTransferParams are the inputs of CreateTransfer: the JSON body of
// POST …/Transfers.
type CreateTransferParams struct {
	Type string // cold (default) or warm
	// From is the transferring agent participant (UT…); optional when the
	// channel has exactly one active agent.
	From string
	// To is the target: a worker (WK…), a queue (WQ…) or a workflow (WW…).
	To string
	// WorkflowSID routes a worker or queue transfer's task (it is passed on
	// with the target as its RoutingTarget); default the transferring task's.
	WorkflowSID string
	// Attributes are merged into the copy of the transferring task's.
	Attributes map[string]any
	// Priority and Timeout default to the transferring task's.
	Priority, Timeout *int
}

// transferState is the engine's transfers, created on first use.
type transferState struct {
	bySID       map[string]*Transfer
	byTask      map[string]*Transfer // transfer task SID → transfer
	instanceSID string
}

func (e *Engine) transferMaps() *transferState {
	s := &e.transfers
	if s.bySID == nil {
		s.bySID, s.byTask = map[string]*Transfer{}, map[string]*Transfer{}
		s.instanceSID = twilio.NewSID("GO")
	}
	return s
}

// transfer returns a channel's transfer, or Twilio's 404.
func (e *Engine) transfer(interactionSID, channelSID, sid string) (*Transfer, error) {
	t, ok := e.transferMaps().bySID[sid]
	if !ok || t.InteractionSID != interactionSID || t.ChannelSID != channelSID {
		return nil, twilio.NotFound(fmt.Sprintf("/Interactions/%s/Channels/%s/Transfers/%s", interactionSID, channelSID, sid))
	}
	return t, nil
}

// CreateTransfer starts a cold or warm transfer of a channel from one of its
// agents to a worker, queue or workflow: a new Invite whose task carries the
// transferring task's attributes plus transferTargetType, transferTargetSid
// and (queues) transferQueueName, routed to the target (RoutingTarget; a
// workflow target is the task's workflow).
func (e *Engine) CreateTransfer(interactionSID, channelSID string, p CreateTransferParams) (Transfer, error) {
	switch p.Type {
	case "":
		p.Type = TransferCold
	case TransferCold, TransferWarm:
	case TransferExternal:
		return Transfer{}, twilio.InvalidParam("Type", "external transfers are not supported by the emulator")
	default:
		return Transfer{}, twilio.InvalidParam("Type", "%q is not one of cold, warm, external", p.Type)
	}
	targetType := ""
	switch {
	case p.To == "":
		return Transfer{}, twilio.MissingParam("To")
	case twilio.IsSID(p.To, "WK"):
		targetType = "worker"
	case twilio.IsSID(p.To, "WQ"):
		targetType = "queue"
	case twilio.IsSID(p.To, "WW"):
		targetType = "workflow"
	default:
		return Transfer{}, twilio.InvalidParam("To", "%q is not a Worker (WK…), TaskQueue (WQ…) or Workflow (WW…) SID", p.To)
	}
	if p.WorkflowSID != "" && !twilio.IsSID(p.WorkflowSID, "WW") {
		return Transfer{}, twilio.InvalidParam("WorkflowSid", "%q is not a Workflow SID", p.WorkflowSID)
	}
	if p.Priority != nil && *p.Priority < 0 {
		return Transfer{}, twilio.InvalidParam("Priority", "must not be negative")
	}
	if p.Timeout != nil && *p.Timeout < 1 {
		return Transfer{}, twilio.InvalidParam("Timeout", "must be at least 1 second")
	}
	ch, err := e.channel(interactionSID, channelSID)
	if err != nil {
		return Transfer{}, err
	}
	if ch.Status != StatusActive {
		return Transfer{}, twilio.BadRequest("Interaction Channel %s is %s and cannot be transferred", ch.SID, ch.Status)
	}
	from, err := transferringAgent(ch, p.From)
	if err != nil {
		return Transfer{}, err
	}
	fromTaskSID, _ := from.RoutingProperties["task_sid"].(string)
	inv := inviteForTask(ch, fromTaskSID)
	if inv == nil {
		return Transfer{}, twilio.BadRequest("Participant %s has no task on Interaction Channel %s", from.SID, ch.SID)
	}
	st := e.transferMaps()
	for _, t := range st.bySID {
		if t.ChannelSID == ch.SID && t.From == from.SID && t.Status == TransferActive {
			return Transfer{}, twilio.Conflict(twilio.CodeConflict,
				"Participant %s already has an active transfer %s", from.SID, t.SID)
		}
	}
	src := inv.Task
	if targetType == "worker" && p.To == from.RoutingProperties["worker_sid"] {
		return Transfer{}, twilio.InvalidParam("To", "worker %s is the transferring agent", p.To)
	}
	name := ""
	if namer, ok := e.tr.(TargetNamer); ok && targetType != "workflow" {
		if name, err = namer.TargetName(src.WorkspaceSID, p.To); err != nil {
			return Transfer{}, fmt.Errorf("flex: transfer target %s: %w", p.To, err)
		}
	}
	wf := p.WorkflowSID
	if wf == "" {
		wf = src.WorkflowSID
	}
	if targetType == "workflow" {
		wf = p.To
	}
	ws, err := e.tr.WorkspaceOfWorkflow(wf)
	if err != nil {
		return Transfer{}, fmt.Errorf("flex: resolving workflow %s: %w", wf, err)
	}
	if ws != src.WorkspaceSID {
		return Transfer{}, twilio.InvalidParam("WorkflowSid", "workflow %s is not in workspace %s", wf, src.WorkspaceSID)
	}

	// The new task: the transferring task's attributes, the caller's, the
	// transfer keys and Flex's SID keys (the new invite's).
	attrs := map[string]any{}
	if strings.TrimSpace(src.Attributes) != "" {
		if err := json.Unmarshal([]byte(src.Attributes), &attrs); err != nil || attrs == nil {
			attrs = map[string]any{}
		}
	}
	attrs = mergeAttributes(attrs, p.Attributes)
	attrs["transferTargetType"] = targetType
	attrs["transferTargetSid"] = p.To
	if targetType == "queue" && name != "" {
		attrs["transferQueueName"] = name
	}
	sid, kg := twilio.NewSID("UX"), twilio.NewSID("KG")
	setSIDAttributes(attrs, ch.ConversationSID, ch.InteractionSID, ch.SID, kg)
	text, err := json.Marshal(attrs)
	if err != nil {
		return Transfer{}, fmt.Errorf("flex: encoding task attributes: %w", err)
	}
	prio, timeout := p.Priority, p.Timeout
	if prio == nil {
		prio = &src.Priority
	}
	if timeout == nil && src.Timeout > 0 {
		timeout = &src.Timeout
	}
	spec := TaskSpec{WorkspaceSID: ws, WorkflowSID: wf, TaskChannel: src.TaskChannelUniqueName,
		Attributes: string(text), Priority: prio, Timeout: timeout}
	if spec.TaskChannel == "" {
		spec.TaskChannel = src.TaskChannelSID
	}
	if targetType != "workflow" {
		spec.RoutingTarget = p.To
	}
	task, err := e.tr.CreateTask(spec)
	if err != nil {
		return Transfer{}, fmt.Errorf("flex: creating the transfer task: %w", err)
	}

	now := e.env.Now()
	tr := &Transfer{SID: sid, AccountSID: e.env.AccountSID, InstanceSID: st.instanceSID,
		InteractionSID: ch.InteractionSID, ChannelSID: ch.SID, Type: p.Type, Status: TransferActive,
		From: from.SID, To: p.To, TargetType: targetType, TargetName: name, InviteSID: kg, TaskSID: task.SID,
		FromTaskSID: fromTaskSID, DateCreated: now, DateUpdated: now}
	st.bySID[sid], st.byTask[task.SID] = tr, tr
	e.addInvite(ch, kg, &task, now)
	target := targetType + " " + p.To
	if name != "" {
		target += " (" + name + ")"
	}
	e.env.Record(product, "transfer.created", sid,
		fmt.Sprintf("%s transfer %s of interaction channel %s from %s to %s as task %s", p.Type, sid, ch.SID, from.SID, target, task.SID),
		map[string]string{"interaction_sid": ch.InteractionSID, "channel_sid": ch.SID, "conversation_sid": ch.ConversationSID,
			"type": p.Type, "from": from.SID, "to": p.To, "target_type": targetType, "task_sid": task.SID,
			"from_task_sid": fromTaskSID, "invite_sid": kg})
	return *tr, nil
}

// transferringAgent returns the active agent participant named by sid, or
// the channel's only active agent when sid is "".
func transferringAgent(ch *Channel, sid string) (*Participant, error) {
	if sid != "" {
		if !twilio.IsSID(sid, "UT") {
			return nil, twilio.InvalidParam("From", "%q is not a Participant SID (UT…)", sid)
		}
		for _, p := range ch.participants {
			if p.SID != sid {
				continue
			}
			if p.Type != "agent" || p.Status != "active" {
				return nil, twilio.InvalidParam("From", "participant %s is not an active agent of the channel", sid)
			}
			return p, nil
		}
		return nil, twilio.InvalidParam("From", "participant %s is not a participant of channel %s", sid, ch.SID)
	}
	var found *Participant
	for _, p := range ch.participants {
		if p.Type == "agent" && p.Status == "active" {
			if found != nil {
				return nil, twilio.MissingParam("From")
			}
			found = p
		}
	}
	if found == nil {
		return nil, twilio.BadRequest("Interaction Channel %s has no active agent to transfer from", ch.SID)
	}
	return found, nil
}

// Transfer returns one transfer.
func (e *Engine) Transfer(interactionSID, channelSID, sid string) (Transfer, error) {
	t, err := e.transfer(interactionSID, channelSID, sid)
	if err != nil {
		return Transfer{}, err
	}
	e.settleTransfer(t)
	return *t, nil
}

// Transfers lists a channel's transfers, oldest first (an emulator
// extension: Twilio has no list endpoint).
func (e *Engine) Transfers(interactionSID, channelSID string) ([]Transfer, error) {
	if _, err := e.channel(interactionSID, channelSID); err != nil {
		return nil, err
	}
	var out []Transfer
	for _, t := range e.transferMaps().bySID {
		if t.ChannelSID == channelSID {
			e.settleTransfer(t)
			out = append(out, *t)
		}
	}
	for i := 1; i < len(out); i++ { // few per channel: insertion sort by creation
		for j := i; j > 0 && out[j].DateCreated.Before(out[j-1].DateCreated); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// UpdateTransfer completes or fails a transfer. completed: the target agent
// has joined; the transferring agent leaves (warm transfers; a cold one is
// completed already). failed: a transfer not yet accepted is withdrawn and
// its task canceled. Repeating the current status is harmless.
func (e *Engine) UpdateTransfer(interactionSID, channelSID, sid, status string) (Transfer, error) {
	switch status {
	case TransferCompleted, TransferFailed:
	case "":
		return Transfer{}, twilio.MissingParam("Status")
	default:
		return Transfer{}, twilio.InvalidParam("Status", "%q is not one of completed, failed", status)
	}
	t, err := e.transfer(interactionSID, channelSID, sid)
	if err != nil {
		return Transfer{}, err
	}
	e.settleTransfer(t)
	if t.Status == status {
		return *t, nil
	}
	if t.Status != TransferActive {
		return Transfer{}, twilio.BadRequest("Transfer %s is %s and cannot be set to %s", t.SID, t.Status, status)
	}
	switch status {
	case TransferCompleted:
		if t.Joined == "" {
			return Transfer{}, twilio.BadRequest("Transfer %s has not been accepted yet and cannot be completed", t.SID)
		}
		if err := e.completeTransfer(t); err != nil {
			return Transfer{}, err
		}
	case TransferFailed:
		if t.Joined != "" {
			return Transfer{}, twilio.BadRequest("Transfer %s was accepted by participant %s and can only be completed", t.SID, t.Joined)
		}
		e.setTransferStatus(t, TransferFailed, "withdrawn")
		ch := e.channels[t.ChannelSID]
		if inv := inviteForTask(ch, t.TaskSID); inv != nil && inv.TaskStatus != "completed" {
			// A task not yet accepted is canceled (see TaskRouter.UpdateTaskStatus).
			if err := e.tr.UpdateTaskStatus(inv.Task.WorkspaceSID, inv.Task.SID, "completed", "Transfer "+t.SID+" failed"); err != nil {
				return Transfer{}, fmt.Errorf("flex: canceling transfer task %s: %w", inv.Task.SID, err)
			}
			inv.TaskStatus = "completed"
		}
	}
	return *t, nil
}

// completeTransfer has the transferring agent leave (participant → wrapup,
// task → wrapping) and marks the transfer completed.
func (e *Engine) completeTransfer(t *Transfer) error {
	ch := e.channels[t.ChannelSID]
	for _, p := range ch.participants {
		if p.SID == t.From && p.Status == "active" {
			if _, err := e.UpdateParticipant(t.InteractionSID, t.ChannelSID, p.SID, "wrapup"); err != nil {
				return fmt.Errorf("flex: transferring agent %s leaving: %w", p.SID, err)
			}
		}
	}
	e.setTransferStatus(t, TransferCompleted, "")
	return nil
}

// settleTransfer brings an active transfer up to date with what happened
// outside it: the transferring agent leaving on their own after the target
// joined completes it; the channel closing before anyone joined fails it.
func (e *Engine) settleTransfer(t *Transfer) {
	if t.Status != TransferActive {
		return
	}
	ch := e.channels[t.ChannelSID]
	if t.Joined != "" {
		for _, p := range ch.participants {
			if p.SID == t.From && p.Status != "active" {
				e.setTransferStatus(t, TransferCompleted, "")
			}
		}
		return
	}
	if ch.Status == StatusClosed {
		e.setTransferStatus(t, TransferFailed, "channel closed")
	}
}

func (e *Engine) setTransferStatus(t *Transfer, status, why string) {
	t.Status = status
	t.DateUpdated = e.env.Now()
	summary := fmt.Sprintf("%s transfer %s %s", t.Type, t.SID, status)
	if why != "" {
		summary += ": " + why
	}
	e.env.Record(product, "transfer."+status, t.SID, summary,
		map[string]string{"interaction_sid": t.InteractionSID, "channel_sid": t.ChannelSID,
			"conversation_sid": e.channels[t.ChannelSID].ConversationSID, "type": t.Type, "from": t.From, "to": t.To,
			"task_sid": t.TaskSID, "joined": t.Joined})
}

// transferAccepted is run by ReservationAccepted once an agent has joined
// for task taskSID as participant pt: the transfer routed by that task is
// accepted, and a cold one completes (the transferring agent leaves).
func (e *Engine) transferAccepted(taskSID string, pt *Participant) {
	t, ok := e.transferMaps().byTask[taskSID]
	if !ok || t.Status != TransferActive || t.Joined != "" {
		return
	}
	t.Joined = pt.SID
	t.DateUpdated = e.env.Now()
	e.env.Record(product, "transfer.accepted", t.SID,
		fmt.Sprintf("%s transfer %s accepted: participant %s joined", t.Type, t.SID, pt.SID),
		map[string]string{"interaction_sid": t.InteractionSID, "channel_sid": t.ChannelSID, "task_sid": taskSID,
			"participant_sid": pt.SID, "worker_sid": fmt.Sprint(pt.RoutingProperties["worker_sid"])})
	if t.Type == TransferCold {
		// Errors (the transferring task already gone) leave the transfer
		// active, which a later fetch settles.
		_ = e.completeTransfer(t)
	}
}

// TaskCanceled tells Flex that a TaskRouter task was canceled (timed out,
// fell out of its workflow or was canceled by a caller): the invite that
// created it waits for no agent any more, and a transfer still waiting for
// it fails.
func (e *Engine) TaskCanceled(taskSID, reason string) {
	if ch := e.channels[e.taskChannel[taskSID]]; ch != nil {
		if inv := inviteForTask(ch, taskSID); inv != nil {
			inv.TaskStatus = "completed" // no agent will come for it
		}
	}
	t, ok := e.transferMaps().byTask[taskSID]
	if !ok {
		return
	}
	if t.Status == TransferActive && t.Joined == "" {
		why := "task " + taskSID + " canceled"
		if reason != "" {
			why += " (" + reason + ")"
		}
		e.setTransferStatus(t, TransferFailed, why)
	}
}
