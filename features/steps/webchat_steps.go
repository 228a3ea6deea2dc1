package steps

import (
	"context"
	"errors"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"

	"github.com/flexemu/flexemu/emulator"
	convapi "github.com/twilio/twilio-go/rest/conversations/v1"
	flexv2 "github.com/twilio/twilio-go/rest/flex/v2"
)

// Steps for the Flex webchat entry point a user drives with twilio-go: POST
// /v2/WebChats, then the customer's messages as the webchat widget sends
// them; or the emulator's own webchat inbound (send --channel webchat).
var webchatSteps = []stepDef{
	{pattern: `^a webchat customer "([^"]+)" starts a chat(?: on "([^"]+)")? with pre-engagement data (\{.*\})$`, fn: (*World).startWebchat,
		doc: "what a webchat site's backend does: POST /v2/WebChats on the address (else the first chat address) with that pre-engagement form; its conversation becomes the scenario's"},
	{pattern: `^the webchat customer sends "([^"]*)"$`, fn: (*World).webchatCustomerSends,
		doc: "a REST message authored by the webchat customer with X-Twilio-Webhook-Enabled, as the widget's backend sends it; the task it leads to becomes the task"},
	{pattern: `^a webchat customer sends "([^"]*)" through the emulator(?: with pre-engagement data (\{.*\}))?$`, fn: (*World).webchatInboundAnonymous,
		doc: "the control API's inbound on channel webchat (send --channel webchat), optionally with pre-engagement data"},
	{pattern: `^the webchat customer "([^"]+)" sends "([^"]*)" through the emulator$`, fn: (*World).webchatInboundAs,
		doc: "the control API's webchat inbound from that identity"},
	{pattern: `^the webchat customer should be a participant of the conversation$`, fn: (*World).webchatCustomerIsParticipant,
		doc: "the webchat customer's identity is a participant of the scenario's conversation"},
	{pattern: `^the conversation's attribute "([^"]+)" should be "([^"]*)"$`, fn: (*World).conversationAttribute,
		doc: "the scenario's conversation's attribute at a dotted key"},
	{pattern: `^starting a webchat on "([^"]+)" should be refused$`, fn: (*World).webchatRefused,
		doc: "POST /v2/WebChats on that address (or SID) answers 400"},
}

// startWebchat does what a webchat site's backend does: POST /v2/WebChats on
// the chat address with the pre-engagement form.
func (w *World) startWebchat(ctx context.Context, name, address, ped string) error {
	sid, err := w.chatAddressSID(address)
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
	w.webchatIdentity = *wc.Identity
	return nil
}

// chatAddressSID is the IG SID of address, or of the first chat address.
func (w *World) chatAddressSID(address string) (string, error) {
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
func (w *World) webchatCustomerSends(ctx context.Context, body string) error {
	if w.webchatIdentity == "" {
		return errors.New("no webchat was started")
	}
	p := (&convapi.CreateConversationMessageParams{}).SetAuthor(w.webchatIdentity).SetBody(body).SetXTwilioWebhookEnabled("true")
	if _, err := w.Twilio.ConversationsV1.CreateConversationMessage(w.conversationSID, p); err != nil {
		return err
	}
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	return w.findConversationTask()
}

// findConversationTask sets the scenario's task: the newest task whose
// conversationSid attribute is the scenario's conversation.
func (w *World) findConversationTask() error {
	ws, err := w.workspaceSID()
	if err != nil {
		return err
	}
	tasks, err := w.Twilio.TaskrouterV1.ListTask(ws, nil)
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

func (w *World) webchatInboundAnonymous(ctx context.Context, body, ped string) error {
	return w.webchatInbound(ctx, "", body, ped)
}

func (w *World) webchatInboundAs(ctx context.Context, identity, body string) error {
	return w.webchatInbound(ctx, identity, body, "")
}

// webchatInbound is `send --channel webchat`: the control API's inbound
// with channel webchat.
func (w *World) webchatInbound(ctx context.Context, identity, body, ped string) error {
	tr, err := w.Control.Inbound(ctx, emulator.InboundParams{From: identity, Body: body,
		Channel: emulator.ChannelWebchat, PreEngagementData: ped})
	if err != nil {
		return err
	}
	w.lastTrace, w.conversationSID = tr, tr.ConversationSID
	for _, e := range tr.Entries {
		if e.Type == string(eventtype.TaskCreated) {
			w.taskSID = e.SID
		}
		if e.Type == eventtype.WebchatCreated {
			w.webchatIdentity = e.Refs["identity"]
		}
	}
	return nil
}

func (w *World) webchatCustomerIsParticipant(ctx context.Context) error {
	if w.webchatIdentity == "" {
		return errors.New("no webchat was started")
	}
	return w.participantOfConversation(ctx, w.webchatIdentity)
}

func (w *World) conversationAttribute(ctx context.Context, key, want string) error {
	c, err := w.Twilio.ConversationsV1.FetchConversation(w.conversationSID)
	if err != nil {
		return err
	}
	if got, ok := attribute(str(c.Attributes), key); !ok || got != want {
		return fmt.Errorf("conversation %s attribute %s = %q (present %v), want %q; attributes: %s", w.conversationSID, key, got, ok, want, str(c.Attributes))
	}
	return nil
}

func (w *World) webchatRefused(ctx context.Context, address string) error {
	sid := address
	if s, err := w.AddressSID(address); err == nil {
		sid = s
	}
	_, err := w.Twilio.FlexV2.CreateWebChannel((&flexv2.CreateWebChannelParams{}).SetAddressSid(sid))
	if err == nil {
		return fmt.Errorf("POST /v2/WebChats on %s was accepted", address)
	}
	if !strings.Contains(err.Error(), "400") {
		return fmt.Errorf("POST /v2/WebChats on %s: %v, want a 400", address, err)
	}
	return nil
}
