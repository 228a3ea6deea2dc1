package flex

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// The snapshot shape: interactions in creation order, each carrying its one
// channel with its invites and participants in creation order; transfers by
// SID; the configuration when it has been read or written. What is derived
// (task → channel index, transfers by task, the interaction's task being its
// first invite's) is rebuilt on Restore, not stored. Flex arms no timers.

type snapshot struct {
	Interactions []snapInteraction `json:"interactions"`
	// InstanceSID is the Flex instance transfers name ("" until the first
	// transfer is made).
	InstanceSID   string         `json:"instance_sid"`
	Transfers     []snapTransfer `json:"transfers"`
	Configuration *snapConfig    `json:"configuration"`
}

type snapInteraction struct {
	SID                   string      `json:"sid"`
	ChannelType           string      `json:"channel_type"`
	InitiatedBy           string      `json:"initiated_by"`
	TaskSID               string      `json:"task_sid"` // one of Channel's invites' tasks
	InteractionContextSID string      `json:"interaction_context_sid"`
	WebhookTtid           string      `json:"webhook_ttid"`
	DateCreated           time.Time   `json:"date_created"`
	DateUpdated           time.Time   `json:"date_updated"`
	Channel               snapChannel `json:"channel"`
}

type snapChannel struct {
	SID             string            `json:"sid"`
	Type            string            `json:"type"`
	Status          string            `json:"status"`
	ConversationSID string            `json:"conversation_sid"`
	ErrorCode       *int              `json:"error_code"`
	ErrorMessage    string            `json:"error_message"`
	DateCreated     time.Time         `json:"date_created"`
	DateUpdated     time.Time         `json:"date_updated"`
	Invites         []snapInvite      `json:"invites"`
	Participants    []snapParticipant `json:"participants"`
}

type snapInvite struct {
	SID         string    `json:"sid"`
	Task        snapTask  `json:"task"`
	TaskStatus  string    `json:"task_status"`
	DateCreated time.Time `json:"date_created"`
}

// snapTask is the task as TaskRouter described it when it was created (what
// routing.properties echoes).
type snapTask struct {
	SID                   string    `json:"sid"`
	AccountSID            string    `json:"account_sid"`
	WorkspaceSID          string    `json:"workspace_sid"`
	WorkflowSID           string    `json:"workflow_sid"`
	WorkflowName          string    `json:"workflow_name"`
	QueueSID              string    `json:"queue_sid"`
	QueueName             string    `json:"queue_name"`
	TaskChannelSID        string    `json:"task_channel_sid"`
	TaskChannelUniqueName string    `json:"task_channel_unique_name"`
	AssignmentStatus      string    `json:"assignment_status"`
	Reason                string    `json:"reason"`
	RoutingTarget         string    `json:"routing_target"`
	Attributes            string    `json:"attributes"`
	Addons                string    `json:"addons"`
	Priority              int       `json:"priority"`
	Timeout               int       `json:"timeout"`
	Age                   int       `json:"age"`
	AssignmentCounter     int       `json:"assignment_counter"`
	DateCreated           time.Time `json:"date_created"`
	DateUpdated           time.Time `json:"date_updated"`
	TaskQueueEnteredDate  time.Time `json:"task_queue_entered_date"`
}

// snapParticipant keeps MediaProperties null (not {}) for the customer an
// interaction starts with: its properties are built from CustomerAddress
// when read.
type snapParticipant struct {
	SID               string         `json:"sid"`
	Type              string         `json:"type"`
	Status            string         `json:"status"`
	MediaProperties   map[string]any `json:"media_properties"`
	RoutingProperties map[string]any `json:"routing_properties"`
	CustomerAddress   string         `json:"customer_address"`
	DateCreated       time.Time      `json:"date_created"`
	DateUpdated       time.Time      `json:"date_updated"`
}

