package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"

	"github.com/flexemu/flexemu/emulator"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

var conversationSteps = []stepDef{
	{pattern: `^a customer sends "([^"]*)"$`, fn: (*World).aCustomerSends,
		doc: "an inbound message from the fixture's customer to its first address, through the control API; its conversation and task become the scenario's"},
	{pattern: `^a customer sends "([^"]*)" to "([^"]+)"$`, fn: (*World).aCustomerSendsTo,
		doc: "an inbound message to that address"},
	{pattern: `^the customer "([^"]+)" sends "([^"]*)" to "([^"]+)"$`, fn: (*World).theCustomerSendsTo,
		doc: "an inbound message from that customer address to that address"},
	{pattern: `^a webhook receiver is listening$`, fn: (*World).receiverListening,
		doc: "a local endpoint standing in for your backend: it validates X-Twilio-Signature with twilio-go and keeps every request"},
	{pattern: `^the address "([^"]+)" auto-creates conversations with a webhook to the receiver$`, fn: (*World).addressWebhookToReceiver,
		doc: "address configuration auto-creation of type webhook to the receiver (onParticipantAdded, onMessageAdded)"},
	{pattern: `^the account's post-event webhook points at the receiver for "([^"]+)"$`, fn: (*World).globalWebhookToReceiver,
		doc: `the account-level (global) Conversations post-event webhook, filters comma-separated ("onConversationAdded,onMessageAdded")`},
	{pattern: `^a backend that sends each new conversation to Flex with workflow "([^"]+)"$`, fn: (*World).backendSendsToFlex,
		doc: "the receiver behaves like the setup guide's backend: on onMessageAdded it creates a Flex Interaction and removes the conversation's webhook"},
	{pattern: `^the receiver should get a validly signed "([^"]+)" webhook for the message "([^"]*)"$`, fn: (*World).receiverGotSigned,
		doc: "the receiver got that event for that message body, with a valid signature and Twilio's required parameters"},
	{pattern: `^the receiver should get a validly signed "([^"]+)" webhook$`, fn: (*World).receiverGotSignedEvent,
		doc: "the receiver got that event with a valid signature and Twilio's required parameters"},
	{pattern: `^"([^"]+)" should be a participant of the conversation$`, fn: (*World).participantOfConversation,
		doc: "the identity is a participant of the scenario's conversation"},
	{pattern: `^"([^"]+)" replies "([^"]*)"$`, fn: (*World).agentReplies,
		doc: "the identity posts a message in the scenario's conversation (control API agent reply)"},
	{pattern: `^the customer should receive "([^"]*)"$`, fn: (*World).customerShouldReceive,
		doc: "a message with exactly that body was sent to the customer's channel in the scenario's conversation (timeline message.sent)"},
	{pattern: `^the conversation should have (\d+) messages?$`, fn: (*World).conversationHasMessages,
		doc: "the scenario's conversation has that many messages"},
}

func (w *World) aCustomerSends(ctx context.Context, body string) error {
	return w.customerSends(ctx, "", "", body)
}

func (w *World) aCustomerSendsTo(ctx context.Context, body, to string) error {
	return w.customerSends(ctx, "", to, body)
}

func (w *World) theCustomerSendsTo(ctx context.Context, from, body, to string) error {
	return w.customerSends(ctx, from, to, body)
}

// customerSends sends an inbound message and remembers its conversation,
// the task it created and what it caused.
func (w *World) customerSends(ctx context.Context, from, to, body string) error {
	tr, err := w.Control.Inbound(ctx, emulator.InboundParams{From: from, To: to, Body: body})
	if err != nil {
		return err
	}
	w.lastTrace = tr
	w.conversationSID = tr.ConversationSID
	for _, e := range tr.Entries {
		if e.Type == string(eventtype.TaskCreated) {
			w.taskSID = e.SID
		}
	}
	return nil
}

func (w *World) receiverListening(ctx context.Context) error {
	w.Receiver()
	return nil
}

// Receiver returns the scenario's webhook receiver, starting it on first use.
func (w *World) Receiver() *Receiver {
	if w.receiver == nil {
		w.receiver = NewReceiver(w.Info.AuthToken)
	}
	return w.receiver
}

func (w *World) agentReplies(ctx context.Context, identity, body string) error {
	_, err := w.Control.AgentReply(ctx, w.conversationSID, identity, body)
	return err
}

// customerShouldReceive looks for message.sent entries of the scenario's
// conversation, then reads those messages' bodies through the API: the
// entry's summary is for people and may change.
func (w *World) customerShouldReceive(ctx context.Context, body string) error {
	entries, err := w.Control.Timeline(ctx, 0)
	if err != nil {
		return err
	}
	sent := map[string]bool{}
	for _, e := range entries {
		if e.Type == eventtype.MessageSent && e.Refs["conversation_sid"] == w.conversationSID {
			sent[e.SID] = true
		}
	}
	if len(sent) > 0 {
		msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if sent[str(m.Sid)] && str(m.Body) == body {
				return nil
			}
		}
	}
	return fmt.Errorf("no %q was sent to the customer's channel in conversation %s (%d messages sent to it)", body, w.conversationSID, len(sent))
}

func (w *World) conversationHasMessages(ctx context.Context, n int) error {
	msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
	if err != nil {
		return err
	}
	if len(msgs) != n {
		return fmt.Errorf("conversation %s has %d messages, want %d", w.conversationSID, len(msgs), n)
	}
	return nil
}

