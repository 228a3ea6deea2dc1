package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// The console's read model: JSON views rendered from the engines under the
// account lock, never stored. Reading them appends nothing to the timeline.

// Console page sizes and caps.
const (
	consolePageSize    = 50
	consoleMaxPageSize = 200
	consoleMaxMessages = 200
	consoleMaxChain    = 500
)

// ConsoleState is the console's main view: GET /emulator/v1/console/state.
type ConsoleState struct {
	Now           string               `json:"now"`
	ClockMode     string               `json:"clock_mode"`
	NextTimer     *string              `json:"next_timer"`
	PendingTimers int                  `json:"pending_timers"`
	Workspace     *SetupWorkspace      `json:"workspace"`
	Activities    []ConsoleActivity    `json:"activities"`
	Queues        []ConsoleQueue       `json:"queues"`
	Workers       []ConsoleWorker      `json:"workers"`
	Conversations ConsoleConversations `json:"conversations"`
	Addresses     []ConsoleAddress     `json:"addresses"`
	TimelineLast  int64                `json:"timeline_last"`
}

// ConsoleActivity is a TaskRouter activity a worker can be put in.
type ConsoleActivity struct {
	SID          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
	Available    bool   `json:"available"`
}

// ConsoleQueue is a task queue with the tasks waiting in it.
type ConsoleQueue struct {
	SID          string               `json:"sid"`
	FriendlyName string               `json:"friendly_name"`
	Waiting      []ConsoleWaitingTask `json:"waiting"`
}

// ConsoleWaitingTask is a pending or reserved task in a queue.
type ConsoleWaitingTask struct {
	TaskSID          string `json:"task_sid"`
	AgeSeconds       int    `json:"age_seconds"`
	Priority         int    `json:"priority"`
	AssignmentStatus string `json:"assignment_status"`
	ConversationSID  string `json:"conversation_sid"`
}

// ConsoleWorker is a worker with its activity and open reservations.
type ConsoleWorker struct {
	SID          string               `json:"sid"`
	FriendlyName string               `json:"friendly_name"`
	Identity     string               `json:"identity"`
	ActivitySID  string               `json:"activity_sid"`
	ActivityName string               `json:"activity_name"`
	Available    bool                 `json:"available"`
	Reservations []ConsoleReservation `json:"reservations"`
}

// ConsoleReservation is a worker's pending, accepted or wrapping reservation.
type ConsoleReservation struct {
	SID             string `json:"sid"`
	TaskSID         string `json:"task_sid"`
	Status          string `json:"status"`
	ConversationSID string `json:"conversation_sid"`
	TaskStatus      string `json:"task_status"`
}

// ConsoleConversations is one page of conversations, most recently updated first.
type ConsoleConversations struct {
	Total    int                   `json:"total"`
	Page     int                   `json:"page"`
	PageSize int                   `json:"page_size"`
	Items    []ConsoleConversation `json:"items"`
}

// ConsoleConversation is a conversation's line in the list.
type ConsoleConversation struct {
	SID              string              `json:"sid"`
	FriendlyName     string              `json:"friendly_name"`
	State            string              `json:"state"`
	DateUpdated      string              `json:"date_updated"`
	CustomerAddress  string              `json:"customer_address"`
	ParticipantCount int                 `json:"participant_count"`
	MessageCount     int                 `json:"message_count"`
	LastMessage      *ConsoleLastMessage `json:"last_message"`
}

// ConsoleLastMessage is the newest message of a conversation.
type ConsoleLastMessage struct {
	Author string `json:"author"`
	Body   string `json:"body"`
	Index  int    `json:"index"`
}

// ConsoleAddress is a configured Conversations address the customer box can write to.
type ConsoleAddress struct {
	Address string `json:"address"`
	Type    string `json:"type"`
}

