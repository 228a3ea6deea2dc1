package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

func registerConversationSteps(sc *godog.ScenarioContext) {
	sc.Step(`^a customer sends "([^"]*)"$`, func(ctx context.Context, body string) error {
		return customerSends(ctx, "", "", body)
	})
	sc.Step(`^a customer sends "([^"]*)" to "([^"]+)"$`, func(ctx context.Context, body, to string) error {
		return customerSends(ctx, "", to, body)
	})
	sc.Step(`^the customer "([^"]+)" sends "([^"]*)" to "([^"]+)"$`, func(ctx context.Context, from, body, to string) error {
		return customerSends(ctx, from, to, body)
	})
	sc.Step(`^a webhook receiver is listening$`, func(ctx context.Context) error {
		_, err := receiver(ctx)
		return err
	})
	sc.Step(`^the address "([^"]+)" auto-creates conversations with a webhook to the receiver$`, addressWebhookToReceiver)
	sc.Step(`^the account's post-event webhook points at the receiver for "([^"]+)"$`, globalWebhookToReceiver)
	sc.Step(`^a backend that sends each new conversation to Flex with workflow "([^"]+)"$`, backendSendsToFlex)
	sc.Step(`^the receiver should get a validly signed "([^"]+)" webhook for the message "([^"]*)"$`, receiverGotSigned)
	sc.Step(`^the receiver should get a validly signed "([^"]+)" webhook$`, func(ctx context.Context, event string) error {
		return receiverGotSigned(ctx, event, "")
	})
	sc.Step(`^"([^"]+)" should be a participant of the conversation$`, participantOfConversation)
	sc.Step(`^"([^"]+)" replies "([^"]*)"$`, func(ctx context.Context, identity, body string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		_, err = w.Control.AgentReply(ctx, w.conversationSID, identity, body)
		return err
	})
	sc.Step(`^the customer should receive "([^"]*)"$`, func(ctx context.Context, body string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		entries, err := w.Control.Timeline(ctx, 0)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type == "message.sent" && e.Refs["conversation_sid"] == w.conversationSID && strings.Contains(e.Summary, fmt.Sprintf("%q", body)) {
				return nil
			}
		}
		return fmt.Errorf("no %q was sent to the customer's channel in conversation %s", body, w.conversationSID)
	})
	sc.Step(`^the conversation should have (\d+) messages?$`, func(ctx context.Context, n int) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
		if err != nil {
			return err
		}
		if len(msgs) != n {
			return fmt.Errorf("conversation %s has %d messages, want %d", w.conversationSID, len(msgs), n)
		}
		return nil
	})
}

func customerSends(ctx context.Context, from, to, body string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	tr, err := w.Control.Inbound(ctx, emulator.InboundParams{From: from, To: to, Body: body})
	if err != nil {
		return err
	}
	w.lastTrace = tr
	w.conversationSID = tr.ConversationSID
	for _, e := range tr.Entries {
		if e.Type == "task.created" {
			w.taskSID = e.SID
		}
	}
	return nil
}

func receiver(ctx context.Context) (*Receiver, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, err
	}
	if w.receiver == nil {
		w.receiver = NewReceiver(w.Info.AuthToken)
	}
	return w.receiver, nil
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

func addressWebhookToReceiver(ctx context.Context, address string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	rc, err := receiver(ctx)
	if err != nil {
		return err
	}
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
func globalWebhookToReceiver(ctx context.Context, filters string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	rc, err := receiver(ctx)
	if err != nil {
		return err
	}
	p := &conversations.UpdateConfigurationWebhookParams{}
	p.SetPostWebhookUrl(rc.URL() + "/global").SetMethod("POST").SetFilters(strings.Split(filters, ","))
	_, err = w.Twilio.ConversationsV1.UpdateConfigurationWebhook(p)
	return err
}

// backendSendsToFlex makes the receiver behave like the setup doc's
// backend: on onMessageAdded it creates a Flex Interaction for the
// conversation and removes the conversation's webhook, as Twilio's samples do.
func backendSendsToFlex(ctx context.Context, workflowName string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	rc, err := receiver(ctx)
	if err != nil {
		return err
	}
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

func receiverGotSigned(ctx context.Context, event, body string) error {
	rc, err := receiver(ctx)
	if err != nil {
		return err
	}
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

func participantOfConversation(ctx context.Context, identity string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
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
