package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator"
	convapi "github.com/twilio/twilio-go/rest/conversations/v1"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
	flexv2 "github.com/twilio/twilio-go/rest/flex/v2"
	trapi "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Steps for the Flex side a user drives with twilio-go: the webchat entry
// point (POST /v2/WebChats, then the customer's messages as the webchat
// widget sends them), the Flex Configuration, and Interactions Flex creates
// with channel participants[] and routing straight to a worker or queue.
func registerWebchatSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, webchatKey{}, &webchatState{}), nil
	})
	sc.Step(`^a webchat customer "([^"]+)" starts a chat(?: on "([^"]+)")? with pre-engagement data (\{.*\})$`, startWebchat)
	sc.Step(`^the webchat customer sends "([^"]*)"$`, webchatCustomerSends)
	sc.Step(`^a webchat customer sends "([^"]*)" through the emulator(?: with pre-engagement data (\{.*\}))?$`, func(ctx context.Context, body, ped string) error {
		return webchatInbound(ctx, "", body, ped)
	})
	sc.Step(`^the webchat customer "([^"]+)" sends "([^"]*)" through the emulator$`, func(ctx context.Context, identity, body string) error {
		return webchatInbound(ctx, identity, body, "")
	})
	sc.Step(`^the webchat customer should be a participant of the conversation$`, func(ctx context.Context) error {
		st := webchatStateOf(ctx)
		if st.identity == "" {
			return errors.New("no webchat was started")
		}
		return participantOfConversation(ctx, st.identity)
	})
	sc.Step(`^the conversation's attribute "([^"]+)" should be "([^"]*)"$`, func(ctx context.Context, key, want string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c, err := w.Twilio.ConversationsV1.FetchConversation(w.conversationSID)
		if err != nil {
			return err
		}
		if got, ok := attribute(str(c.Attributes), key); !ok || got != want {
			return fmt.Errorf("conversation %s attribute %s = %q (present %v), want %q; attributes: %s", w.conversationSID, key, got, ok, want, str(c.Attributes))
		}
		return nil
	})
	sc.Step(`^starting a webchat on "([^"]+)" should be refused$`, func(ctx context.Context, address string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		sid := address
		if s, err := w.AddressSID(address); err == nil {
			sid = s
		}
		_, err = w.Twilio.FlexV2.CreateWebChannel((&flexv2.CreateWebChannelParams{}).SetAddressSid(sid))
		if err == nil {
			return fmt.Errorf("POST /v2/WebChats on %s was accepted", address)
		}
		if !strings.Contains(err.Error(), "400") {
			return fmt.Errorf("POST /v2/WebChats on %s: %v, want a 400", address, err)
		}
		return nil
	})

	// Configuration.
	sc.Step(`^the Flex configuration should name the workspace "([^"]+)", the workflow "([^"]+)" and the queue "([^"]+)"$`, configurationNamesRouting)
	sc.Step(`^the Flex configuration should name the activity "([^"]+)" as offline$`, func(ctx context.Context, name string) error {
		w, cfg, err := fetchConfiguration(ctx)
		if err != nil {
			return err
		}
		ws := w.Info.Workspace.SID
		acts, err := w.Twilio.TaskrouterV1.ListActivity(ws, (&trapi.ListActivityParams{}).SetFriendlyName(name))
		if err != nil || len(acts) == 0 {
			return fmt.Errorf("no activity %q: %v", name, err)
		}
		if got := cfg["taskrouter_offline_activity_sid"]; got != *acts[0].Sid {
			return fmt.Errorf("taskrouter_offline_activity_sid = %v, want %s (%s)", got, *acts[0].Sid, name)
		}
		return nil
	})
	sc.Step(`^the Flex configuration should name the account's Conversations service as its chat service$`, func(ctx context.Context) error {
		w, cfg, err := fetchConfiguration(ctx)
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
	})
	sc.Step(`^Flex sets the configuration's "([^"]+)" to (.+)$`, func(ctx context.Context, key, value string) error {
		return updateConfiguration(ctx, key, value)
	})
	sc.Step(`^setting the configuration's "([^"]+)" to (.+) should be refused$`, func(ctx context.Context, key, value string) error {
		err := updateConfiguration(ctx, key, value)
		if err == nil {
			return fmt.Errorf("setting %s was accepted", key)
		}
		if !strings.Contains(err.Error(), "400") {
			return fmt.Errorf("setting %s: %v, want a 400", key, err)
		}
		return nil
	})
	sc.Step(`^the Flex configuration's "([^"]+)" should be (.+)$`, func(ctx context.Context, key, value string) error {
		_, cfg, err := fetchConfiguration(ctx)
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
	})

	// Interactions created by Flex.
	sc.Step(`^Flex creates an outbound "([^"]+)" interaction from "([^"]+)" to "([^"]+)" routed to (worker|queue) "([^"]+)"$`, outboundInteraction)
	sc.Step(`^the conversation should have the customer "([^"]+)" on "([^"]+)"$`, func(ctx context.Context, address, proxy string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
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
	})
	sc.Step(`^the task should target worker "([^"]+)"$`, func(ctx context.Context, name string) error {
		_, _, wk, err := workerByName(ctx, name)
		if err != nil {
			return err
		}
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.RoutingTarget); got != wk {
			return fmt.Errorf("task %s routing_target = %q, want %s (%s)", *t.Sid, got, wk, name)
		}
		return nil
	})
}

// webchatState is the scenario's webchat customer.
type webchatState struct {
	identity string
}

type webchatKey struct{}

func webchatStateOf(ctx context.Context) *webchatState {
	if st, ok := ctx.Value(webchatKey{}).(*webchatState); ok {
		return st
	}
	return &webchatState{} // outside a scenario: nothing to remember
}

