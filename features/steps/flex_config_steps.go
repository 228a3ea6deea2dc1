package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
	trapi "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Steps for the Flex Configuration, and for Interactions Flex creates with
// channel participants[] and routing straight to a worker or queue.
var flexConfigSteps = []stepDef{
	{pattern: `^the Flex configuration should name the workspace "([^"]+)", the workflow "([^"]+)" and the queue "([^"]+)"$`, fn: (*World).configurationNamesRouting,
		doc: "the Flex Configuration's taskrouter_workspace_sid, taskrouter_target_workflow_sid and taskrouter_target_taskqueue_sid are those"},
	{pattern: `^the Flex configuration should name the activity "([^"]+)" as offline$`, fn: (*World).configurationOfflineActivity,
		doc: "the Flex Configuration's taskrouter_offline_activity_sid is that activity"},
	{pattern: `^the Flex configuration should name the account's Conversations service as its chat service$`, fn: (*World).configurationChatService,
		doc: "chat_service_instance_sid and flex_service_instance_sid are the default Conversations service"},
	{pattern: `^Flex sets the configuration's "([^"]+)" to (.+)$`, fn: (*World).setConfiguration,
		doc: `POST /v1/Configuration with that key set to a JSON value ("ui_attributes" to {…})`},
	{pattern: `^setting the configuration's "([^"]+)" to (.+) should be refused$`, fn: (*World).setConfigurationRefused,
		doc: "that Configuration update answers 400"},
	{pattern: `^the Flex configuration's "([^"]+)" should be (.+)$`, fn: (*World).configurationValue,
		doc: "the Flex Configuration's value at a dotted key equals that JSON"},
	{pattern: `^Flex creates an outbound "([^"]+)" interaction from "([^"]+)" to "([^"]+)" routed to (worker|queue) "([^"]+)"$`, fn: (*World).outboundInteraction,
		doc: "POST /v1/Interactions with the channel's participants[] and routing to that worker or queue; its conversation and task become the scenario's"},
	{pattern: `^the conversation should have the customer "([^"]+)" on "([^"]+)"$`, fn: (*World).conversationHasCustomer,
		doc: "the scenario's conversation has a participant bound to that address and proxy address"},
	{pattern: `^the task should target worker "([^"]+)"$`, fn: (*World).taskTargetsWorker,
		doc: "the task's routing_target is that worker"},
}

func (w *World) fetchConfiguration() (map[string]any, error) {
	c, err := w.Twilio.FlexV1.FetchConfiguration(nil)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}

func (w *World) updateConfiguration(key, value string) error {
	var v any
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		return fmt.Errorf("%s is not JSON: %v", value, err)
	}
	body := map[string]any{"account_sid": w.Info.AccountSID, key: v}
	_, err := w.Twilio.FlexV1.UpdateConfiguration((&flexapi.UpdateConfigurationParams{}).SetBody(body))
	return err
}

func (w *World) configurationNamesRouting(ctx context.Context, workspace, workflow, queue string) error {
	cfg, err := w.fetchConfiguration()
	if err != nil {
		return err
	}
	if w.Info.Workspace == nil || w.Info.Workspace.FriendlyName != workspace {
		return fmt.Errorf("the emulator's workspace is not %q", workspace)
	}
	ws := w.Info.Workspace.SID
	if cfg["taskrouter_workspace_sid"] != ws {
		return fmt.Errorf("taskrouter_workspace_sid = %v, want %s", cfg["taskrouter_workspace_sid"], ws)
	}
	wfs, err := w.Twilio.TaskrouterV1.ListWorkflow(ws, (&trapi.ListWorkflowParams{}).SetFriendlyName(workflow))
	if err != nil || len(wfs) == 0 {
		return fmt.Errorf("no workflow %q: %v", workflow, err)
	}
	if cfg["taskrouter_target_workflow_sid"] != *wfs[0].Sid {
		return fmt.Errorf("taskrouter_target_workflow_sid = %v, want %s", cfg["taskrouter_target_workflow_sid"], *wfs[0].Sid)
	}
	q, err := w.queueSID(queue)
	if err != nil {
		return err
	}
	if cfg["taskrouter_target_taskqueue_sid"] != q {
		return fmt.Errorf("taskrouter_target_taskqueue_sid = %v, want %s", cfg["taskrouter_target_taskqueue_sid"], q)
	}
	return nil
}

func (w *World) configurationOfflineActivity(ctx context.Context, name string) error {
	cfg, err := w.fetchConfiguration()
	if err != nil {
		return err
	}
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	act, err := w.activitySID(ws, name)
	if err != nil {
		return err
	}
	if got := cfg["taskrouter_offline_activity_sid"]; got != act {
		return fmt.Errorf("taskrouter_offline_activity_sid = %v, want %s (%s)", got, act, name)
	}
	return nil
}