type snapTransfer struct {
	SID            string    `json:"sid"`
	InteractionSID string    `json:"interaction_sid"`
	ChannelSID     string    `json:"channel_sid"`
	Type           string    `json:"type"`
	Status         string    `json:"status"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	TargetType     string    `json:"target_type"`
	TargetName     string    `json:"target_name"`
	InviteSID      string    `json:"invite_sid"`
	TaskSID        string    `json:"task_sid"`
	FromTaskSID    string    `json:"from_task_sid"`
	Joined         string    `json:"joined"`
	DateCreated    time.Time `json:"date_created"`
	DateUpdated    time.Time `json:"date_updated"`
}

type snapConfig struct {
	DateCreated time.Time      `json:"date_created"`
	DateUpdated time.Time      `json:"date_updated"`
	Set         map[string]any `json:"set"`
}

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	s := snapshot{Interactions: make([]snapInteraction, 0, len(e.order)), InstanceSID: e.transfers.instanceSID,
		Transfers: make([]snapTransfer, 0, len(e.transfers.bySID))}
	for _, sid := range e.order {
		in := e.interactions[sid]
		ch := e.channels[in.ChannelSID]
		si := snapInteraction{SID: in.SID, ChannelType: in.ChannelType, InitiatedBy: in.InitiatedBy, TaskSID: in.Task.SID,
			InteractionContextSID: in.InteractionContextSID, WebhookTtid: in.WebhookTtid,
			DateCreated: in.DateCreated, DateUpdated: in.DateUpdated,
			Channel: snapChannel{SID: ch.SID, Type: ch.Type, Status: ch.Status, ConversationSID: ch.ConversationSID,
				ErrorCode: ch.ErrorCode, ErrorMessage: ch.ErrorMessage, DateCreated: ch.DateCreated, DateUpdated: ch.DateUpdated,
				Invites: make([]snapInvite, 0, len(ch.invites)), Participants: make([]snapParticipant, 0, len(ch.participants))}}
		for _, inv := range ch.invites {
			si.Channel.Invites = append(si.Channel.Invites, snapInvite{SID: inv.SID, Task: snapTaskOf(inv.Task),
				TaskStatus: inv.TaskStatus, DateCreated: inv.DateCreated})
		}
		for _, p := range ch.participants {
			si.Channel.Participants = append(si.Channel.Participants, snapParticipant{SID: p.SID, Type: p.Type,
				Status: p.Status, MediaProperties: p.MediaProperties, RoutingProperties: p.RoutingProperties,
				CustomerAddress: p.customerAddress, DateCreated: p.DateCreated, DateUpdated: p.DateUpdated})
		}
		s.Interactions = append(s.Interactions, si)
	}
	for _, t := range e.transfers.bySID {
		s.Transfers = append(s.Transfers, snapTransfer{SID: t.SID, InteractionSID: t.InteractionSID,
			ChannelSID: t.ChannelSID, Type: t.Type, Status: t.Status, From: t.From, To: t.To,
			TargetType: t.TargetType, TargetName: t.TargetName, InviteSID: t.InviteSID, TaskSID: t.TaskSID,
			FromTaskSID: t.FromTaskSID, Joined: t.Joined, DateCreated: t.DateCreated, DateUpdated: t.DateUpdated})
	}
	sort.Slice(s.Transfers, func(i, j int) bool { return s.Transfers[i].SID < s.Transfers[j].SID })
	if c := e.config; c != nil {
		s.Configuration = &snapConfig{DateCreated: c.dateCreated, DateUpdated: c.dateUpdated, Set: c.set}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("flex: snapshot: %w", err)
	}
	return b, nil
}

func snapTaskOf(t *TaskInfo) snapTask {
	return snapTask{SID: t.SID, AccountSID: t.AccountSID, WorkspaceSID: t.WorkspaceSID, WorkflowSID: t.WorkflowSID,
		WorkflowName: t.WorkflowName, QueueSID: t.QueueSID, QueueName: t.QueueName, TaskChannelSID: t.TaskChannelSID,
		TaskChannelUniqueName: t.TaskChannelUniqueName, AssignmentStatus: t.AssignmentStatus, Reason: t.Reason,
		RoutingTarget: t.RoutingTarget, Attributes: t.Attributes, Addons: t.Addons, Priority: t.Priority,
		Timeout: t.Timeout, Age: t.Age, AssignmentCounter: t.AssignmentCounter, DateCreated: t.DateCreated,
		DateUpdated: t.DateUpdated, TaskQueueEnteredDate: t.TaskQueueEnteredDate}
}

func (t snapTask) info() *TaskInfo {
	return &TaskInfo{SID: t.SID, AccountSID: t.AccountSID, WorkspaceSID: t.WorkspaceSID, WorkflowSID: t.WorkflowSID,
		WorkflowName: t.WorkflowName, QueueSID: t.QueueSID, QueueName: t.QueueName, TaskChannelSID: t.TaskChannelSID,
		TaskChannelUniqueName: t.TaskChannelUniqueName, AssignmentStatus: t.AssignmentStatus, Reason: t.Reason,
		RoutingTarget: t.RoutingTarget, Attributes: t.Attributes, Addons: t.Addons, Priority: t.Priority,
		Timeout: t.Timeout, Age: t.Age, AssignmentCounter: t.AssignmentCounter, DateCreated: t.DateCreated,
		DateUpdated: t.DateUpdated, TaskQueueEnteredDate: t.TaskQueueEnteredDate}
}

// restored is the state Restore builds aside and installs only when all of
// it is consistent.
type restored struct {
	interactions map[string]*Interaction
	order        []string
	channels     map[string]*Channel
	taskChannel  map[string]string
	transfers    transferState
	config       *configState
}

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state. It
// re-arms timers at their stored virtual deadlines and emits nothing. It is
// called under the account lock; on error e is left empty.
func (e *Engine) Restore(data json.RawMessage) error {
	if len(e.order) != 0 || len(e.channels) != 0 || e.transfers.bySID != nil || e.config != nil {
		return errors.New("flex: restore: the engine is not empty")
	}
	var s snapshot
	if err := twilio.DecodeStrict(data, &s); err != nil {
		return fmt.Errorf("flex: restore: %w", err)
	}
	r, err := e.rebuild(&s)
	if err != nil {
		return fmt.Errorf("flex: restore: %w", err)
	}
	e.interactions, e.order, e.channels, e.taskChannel = r.interactions, r.order, r.channels, r.taskChannel
	e.transfers, e.config = r.transfers, r.config
	return nil
}

func (e *Engine) rebuild(s *snapshot) (*restored, error) {
	r := &restored{interactions: make(map[string]*Interaction, len(s.Interactions)),
		order: make([]string, 0, len(s.Interactions)), channels: make(map[string]*Channel, len(s.Interactions)),
		taskChannel: map[string]string{}}
	seen := map[string]bool{} // every SID the snapshot defines, for duplicates
	define := func(sid, prefix, what string) error {
		if !twilio.IsSID(sid, prefix) {
			return fmt.Errorf("%s %q is not a %s… SID", what, sid, prefix)
		}
		if seen[sid] {
			return fmt.Errorf("%s %s appears twice", what, sid)
		}
		seen[sid] = true
		return nil
	}
	for _, si := range s.Interactions {
		if err := define(si.SID, "KD", "interaction"); err != nil {
			return nil, err
		}
		sc := si.Channel
		if err := define(sc.SID, "UO", "interaction channel"); err != nil {
			return nil, err
		}
		switch sc.Status {
		case StatusActive, StatusInactive, StatusClosed:
		default:
			return nil, fmt.Errorf("channel %s: unknown status %q", sc.SID, sc.Status)
		}
		ch := &Channel{SID: sc.SID, InteractionSID: si.SID, Type: sc.Type, Status: sc.Status,
			ConversationSID: sc.ConversationSID, ErrorCode: sc.ErrorCode, ErrorMessage: sc.ErrorMessage,
			DateCreated: sc.DateCreated, DateUpdated: sc.DateUpdated,
			invites: make([]*Invite, 0, len(sc.Invites)), participants: make([]*Participant, 0, len(sc.Participants))}
		in := &Interaction{SID: si.SID, ChannelSID: ch.SID, ChannelType: si.ChannelType, InitiatedBy: si.InitiatedBy,
			InteractionContextSID: si.InteractionContextSID, WebhookTtid: si.WebhookTtid,
			DateCreated: si.DateCreated, DateUpdated: si.DateUpdated}
		for _, sv := range sc.Invites {
			if err := define(sv.SID, "KG", "invite"); err != nil {
				return nil, err
			}
			if sv.Task.SID == "" {
				return nil, fmt.Errorf("invite %s has no task", sv.SID)
			}
			if _, dup := r.taskChannel[sv.Task.SID]; dup {
				return nil, fmt.Errorf("task %s is routed by two invites", sv.Task.SID)
			}
			switch sv.TaskStatus {
			case "", "wrapping", "completed":
			default:
				return nil, fmt.Errorf("invite %s: unknown task status %q", sv.SID, sv.TaskStatus)
			}
			inv := &Invite{SID: sv.SID, InteractionSID: si.SID, ChannelSID: ch.SID, Task: sv.Task.info(),
				TaskStatus: sv.TaskStatus, DateCreated: sv.DateCreated}
			ch.invites = append(ch.invites, inv)
			r.taskChannel[inv.Task.SID] = ch.SID
			if inv.Task.SID == si.TaskSID && in.Task == nil {
				in.Task = inv.Task // shared, as createInteraction shares it
			}
		}
		if in.Task == nil {
			return nil, fmt.Errorf("interaction %s: task %q is not one of its channel's invites", si.SID, si.TaskSID)
		}
		for _, sp := range sc.Participants {
			if err := define(sp.SID, "UT", "participant"); err != nil {
				return nil, err
			}
			if !contains(participantTypes, sp.Type) {
				return nil, fmt.Errorf("participant %s: unknown type %q", sp.SID, sp.Type)
			}
			switch sp.Status {
			case "active", "wrapup", "closed":
			default:
				return nil, fmt.Errorf("participant %s: unknown status %q", sp.SID, sp.Status)
			}
			ch.participants = append(ch.participants, &Participant{SID: sp.SID, InteractionSID: si.SID,
				ChannelSID: ch.SID, Type: sp.Type, Status: sp.Status, MediaProperties: sp.MediaProperties,
				RoutingProperties: sp.RoutingProperties, customerAddress: sp.CustomerAddress,
				DateCreated: sp.DateCreated, DateUpdated: sp.DateUpdated})
		}
		r.interactions[in.SID], r.channels[ch.SID] = in, ch
		r.order = append(r.order, in.SID)
	}
	if err := e.rebuildTransfers(s, r, define); err != nil {
		return nil, err
	}
	if c := s.Configuration; c != nil {
		if err := checkConfigSet(c.Set); err != nil {
			return nil, err
		}
		set := c.Set
		if set == nil {
			set = map[string]any{}
		}
		r.config = &configState{dateCreated: c.DateCreated, dateUpdated: c.DateUpdated, set: set}
	}
	return r, nil
}

func (e *Engine) rebuildTransfers(s *snapshot, r *restored, define func(sid, prefix, what string) error) error {
	if s.InstanceSID == "" {
		if len(s.Transfers) != 0 {
			return errors.New("transfers without a Flex instance SID")
		}
		return nil
	}
	if !twilio.IsSID(s.InstanceSID, "GO") {
		return fmt.Errorf("instance_sid %q is not a Flex instance SID (GO…)", s.InstanceSID)
	}
	r.transfers = transferState{bySID: make(map[string]*Transfer, len(s.Transfers)),
		byTask: make(map[string]*Transfer, len(s.Transfers)), instanceSID: s.InstanceSID}
	for _, st := range s.Transfers {
		if err := define(st.SID, "UX", "transfer"); err != nil {
			return err
		}
		ch, ok := r.channels[st.ChannelSID]
		if !ok || ch.InteractionSID != st.InteractionSID {
			return fmt.Errorf("transfer %s: channel %s of interaction %s is unknown", st.SID, st.ChannelSID, st.InteractionSID)
		}
		if r.taskChannel[st.TaskSID] != ch.SID {
			return fmt.Errorf("transfer %s: task %q is not routed by an invite of channel %s", st.SID, st.TaskSID, ch.SID)
		}
		if !hasParticipant(ch, st.From) || (st.Joined != "" && !hasParticipant(ch, st.Joined)) {
			return fmt.Errorf("transfer %s: participant %q or %q is not on channel %s", st.SID, st.From, st.Joined, ch.SID)
		}
		if _, dup := r.transfers.byTask[st.TaskSID]; dup {
			return fmt.Errorf("transfer %s: task %s already belongs to another transfer", st.SID, st.TaskSID)
		}
		switch st.Type {
		case TransferCold, TransferWarm:
		default:
			return fmt.Errorf("transfer %s: unknown type %q", st.SID, st.Type)
		}
		switch st.Status {
		case TransferActive, TransferCompleted, TransferFailed:
		default:
			return fmt.Errorf("transfer %s: unknown status %q", st.SID, st.Status)
		}
		t := &Transfer{SID: st.SID, AccountSID: e.env.AccountSID, InstanceSID: s.InstanceSID,
			InteractionSID: st.InteractionSID, ChannelSID: st.ChannelSID, Type: st.Type, Status: st.Status,
			From: st.From, To: st.To, TargetType: st.TargetType, TargetName: st.TargetName, InviteSID: st.InviteSID,
			TaskSID: st.TaskSID, FromTaskSID: st.FromTaskSID, Joined: st.Joined,
			DateCreated: st.DateCreated, DateUpdated: st.DateUpdated}
		r.transfers.bySID[t.SID], r.transfers.byTask[t.TaskSID] = t, t
	}
	return nil
}

func hasParticipant(ch *Channel, sid string) bool {
	for _, p := range ch.participants {
		if p.SID == sid {
			return true
		}
	}
	return false
}

// checkConfigSet holds restored configuration fields to what
// UpdateConfiguration accepts.
func checkConfigSet(set map[string]any) error {
	byName := make(map[string]configField, len(configFields))
	for _, f := range configFields {
		byName[f.name] = f
	}
	for k, v := range set {
		f, ok := byName[k]
		if !ok || f.readOnly {
			return fmt.Errorf("configuration field %q cannot be set", k)
		}
		if err := checkKind(f, v); err != nil {
			return fmt.Errorf("configuration field %q: %w", k, err)
		}
	}
	return nil
}
