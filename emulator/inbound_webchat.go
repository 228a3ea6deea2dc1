package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// defaultWebchatIdentity is the customer `send --channel webchat` writes as
// when no --from is given and the fixture names no "webchat" customer, so
// successive sends continue one chat as an SMS customer's do.
const defaultWebchatIdentity = "webchat-customer"

// webchatFriendlyName is the ChatFriendlyName the emulator's webchat uses
// (what Twilio's webchat React app sends).
const webchatFriendlyName = "Webchat widget"

// inboundWebchat is a webchat customer's message, as the Flex webchat
// widget delivers it: the first message of a customer (From is the chat
// identity) starts a webchat on the address To names (an address
// configuration of type chat, by IG SID or address; default the first) the
// way POST /v2/WebChats does, with PreEngagementData in the conversation's
// attributes; then the message is sent by the customer's Conversations SDK
// (Source SDK), which runs the flow the address attached. Later messages
// from the same identity go to its open conversation.
func (a *Account) inboundWebchat(ctx context.Context, p InboundParams) (*Trace, int64, error) {
	start := a.timeline.Last()
	c := a.causes.New()
	identity, convSID, partSID, created := p.From, "", "", false
	err := a.locked(c, func(e *Engines) error {
		if identity == "" {
			if identity = e.Setup.Customers[ChannelWebchat]; identity == "" {
				identity = defaultWebchatIdentity
			}
		}
		convSID, partSID = openWebchat(e.Conversations, identity)
		if convSID != "" {
			return nil
		}
		addr, err := webchatAddress(e.Conversations, p.To)
		if err != nil {
			return err
		}
		ped, name, err := preEngagement(p.PreEngagementData, identity)
		if err != nil {
			return err
		}
		wc, err := e.Flex.CreateWebChat(flex.WebChatParams{AddressSID: addr, ChatFriendlyName: webchatFriendlyName,
			CustomerFriendlyName: name, PreEngagementData: ped, Identity: identity})
		if err != nil {
			return err
		}
		convSID, partSID, created = wc.ConversationSID, wc.ParticipantSID, true
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("webchat message from %s: %w", identity, err)
	}
	res, err := a.preEvented(ctx, c, func(cv *conversations.Engine) (*conversations.Pending, error) {
		return cv.PrepareMessage(convSID, conversations.CreateMessageParams{Author: identity, Body: p.Body,
			Origin: conversations.Origin{Source: conversations.SourceSDK, ClientIdentity: identity}})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("webchat message from %s: %w", identity, err)
	}
	return &Trace{
		ConversationSID:     convSID,
		ParticipantSID:      partSID,
		MessageSID:          res.Message.SID,
		MessageIndex:        res.Message.Index,
		CreatedConversation: created,
		Cause:               c,
		Pending:             a.await(ctx, c, TraceWait),
	}, start, nil
}

// openWebchat finds the customer's latest conversation that is not closed.
func openWebchat(cv *conversations.Engine, identity string) (convSID, partSID string) {
	pcs, err := cv.ParticipantConversations(conversations.ParticipantConversationsParams{Identity: identity})
	if err != nil {
		return "", ""
	}
	for i := len(pcs) - 1; i >= 0; i-- {
		if pc := pcs[i]; pc.Conversation.State != "closed" {
			return pc.Conversation.SID, pc.Participant.SID
		}
	}
	return "", ""
}

// webchatAddress is the IG SID of the webchat address to names (SID or
// address), or of the account's first address configuration of type chat.
func webchatAddress(cv *conversations.Engine, to string) (string, error) {
	if to != "" {
		ac, err := cv.AddressConfiguration(to)
		if err != nil {
			return "", twilio.InvalidParam("to", "%s is not an address configuration of this account", to)
		}
		return ac.SID, nil
	}
	if acs := cv.AddressConfigurations("chat"); len(acs) > 0 {
		return acs[0].SID, nil
	}
	return "", twilio.BadRequest("the account has no webchat address: add an address configuration of type chat (with auto_creation to the webchat flow) to the fixture")
}

// preEngagement is the pre-engagement data to send ({"friendlyName":
// identity} when none is given) and the customer's friendly name in it.
func preEngagement(text, identity string) (string, string, error) {
	if strings.TrimSpace(text) == "" {
		b, _ := json.Marshal(map[string]string{"friendlyName": identity})
		return string(b), identity, nil
	}
	m, err := twilio.ParseJSONObject("pre_engagement_data", text)
	if err != nil {
		return "", "", err
	}
	name, _ := m["friendlyName"].(string)
	if name == "" {
		name = identity
	}
	return text, name, nil
}