// startWebchat does what a webchat site's backend does: POST /v2/WebChats on
// the chat address with the pre-engagement form.
func startWebchat(ctx context.Context, name, address, ped string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	sid, err := chatAddressSID(w, address)
	if err != nil {
		return err
	}
	p := (&flexv2.CreateWebChannelParams{}).SetAddressSid(sid).SetChatFriendlyName("Webchat widget").
		SetCustomerFriendlyName(name).SetPreEngagementData(ped)
	wc, err := w.Twilio.FlexV2.CreateWebChannel(p)
	if err != nil {
		return err
	}
	if str(wc.ConversationSid) == "" || str(wc.Identity) == "" {
		return fmt.Errorf("POST /v2/WebChats answered no conversation_sid or identity: %+v", wc)
	}
	w.conversationSID, w.taskSID = *wc.ConversationSid, ""
	webchatStateOf(ctx).identity = *wc.Identity
	return nil
}

// chatAddressSID is the IG SID of address, or of the first chat address.
func chatAddressSID(w *World, address string) (string, error) {
	if address != "" {
		return w.AddressSID(address)
	}
	addrs, err := w.Twilio.ConversationsV1.ListConfigurationAddress((&convapi.ListConfigurationAddressParams{}).SetType("chat"))
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", errors.New("the account has no address configuration of type chat")
	}
	return *addrs[0].Sid, nil
}

// webchatCustomerSends sends as the webchat widget's backend does for the
// customer's first question: a REST message authored by the customer's
// identity with X-Twilio-Webhook-Enabled, so the conversation's Studio
// webhook runs; then it waits for what that caused and finds the task.
func webchatCustomerSends(ctx context.Context, body string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	st := webchatStateOf(ctx)
	if st.identity == "" {
		return errors.New("no webchat was started")
	}
	p := (&convapi.CreateConversationMessageParams{}).SetAuthor(st.identity).SetBody(body).SetXTwilioWebhookEnabled("true")
	if _, err := w.Twilio.ConversationsV1.CreateConversationMessage(w.conversationSID, p); err != nil {
		return err
	}
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	return findConversationTask(ctx, w)
}

// findConversationTask sets the scenario's task: the newest task whose
// conversationSid attribute is the scenario's conversation.
func findConversationTask(ctx context.Context, w *World) error {
	if w.Info.Workspace == nil {
		return errors.New("the emulator has no workspace")
	}
	tasks, err := w.Twilio.TaskrouterV1.ListTask(w.Info.Workspace.SID, nil)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if conv, _ := attribute(str(t.Attributes), "conversationSid"); conv == w.conversationSID {
			w.taskSID = *t.Sid
		}
	}
	return nil
}

// webchatInbound is `send --channel webchat`: the control API's inbound
// with channel webchat.
func webchatInbound(ctx context.Context, identity, body, ped string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	tr, err := w.Control.Inbound(ctx, emulator.InboundParams{From: identity, Body: body,
		Channel: emulator.ChannelWebchat, PreEngagementData: ped})
	if err != nil {
		return err
	}
	w.lastTrace, w.conversationSID = tr, tr.ConversationSID
	for _, e := range tr.Entries {
		if e.Type == "task.created" {
			w.taskSID = e.SID
		}
		if e.Type == "webchat.created" {
			webchatStateOf(ctx).identity = e.Refs["identity"]
		}
	}
	return nil
}

func fetchConfiguration(ctx context.Context) (*World, map[string]any, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := w.Twilio.FlexV1.FetchConfiguration(nil)
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, nil, err
	}
	var m map[string]any
	return w, m, json.Unmarshal(raw, &m)
}

func updateConfiguration(ctx context.Context, key, value string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		return fmt.Errorf("%s is not JSON: %v", value, err)
	}
	body := map[string]any{"account_sid": w.Info.AccountSID, key: v}
	_, err = w.Twilio.FlexV1.UpdateConfiguration((&flexapi.UpdateConfigurationParams{}).SetBody(body))
	return err
}

func configurationNamesRouting(ctx context.Context, workspace, workflow, queue string) error {
	w, cfg, err := fetchConfiguration(ctx)
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
	q, err := queueSID(w, queue)
	if err != nil {
		return err
	}
	if cfg["taskrouter_target_taskqueue_sid"] != q {
		return fmt.Errorf("taskrouter_target_taskqueue_sid = %v, want %s", cfg["taskrouter_target_taskqueue_sid"], q)
	}
	return nil
}

func queueSID(w *World, name string) (string, error) {
	qs, err := w.Twilio.TaskrouterV1.ListTaskQueue(w.Info.Workspace.SID, (&trapi.ListTaskQueueParams{}).SetFriendlyName(name))
	if err != nil || len(qs) == 0 {
		return "", fmt.Errorf("no task queue %q: %v", name, err)
	}
	return *qs[0].Sid, nil
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
func outboundInteraction(ctx context.Context, channel, proxy, customer, kind, target string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	if w.Info.Workspace == nil {
		return errors.New("the emulator has no workspace")
	}
	props := map[string]any{"workspace_sid": w.Info.Workspace.SID, "task_channel_unique_name": "chat",
		"attributes": map[string]any{"customerName": customer}}
	if kind == "worker" {
		_, _, wk, err := workerByName(ctx, target)
		if err != nil {
			return err
		}
		props["worker_sid"] = wk
	} else {
		q, err := queueSID(w, target)
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
		return fmt.Errorf("the task of interaction %s names no conversationSid: %s", str(in.Sid), rt.Properties.Attributes)
	}
	w.taskSID, w.conversationSID = rt.Properties.SID, conv
	return nil
}