// ConsoleConversationDetail is GET /emulator/v1/console/conversations/{CH}.
type ConsoleConversationDetail struct {
	SID          string                `json:"sid"`
	FriendlyName string                `json:"friendly_name"`
	State        string                `json:"state"`
	Attributes   string                `json:"attributes"`
	DateCreated  string                `json:"date_created"`
	DateUpdated  string                `json:"date_updated"`
	Timers       ConsoleTimers         `json:"timers"`
	Participants []ConsoleParticipant  `json:"participants"`
	Messages     []ConversationMessage `json:"messages"`
	Webhooks     []ConsoleWebhook      `json:"webhooks"`
	Tasks        []ConsoleTask         `json:"tasks"`
	Executions   []ConsoleExecution    `json:"executions"`
	Chain        []timeline.Entry      `json:"chain"`
}

// ConsoleExecution is a Studio execution triggered on the conversation:
// its steps (the widgets taken, in order) and its execution context as
// Executions/{Sid}/Context renders it. A context over consoleMaxContext
// bytes is left out and ContextOmitted says why.
type ConsoleExecution struct {
	SID            string          `json:"sid"`
	FlowSID        string          `json:"flow_sid"`
	FlowName       string          `json:"flow_name"`
	Status         string          `json:"status"`
	DateCreated    string          `json:"date_created"`
	Steps          []ConsoleStep   `json:"steps"`
	Context        json.RawMessage `json:"context,omitempty"`
	ContextOmitted string          `json:"context_omitted,omitempty"`
}

// ConsoleStep is one step of an execution: Name the widget it left (of
// Type), Event the transition taken, TransitionedTo the next widget or
// "Ended".
type ConsoleStep struct {
	Name           string `json:"name"`
	Type           string `json:"type"`
	Event          string `json:"event"`
	TransitionedTo string `json:"transitioned_to,omitempty"`
}

// consoleMaxExecutions and consoleMaxContext bound a detail's executions.
const (
	consoleMaxExecutions = 20
	consoleMaxContext    = 64 << 10
)

// consoleExecutions lists the conversation's Studio executions, newest first.
func consoleExecutions(en *Engines, ch string) []ConsoleExecution {
	var exs []*studio.Execution
	names := map[string]string{}
	for _, f := range en.Studio.Flows() {
		names[f.SID] = f.Latest().FriendlyName
		all, err := en.Studio.ListExecutions(f.SID, studio.ListExecutionsParams{})
		if err != nil {
			continue
		}
		for _, ex := range all {
			if ex.ConversationSID == ch {
				exs = append(exs, ex)
			}
		}
	}
	slices.SortStableFunc(exs, func(a, b *studio.Execution) int {
		if c := b.DateCreated.Compare(a.DateCreated); c != 0 {
			return c
		}
		return cmp.Compare(b.SID, a.SID)
	})
	if len(exs) > consoleMaxExecutions {
		exs = exs[:consoleMaxExecutions]
	}
	out := []ConsoleExecution{}
	for _, ex := range exs {
		ce := ConsoleExecution{SID: ex.SID, FlowSID: ex.FlowSID, FlowName: names[ex.FlowSID], Status: ex.Status,
			DateCreated: twilio.Time(ex.DateCreated), Steps: []ConsoleStep{}}
		for _, st := range ex.Steps {
			ce.Steps = append(ce.Steps, ConsoleStep{Name: st.TransitionedFrom, Type: st.Type, Event: st.Name, TransitionedTo: st.TransitionedTo})
		}
		if b, err := json.Marshal(ex.Context()); err != nil {
			ce.ContextOmitted = "context could not be rendered: " + err.Error()
		} else if len(b) > consoleMaxContext {
			ce.ContextOmitted = fmt.Sprintf("context is %d bytes, over the console's %d; read it from the Studio API", len(b), consoleMaxContext)
		} else {
			ce.Context = b
		}
		out = append(out, ce)
	}
	return out
}

// ConsoleTimers are a conversation's pending state timers (null when not pending).
type ConsoleTimers struct {
	DateInactive *string `json:"date_inactive"`
	DateClosed   *string `json:"date_closed"`
}

