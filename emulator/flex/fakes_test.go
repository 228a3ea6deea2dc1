package flex

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

const (
	convSID     = "CH11111111111111111111111111111111"
	webchatSID  = "CH22222222222222222222222222222222"
	workspace   = "WS00000000000000000000000000000001"
	workflow    = "WW00000000000000000000000000000001"
	taskChannel = "TC00000000000000000000000000000001"
)

// fakeConversations knows two conversations: an SMS one and a webchat one.
type fakeConversations struct {
	convs   map[string]ConversationInfo
	agents  []string // "CH…/identity"
	failAdd error
}

func newFakeConversations() *fakeConversations {
	return &fakeConversations{convs: map[string]ConversationInfo{
		convSID: {SID: convSID, ChatServiceSID: "IS00000000000000000000000000000001", State: "active",
			Attributes: map[string]any{}, ChannelType: "sms", CustomerAddress: "+15552223333", ProxyAddress: "+15550001111"},
		webchatSID: {SID: webchatSID, ChatServiceSID: "IS00000000000000000000000000000001", State: "active",
			Attributes: map[string]any{"pre_engagement_data": map[string]any{"friendlyName": "Ann"}}},
	}}
}

func (f *fakeConversations) Conversation(sid string) (ConversationInfo, error) {
	c, ok := f.convs[sid]
	if !ok {
		return ConversationInfo{}, twilio.NotFound("/Conversations/" + sid)
	}
	return c, nil
}

func (f *fakeConversations) AddAgent(conversationSID, identity string) (string, error) {
	if f.failAdd != nil {
		return "", f.failAdd
	}
	f.agents = append(f.agents, conversationSID+"/"+identity)
	return fmt.Sprintf("MB%032d", len(f.agents)), nil
}

// fakeTaskRouter has one workspace with one workflow.
type fakeTaskRouter struct {
	clk        clock.Clock
	tasks      []TaskSpec
	infos      []TaskInfo
	updates    []string // "WT…:status"
	failCreate error
}

func (f *fakeTaskRouter) WorkspaceOfWorkflow(sid string) (string, error) {
	if sid != workflow {
		return "", twilio.NotFound("/Workflows/" + sid)
	}
	return workspace, nil
}

func (f *fakeTaskRouter) CreateTask(p TaskSpec) (TaskInfo, error) {
	if f.failCreate != nil {
		return TaskInfo{}, f.failCreate
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(p.Attributes), &attrs); err != nil {
		return TaskInfo{}, twilio.InvalidParam("Attributes", "not JSON")
	}
	f.tasks = append(f.tasks, p)
	now := f.clk.Now()
	prio, timeout := 0, 86400
	if p.Priority != nil {
		prio = *p.Priority
	}
	if p.Timeout != nil {
		timeout = *p.Timeout
	}
	t := TaskInfo{SID: fmt.Sprintf("WT%032d", len(f.tasks)), AccountSID: "AC00000000000000000000000000000000",
		WorkspaceSID: p.WorkspaceSID, WorkflowSID: p.WorkflowSID, WorkflowName: "Default Fifo Workflow",
		QueueSID: "WQ00000000000000000000000000000001", QueueName: "Sample Queue",
		TaskChannelSID: taskChannel, TaskChannelUniqueName: "chat", AssignmentStatus: "pending",
		Attributes: p.Attributes, Addons: "{}", Priority: prio, Timeout: timeout,
		DateCreated: now, DateUpdated: now, TaskQueueEnteredDate: now}
	f.infos = append(f.infos, t)
	return t, nil
}

func (f *fakeTaskRouter) UpdateTaskStatus(ws, task, status, reason string) error {
	f.updates = append(f.updates, task+":"+status)
	return nil
}

type fixture struct {
	env  env.Env
	clk  *clock.Virtual
	conv *fakeConversations
	tr   *fakeTaskRouter
	eng  *Engine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e, clk := env.ForTest()
	f := &fixture{env: e, clk: clk, conv: newFakeConversations(), tr: &fakeTaskRouter{clk: clk}}
	f.eng = New(e, f.conv, f.tr)
	return f
}

// smsParams is the backend-webhook create of section 4.8.
func smsParams(attrs map[string]any) CreateInteractionParams {
	var ch ChannelParams
	ch.Type, ch.InitiatedBy, ch.Properties.MediaChannelSID = "sms", "customer", convSID
	return CreateInteractionParams{Channel: ch, Routing: RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow,
		TaskChannelUniqueName: "chat", Attributes: attrs}}
}

func ptr[T any](v T) *T { return &v }