func (w *World) configurationChatService(ctx context.Context) error {
	cfg, err := w.fetchConfiguration()
	if err != nil {
		return err
	}
	cc, err := w.Twilio.ConversationsV1.FetchConfiguration()
	if err != nil {
		return err
	}
	for _, k := range []string{"chat_service_instance_sid", "flex_service_instance_sid"} {
		if cfg[k] != str(cc.DefaultChatServiceSid) {
			return fmt.Errorf("%s = %v, want the default Conversations service %s", k, cfg[k], str(cc.DefaultChatServiceSid))
		}
	}
	return nil
}

func (w *World) setConfiguration(ctx context.Context, key, value string) error {
	return w.updateConfiguration(key, value)
}

func (w *World) setConfigurationRefused(ctx context.Context, key, value string) error {
	err := w.updateConfiguration(key, value)
	if err == nil {
		return fmt.Errorf("setting %s was accepted", key)
	}
	if !strings.Contains(err.Error(), "400") {
		return fmt.Errorf("setting %s: %v, want a 400", key, err)
	}
	return nil
}

func (w *World) configurationValue(ctx context.Context, key, value string) error {
	cfg, err := w.fetchConfiguration()
	if err != nil {
		return err
	}
	var want any
	if err := json.Unmarshal([]byte(value), &want); err != nil {
		return fmt.Errorf("%s is not JSON: %v", value, err)
	}
	got, ok := lookupKey(cfg, key)
	if !ok || !reflect.DeepEqual(got, want) {
		raw, _ := json.Marshal(got)
		return fmt.Errorf("configuration %s = %s (present %v), want %s", key, raw, ok, value)
	}
	return nil
}

// lookupKey reads a dotted path of a decoded JSON object.
func lookupKey(m map[string]any, key string) (any, bool) {
	var v any = m
	for _, part := range strings.Split(key, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// outboundInteraction is what Flex does for an agent-initiated outbound
// message (or a "route to" plugin): POST /v1/Interactions with the channel's
// participants[] (Flex opens the conversation) and routing.properties naming
// the worker or queue.
func (w *World) outboundInteraction(ctx context.Context, channel, proxy, customer, kind, target string) error {
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	props := map[string]any{"workspace_sid": ws, "task_channel_unique_name": "chat",
		"attributes": map[string]any{"customerName": customer}}
	if kind == "worker" {
		_, wk, err := w.workerSID(target)
		if err != nil {
			return err
		}
		props["worker_sid"] = wk
	} else {
		q, err := w.queueSID(target)
		if err != nil {
			return err
		}
		props["queue_sid"] = q
	}
	initiatedBy := "agent"
	if kind == "queue" {
		initiatedBy = "api"
	}
	p := (&flexapi.CreateInteractionParams{}).
		SetChannel(map[string]any{"type": channel, "initiated_by": initiatedBy,
			"participants": []any{map[string]any{"address": customer, "proxy_address": proxy, "type": channel}}}).
		SetRouting(map[string]any{"properties": props})
	in, err := w.Twilio.FlexV1.CreateInteraction(p)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(in.Routing)
	var rt struct {
		Properties struct {
			SID        string `json:"sid"`
			Attributes string `json:"attributes"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &rt); err != nil || rt.Properties.SID == "" {
		return fmt.Errorf("interaction %s has no task in routing.properties: %s", str(in.Sid), raw)
	}
	conv, _ := attribute(rt.Properties.Attributes, "conversationSid")
	if conv == "" {
		return errors.New("the task of interaction " + str(in.Sid) + " names no conversationSid: " + rt.Properties.Attributes)
	}
	w.taskSID, w.conversationSID = rt.Properties.SID, conv
	return nil
}

func (w *World) conversationHasCustomer(ctx context.Context, address, proxy string) error {
	parts, err := w.Twilio.ConversationsV1.ListConversationParticipant(w.conversationSID, nil)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.MessagingBinding == nil {
			continue
		}
		raw, _ := json.Marshal(*p.MessagingBinding)
		var b struct {
			Address      string `json:"address"`
			ProxyAddress string `json:"proxy_address"`
		}
		if json.Unmarshal(raw, &b) == nil && b.Address == address && b.ProxyAddress == proxy {
			return nil
		}
	}
	return fmt.Errorf("conversation %s has no participant bound to %s on %s", w.conversationSID, address, proxy)
}

func (w *World) taskTargetsWorker(ctx context.Context, name string) error {
	_, wk, err := w.workerSID(name)
	if err != nil {
		return err
	}
	t, err := w.lastTask()
	if err != nil {
		return err
	}
	if got := str(t.RoutingTarget); got != wk {
		return fmt.Errorf("task %s routing_target = %q, want %s (%s)", *t.Sid, got, wk, name)
	}
	return nil
}