// ConsoleParticipant is a conversation participant.
type ConsoleParticipant struct {
	SID          string `json:"sid"`
	Identity     string `json:"identity"`
	Address      string `json:"address"`
	ProxyAddress string `json:"proxy_address"`
	Type         string `json:"type"`
}

// ConsoleWebhook is a webhook attached to a conversation.
type ConsoleWebhook struct {
	SID     string `json:"sid"`
	Target  string `json:"target"`
	URL     string `json:"url"`
	FlowSID string `json:"flow_sid"`
}

// ConsoleTask is a TaskRouter task of a conversation; WorkerSID names the
// worker of its accepted (or wrapping, completed) reservation, if any.
type ConsoleTask struct {
	SID              string `json:"sid"`
	AssignmentStatus string `json:"assignment_status"`
	QueueName        string `json:"queue_name"`
	WorkerSID        string `json:"worker_sid,omitempty"`
}

func timePtr(s string) *string { return &s }

// consoleWorkspace is the workspace the console shows: the fixture's, else the first.
func consoleWorkspace(en *Engines) *SetupWorkspace {
	if en.Setup.Workspace != nil {
		w := *en.Setup.Workspace
		return &w
	}
	if wss := en.TaskRouter.Workspaces(""); len(wss) > 0 {
		return &SetupWorkspace{SID: wss[0].SID, FriendlyName: wss[0].FriendlyName}
	}
	return nil
}

// taskConversation is the conversation a task is for: its Flex channel's,
// else its attributes' conversationSid.
func taskConversation(en *Engines, t *taskrouter.Task) string {
	if ch, ok := en.Flex.ChannelForTask(t.SID); ok && ch.ConversationSID != "" {
		return ch.ConversationSID
	}
	if t.AttributesMap != nil {
		s, _ := t.AttributesMap["conversationSid"].(string)
		return s
	}
	if !strings.Contains(t.Attributes, "conversationSid") {
		return ""
	}
	var attrs struct {
		ConversationSID string `json:"conversationSid"`
	}
	_ = json.Unmarshal([]byte(t.Attributes), &attrs)
	return attrs.ConversationSID
}