// AddressSID returns the IG SID of the address configuration for address.
func (w *World) AddressSID(address string) (string, error) {
	addrs, err := w.Twilio.ConversationsV1.ListConfigurationAddress(nil)
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if a.Address != nil && *a.Address == address {
			return *a.Sid, nil
		}
	}
	return "", fmt.Errorf("no address configuration for %s", address)
}

func (w *World) addressWebhookToReceiver(ctx context.Context, address string) error {
	rc := w.Receiver()
	sid, err := w.AddressSID(address)
	if err != nil {
		return err
	}
	p := &conversations.UpdateConfigurationAddressParams{}
	p.SetAutoCreationEnabled(true).SetAutoCreationType("webhook").
		SetAutoCreationWebhookUrl(rc.URL() + "/conversations?tenant=7").SetAutoCreationWebhookMethod("POST").
		SetAutoCreationWebhookFilters([]string{"onParticipantAdded", "onMessageAdded"})
	_, err = w.Twilio.ConversationsV1.UpdateConfigurationAddress(sid, p)
	return err
}

// globalWebhookToReceiver sets the account-level (global) Conversations
// webhook, which receives onConversationAdded among others.
func (w *World) globalWebhookToReceiver(ctx context.Context, filters string) error {
	rc := w.Receiver()
	p := &conversations.UpdateConfigurationWebhookParams{}
	p.SetPostWebhookUrl(rc.URL() + "/global").SetMethod("POST").SetFilters(strings.Split(filters, ","))
	_, err := w.Twilio.ConversationsV1.UpdateConfigurationWebhook(p)
	return err
}

// backendSendsToFlex makes the receiver behave like the setup doc's
// backend: on onMessageAdded it creates a Flex Interaction for the
// conversation and removes the conversation's webhook, as Twilio's samples do.
func (w *World) backendSendsToFlex(ctx context.Context, workflowName string) error {
	rc := w.Receiver()
	ws, wf, err := w.WorkflowSID(workflowName)
	if err != nil {
		return err
	}
	client := w.Twilio
	rc.OnRequest = func(r Request) {
		if r.Params["EventType"] != "onMessageAdded" {
			return
		}
		p := &flexapi.CreateInteractionParams{}
		p.SetChannel(map[string]any{"type": "sms", "initiated_by": "customer",
			"properties": map[string]any{"media_channel_sid": r.Params["ConversationSid"]}})
		p.SetRouting(map[string]any{"properties": map[string]any{"workspace_sid": ws, "workflow_sid": wf,
			"task_channel_unique_name": "chat", "attributes": map[string]any{"from": r.Params["Author"]}}})
		if _, err := client.FlexV1.CreateInteraction(p); err != nil {
			return
		}
		if sid := r.Params["WebhookSid"]; sid != "" {
			_ = client.ConversationsV1.DeleteConversationScopedWebhook(r.Params["ConversationSid"], sid)
		}
	}
	return nil
}

// WorkflowSID finds a workflow by friendly name in any workspace and returns
// its workspace and workflow SIDs.
func (w *World) WorkflowSID(name string) (ws, wf string, err error) {
	spaces, err := w.Twilio.TaskrouterV1.ListWorkspace(nil)
	if err != nil {
		return "", "", err
	}
	for _, s := range spaces {
		flows, err := w.Twilio.TaskrouterV1.ListWorkflow(*s.Sid, &taskrouter.ListWorkflowParams{})
		if err != nil {
			return "", "", err
		}
		for _, f := range flows {
			if f.FriendlyName != nil && *f.FriendlyName == name {
				return *s.Sid, *f.Sid, nil
			}
		}
	}
	return "", "", fmt.Errorf("no workflow named %q", name)
}

func (w *World) receiverGotSignedEvent(ctx context.Context, event string) error {
	return w.receiverGotSigned(ctx, event, "")
}

func (w *World) receiverGotSigned(ctx context.Context, event, body string) error {
	rc := w.Receiver()
	var seen []string
	for _, r := range rc.Requests() {
		seen = append(seen, r.Params["EventType"])
		if r.Params["EventType"] != event {
			continue
		}
		if body != "" && r.Params["Body"] != body {
			continue
		}
		if !r.SignatureValid {
			return fmt.Errorf("%s arrived with an X-Twilio-Signature twilio-go rejects", event)
		}
		required := []string{"AccountSid", "ChatServiceSid", "Source"}
		if strings.HasSuffix(event, "ed") { // post-events concern an existing conversation
			required = append(required, "ConversationSid")
		}
		for _, p := range required {
			if r.Params[p] == "" {
				return fmt.Errorf("%s is missing %s: %v", event, p, r.Params)
			}
		}
		return nil
	}
	return fmt.Errorf("no %s for %q among %d webhooks received (%s)", event, body, len(seen), strings.Join(seen, ", "))
}

func (w *World) participantOfConversation(ctx context.Context, identity string) error {
	parts, err := w.Twilio.ConversationsV1.ListConversationParticipant(w.conversationSID, nil)
	if err != nil {
		return err
	}
	var ids []string
	for _, p := range parts {
		if p.Identity != nil {
			if *p.Identity == identity {
				return nil
			}
			ids = append(ids, *p.Identity)
		} else if b, err := json.Marshal(p.MessagingBinding); err == nil {
			ids = append(ids, string(b))
		}
	}
	return fmt.Errorf("%q is not a participant of %s (participants: %s)", identity, w.conversationSID, strings.Join(ids, ", "))
}
