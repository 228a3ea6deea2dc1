package emulator

import (
	"encoding/json"
	"fmt"

	"github.com/flexemu/flexemu/emulator/content"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Setup is what a fixture created, for the banner, `send`'s defaults and steps.
type Setup struct {
	Workspace *SetupWorkspace   `json:"workspace,omitempty"`
	Addresses []SetupAddress    `json:"addresses"`
	Customers map[string]string `json:"customers"`
}

// build creates an account's engines, wires them and applies the fixture
// through the same engine methods the REST API calls.
func build(e env.Env, fx *fixture.Fixture) (Engines, error) {
	var en Engines
	en.Conversations = conversations.New(e)
	en.TaskRouter = taskrouter.New(e)
	en.Flex = flex.New(e, flexConversations{en.Conversations}, flexTaskRouter{en.TaskRouter})
	en.Studio = studio.New(e, studioFlex{en.Flex}, studioConversations{en.Conversations})
	en.Content = content.New(e)
	wire(&en)
	if fx == nil {
		return en, nil
	}
	a := applier{fx: fx, en: &en, flows: map[string]string{}}
	if err := a.apply(); err != nil {
		return Engines{}, err
	}
	return en, nil
}

type applier struct {
	fx    *fixture.Fixture
	en    *Engines
	flows map[string]string // friendly name → FW SID
}

// fail turns an engine error into a fixture error at the item's line.
func (a *applier) fail(line int, field string, err error) error {
	msg := err.Error()
	if te, ok := err.(*twilio.Error); ok {
		msg = te.Message
	}
	return a.fx.Errorf(line, field, "%s", msg)
}

func (a *applier) apply() error {
	if err := a.workspace(); err != nil {
		return err
	}
	for i, c := range a.fx.ContentTemplates {
		if _, err := a.en.Content.Create(content.CreateParams{SID: c.SID, FriendlyName: c.FriendlyName,
			Language: c.Language, Variables: c.Variables, Types: json.RawMessage(c.Types.Text)}); err != nil {
			return a.fail(c.Line, fmt.Sprintf("content_templates[%d]", i), err)
		}
	}
	for i, f := range a.fx.StudioFlows {
		def, err := a.fx.FlowDefinition(f)
		if err != nil {
			return err
		}
		status := f.Status
		if status == "" {
			status = "published"
		}
		flow, err := a.en.Studio.CreateFlow(studio.CreateFlowParams{SID: f.SID, FriendlyName: f.FriendlyName,
			Status: status, Definition: def, CommitMessage: "loaded from fixture " + a.fx.Name})
		if err != nil {
			return a.fail(f.Line, fmt.Sprintf("studio_flows[%d]", i), err)
		}
		a.flows[f.FriendlyName] = flow.SID
	}
	a.en.Setup.Customers = map[string]string{}
	for k, v := range a.fx.Customers {
		a.en.Setup.Customers[k] = v
	}
	for i, ad := range a.fx.Addresses {
		if err := a.address(i, ad); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) workspace() error {
	w := a.fx.Workspace
	if w == nil {
		return nil
	}
	tr := a.en.TaskRouter
	ws, err := tr.CreateWorkspace(taskrouter.CreateWorkspaceParams{SID: w.SID, FriendlyName: w.FriendlyName,
		MultiTaskEnabled: w.MultiTaskEnabled, EventCallbackURL: w.EventCallbackURL, Bare: true})
	if err != nil {
		return a.fail(w.Line, "workspace", err)
	}
	a.en.Setup.Workspace = &SetupWorkspace{SID: ws.SID, FriendlyName: ws.FriendlyName}
	activities := map[string]string{}
	for i, act := range w.Activities {
		created, err := tr.CreateActivity(ws.SID, taskrouter.CreateActivityParams{SID: act.SID, FriendlyName: act.FriendlyName, Available: act.Available})
		if err != nil {
			return a.fail(act.Line, fmt.Sprintf("workspace.activities[%d]", i), err)
		}
		activities[act.FriendlyName] = created.SID
	}
	upd := taskrouter.UpdateWorkspaceParams{}
	if sid, ok := activities[w.DefaultActivity]; ok {
		upd.DefaultActivitySID = &sid
	}
	if sid, ok := activities[w.TimeoutActivity]; ok {
		upd.TimeoutActivitySID = &sid
	}
	if upd.DefaultActivitySID != nil || upd.TimeoutActivitySID != nil {
		if _, err := tr.UpdateWorkspace(ws.SID, upd); err != nil {
			return a.fail(w.Line, "workspace.default_activity", err)
		}
	}
	for i, c := range w.TaskChannels {
		friendly := c.FriendlyName
		if friendly == "" {
			friendly = c.UniqueName
		}
		if _, err := tr.CreateTaskChannel(ws.SID, taskrouter.CreateTaskChannelParams{SID: c.SID, FriendlyName: friendly,
			UniqueName: c.UniqueName, ChannelOptimizedRouting: c.ChannelOptimizedRouting}); err != nil {
			return a.fail(c.Line, fmt.Sprintf("workspace.task_channels[%d]", i), err)
		}
	}
	queues := map[string]string{}
	for i, q := range w.TaskQueues {
		created, err := tr.CreateTaskQueue(ws.SID, taskrouter.CreateTaskQueueParams{SID: q.SID, FriendlyName: q.FriendlyName,
			TargetWorkers: q.TargetWorkers, TaskOrder: q.TaskOrder, MaxReservedWorkers: q.MaxReservedWorkers})
		if err != nil {
			return a.fail(q.Line, fmt.Sprintf("workspace.task_queues[%d]", i), err)
		}
		queues[q.FriendlyName] = created.SID
	}
	for i, wf := range w.Workflows {
		field := fmt.Sprintf("workspace.workflows[%d].configuration", i)
		cfg, err := resolveQueues(wf.Configuration.Text, queues)
		if err != nil {
			return a.fx.Errorf(wf.Configuration.Line, field, "%v", err)
		}
		if _, err := tr.CreateWorkflow(ws.SID, taskrouter.CreateWorkflowParams{SID: wf.SID, FriendlyName: wf.FriendlyName,
			Configuration: cfg, AssignmentCallbackURL: wf.AssignmentCallbackURL,
			TaskReservationTimeout: wf.TaskReservationTimeout}); err != nil {
			return a.fail(wf.Line, fmt.Sprintf("workspace.workflows[%d]", i), err)
		}
	}
	for i, wk := range w.Workers {
		field := fmt.Sprintf("workspace.workers[%d]", i)
		created, err := tr.CreateWorker(ws.SID, taskrouter.CreateWorkerParams{SID: wk.SID, FriendlyName: wk.FriendlyName,
			ActivitySID: activities[wk.Activity], Attributes: wk.Attributes.Text})
		if err != nil {
			return a.fail(wk.Line, field, err)
		}
		for name, ch := range wk.Channels {
			if _, err := tr.UpdateWorkerChannel(ws.SID, created.SID, name,
				taskrouter.UpdateWorkerChannelParams{Capacity: ch.Capacity, Available: ch.Available}); err != nil {
				return a.fail(wk.Line, field+".channels."+name, err)
			}
		}
	}
	return nil
}

// resolveQueues lets a fixture's workflow name queues by friendly name:
// every "queue" in filters' targets and the default filter becomes a SID.
func resolveQueues(cfg string, queues map[string]string) (string, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(cfg), &doc); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	fix := func(target any) error {
		t, ok := target.(map[string]any)
		if !ok {
			return nil
		}
		name, ok := t["queue"].(string)
		if !ok || twilio.IsSID(name, "WQ") {
			return nil
		}
		sid, found := queues[name]
		if !found {
			return fmt.Errorf("queue %q is neither a queue SID nor a task_queues friendly_name", name)
		}
		t["queue"] = sid
		return nil
	}
	routing, _ := doc["task_routing"].(map[string]any)
	if routing != nil {
		if err := fix(routing["default_filter"]); err != nil {
			return "", err
		}
		filters, _ := routing["filters"].([]any)
		for _, f := range filters {
			fm, _ := f.(map[string]any)
			targets, _ := fm["targets"].([]any)
			for _, t := range targets {
				if err := fix(t); err != nil {
					return "", err
				}
			}
		}
	}
	out, err := json.Marshal(doc)
	return string(out), err
}

func (a *applier) address(i int, ad fixture.Address) error {
	ac := ad.AutoCreation
	p := conversations.CreateAddressConfigurationParams{SID: ad.SID, Type: ad.Type, Address: ad.Address, FriendlyName: ad.FriendlyName}
	auto := conversations.AutoCreationParams{Enabled: &ac.Enabled, WebhookFilters: ac.WebhookFilters, StudioRetryCount: ac.StudioRetryCount}
	target := "no auto-creation"
	if ac.Type != "" {
		auto.Type = &ac.Type
	}
	if ac.ConversationServiceSID != "" {
		auto.ConversationServiceSID = &ac.ConversationServiceSID
	}
	if ac.WebhookURL != "" {
		auto.WebhookURL = &ac.WebhookURL
		target = "webhook " + ac.WebhookURL
	}
	if ac.WebhookMethod != "" {
		auto.WebhookMethod = &ac.WebhookMethod
	}
	flow := ac.StudioFlowSID
	if ac.StudioFlow != "" {
		if sid, ok := a.flows[ac.StudioFlow]; ok {
			flow = sid
		} else {
			flow = ac.StudioFlow
		}
	}
	if flow != "" {
		auto.StudioFlowSID = &flow
		target = "studio flow " + flow
		for name, sid := range a.flows {
			if sid == flow {
				target = fmt.Sprintf("studio flow %q (%s)", name, sid)
			}
		}
	}
	if ac.Enabled && (ac.Type == "default" || ac.Type == "") && flow == "" && ac.WebhookURL == "" {
		target = "conversation only (default)"
	}
	p.AutoCreation = auto
	created, err := a.en.Conversations.CreateAddressConfiguration(p)
	if err != nil {
		return a.fail(ad.Line, fmt.Sprintf("addresses[%d]", i), err)
	}
	a.en.Setup.Addresses = append(a.en.Setup.Addresses, SetupAddress{SID: created.SID, Type: ad.Type,
		Address: ad.Address, FriendlyName: ad.FriendlyName, Target: target})
	return nil
}