// consoleState renders the main view under the account lock.
func (a *Account) consoleState(page, pageSize int) (ConsoleState, error) {
	st := ConsoleState{ClockMode: string(a.clock.Mode()), PendingTimers: a.clock.Pending(),
		Activities: []ConsoleActivity{}, Queues: []ConsoleQueue{}, Workers: []ConsoleWorker{}, Addresses: []ConsoleAddress{}}
	if next, ok := a.clock.NextDeadline(); ok {
		st.NextTimer = timePtr(twilio.Time(next))
	}
	err := a.locked(0, func(en *Engines) error {
		now := a.Now()
		st.Now = twilio.Time(now)
		st.TimelineLast = a.timeline.Last()
		for _, ad := range en.Setup.Addresses {
			st.Addresses = append(st.Addresses, ConsoleAddress{Address: ad.Address, Type: ad.Type})
		}
		st.Workspace = consoleWorkspace(en)
		if ws := st.Workspace; ws != nil {
			tr := en.TaskRouter
			acts, err := tr.Activities(ws.SID, "", nil)
			if err != nil {
				return err
			}
			for _, ac := range acts {
				st.Activities = append(st.Activities, ConsoleActivity{SID: ac.SID, FriendlyName: ac.FriendlyName, Available: ac.Available})
			}
			tasks, err := tr.Tasks(ws.SID)
			if err != nil {
				return err
			}
			queues, err := tr.TaskQueues(ws.SID, taskrouter.TaskQueueFilter{})
			if err != nil {
				return err
			}
			byQueue := map[string][]ConsoleWaitingTask{}
			taskByID := map[string]*taskrouter.Task{}
			for _, t := range tasks {
				taskByID[t.SID] = t
				if t.AssignmentStatus == taskrouter.TaskPending || t.AssignmentStatus == taskrouter.TaskReserved {
					byQueue[t.TaskQueueSID] = append(byQueue[t.TaskQueueSID], ConsoleWaitingTask{TaskSID: t.SID,
						AgeSeconds: t.Age(now), Priority: t.Priority, AssignmentStatus: t.AssignmentStatus, ConversationSID: taskConversation(en, t)})
				}
			}
			for _, q := range queues {
				w := byQueue[q.SID]
				if w == nil {
					w = []ConsoleWaitingTask{}
				}
				st.Queues = append(st.Queues, ConsoleQueue{SID: q.SID, FriendlyName: q.FriendlyName, Waiting: w})
			}
			workers, err := tr.Workers(ws.SID, taskrouter.WorkerFilter{})
			if err != nil {
				return err
			}
			for _, w := range workers {
				cw := ConsoleWorker{SID: w.SID, FriendlyName: w.FriendlyName, ActivitySID: w.ActivitySID,
					ActivityName: w.ActivityName, Available: w.Available, Reservations: []ConsoleReservation{}}
				cw.Identity, _ = w.AttributesMap["contact_uri"].(string)
				cw.Identity = strings.TrimPrefix(cw.Identity, "client:")
				if cw.Identity == "" {
					cw.Identity = w.FriendlyName
				}
				res, err := tr.Reservations(ws.SID, taskrouter.ReservationFilter{WorkerSID: w.SID,
					Status: []string{"pending", "accepted", "wrapping"}})
				if err != nil {
					return err
				}
				for _, r := range res {
					cr := ConsoleReservation{SID: r.SID, TaskSID: r.TaskSID, Status: r.ReservationStatus}
					if t := taskByID[r.TaskSID]; t != nil {
						cr.ConversationSID, cr.TaskStatus = taskConversation(en, t), t.AssignmentStatus
					}
					cw.Reservations = append(cw.Reservations, cr)
				}
				st.Workers = append(st.Workers, cw)
			}
		}
		convs, err := en.Conversations.Conversations(conversations.ListConversationsParams{})
		if err != nil {
			return err
		}
		slices.SortStableFunc(convs, func(x, y *conversations.Conversation) int {
			if c := y.DateUpdated.Compare(x.DateUpdated); c != 0 {
				return c
			}
			return cmp.Compare(y.SID, x.SID)
		})
		st.Conversations = ConsoleConversations{Total: len(convs), Page: page, PageSize: pageSize, Items: []ConsoleConversation{}}
		lo := min(page*pageSize, len(convs))
		hi := min(lo+pageSize, len(convs))
		for _, c := range convs[lo:hi] {
			item := ConsoleConversation{SID: c.SID, FriendlyName: c.FriendlyName, State: c.State, DateUpdated: twilio.Time(c.DateUpdated),
				ParticipantCount: en.Conversations.ParticipantCount(c.SID), MessageCount: en.Conversations.MessageCount(c.SID)}
			if _, addr, _, ok := en.Conversations.CustomerBinding(c.SID); ok {
				item.CustomerAddress = addr
			}
			if m := en.Conversations.LastMessage(c.SID); m != nil {
				item.LastMessage = &ConsoleLastMessage{Author: m.Author, Body: m.Body, Index: m.Index}
			}
			st.Conversations.Items = append(st.Conversations.Items, item)
		}
		return nil
	})
	return st, err
}

// consoleConversation renders one conversation's detail under the account
// lock, then its causal chain from the timeline (which has its own lock).
func (a *Account) consoleConversation(sid string) (ConsoleConversationDetail, error) {
	d := ConsoleConversationDetail{Participants: []ConsoleParticipant{}, Messages: []ConversationMessage{},
		Webhooks: []ConsoleWebhook{}, Tasks: []ConsoleTask{}, Executions: []ConsoleExecution{}, Chain: []timeline.Entry{}}
	related := map[string]bool{sid: true}
	err := a.locked(0, func(en *Engines) error {
		cv := en.Conversations
		c, err := cv.Conversation(sid)
		if err != nil {
			return err
		}
		d.SID, d.FriendlyName, d.State, d.Attributes = c.SID, c.FriendlyName, c.State, c.Attributes
		d.DateCreated, d.DateUpdated = twilio.Time(c.DateCreated), twilio.Time(c.DateUpdated)
		if !c.Timers.DateInactive.IsZero() {
			d.Timers.DateInactive = timePtr(twilio.Time(c.Timers.DateInactive))
		}
		if !c.Timers.DateClosed.IsZero() {
			d.Timers.DateClosed = timePtr(twilio.Time(c.Timers.DateClosed))
		}
		parts, err := cv.Participants(sid)
		if err != nil {
			return err
		}
		for _, p := range parts {
			cp := ConsoleParticipant{SID: p.SID, Identity: p.Identity, Type: "chat"}
			if p.Binding != nil {
				cp.Address, cp.ProxyAddress, cp.Type = p.Binding.Address, p.Binding.ProxyAddress, p.Binding.Type
			}
			d.Participants = append(d.Participants, cp)
			related[p.SID] = true
		}
		msgs, err := cv.Messages(sid, false)
		if err != nil {
			return err
		}
		if len(msgs) > consoleMaxMessages {
			msgs = msgs[len(msgs)-consoleMaxMessages:]
		}
		for _, m := range msgs {
			d.Messages = append(d.Messages, ConversationMessage{SID: m.SID, Index: m.Index, Author: m.Author, Body: m.Body,
				DateCreated: twilio.Time(m.DateCreated)})
		}
		hooks, err := cv.Webhooks(sid)
		if err != nil {
			return err
		}
		for _, h := range hooks {
			d.Webhooks = append(d.Webhooks, ConsoleWebhook{SID: h.SID, Target: h.Target, URL: h.URL, FlowSID: h.FlowSID})
		}
		if ws := consoleWorkspace(en); ws != nil {
			tasks, err := en.TaskRouter.Tasks(ws.SID)
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if taskConversation(en, t) != sid {
					continue
				}
				ct := ConsoleTask{SID: t.SID, AssignmentStatus: t.AssignmentStatus, QueueName: t.TaskQueueFriendlyName}
				related[t.SID] = true
				for _, r := range t.Reservations() {
					related[r.SID] = true
					switch r.ReservationStatus {
					case "accepted", "wrapping", "completed":
						ct.WorkerSID = r.WorkerSID
					}
				}
				if ch, ok := en.Flex.ChannelForTask(t.SID); ok {
					related[ch.SID], related[ch.InteractionSID] = true, true
				}
				d.Tasks = append(d.Tasks, ct)
			}
		}
		d.Executions = consoleExecutions(en, sid)
		return nil
	})
	if err != nil {
		return d, err
	}
	d.Chain = consoleChain(a.timeline.Since(0), related)
	return d, nil
}

// consoleChain picks the entries about the related SIDs, and the API calls
// and webhook deliveries sharing a cause with one of them (what led there),
// keeping the newest consoleMaxChain.
func consoleChain(all []timeline.Entry, related map[string]bool) []timeline.Entry {
	mentions := func(e *timeline.Entry) bool {
		if related[e.SID] {
			return true
		}
		for _, v := range e.Refs {
			if related[v] {
				return true
			}
		}
		return false
	}
	causes := map[cause.ID]bool{}
	for i := range all {
		if mentions(&all[i]) && all[i].Cause != 0 {
			causes[all[i].Cause] = true
		}
	}
	out := []timeline.Entry{}
	for i := range all {
		// A shared cause brings the REST calls and webhook deliveries along,
		// not other resources' state changes (one clock advance times out
		// reservations of many conversations).
		if mentions(&all[i]) || (all[i].Kind != timeline.KindState && all[i].Cause != 0 && causes[all[i].Cause]) {
			out = append(out, all[i])
		}
	}
	if len(out) > consoleMaxChain {
		out = out[len(out)-consoleMaxChain:]
	}
	return out
}
