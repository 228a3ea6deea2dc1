package flex

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// ConversationOpener is what Flex needs from Conversations, besides
// Conversations, to open conversations itself: for POST /v2/WebChats and for
// Interactions created with channel participants[]. The account's adapter
// offers it; without it those endpoints answer 400.
type ConversationOpener interface {
	// Address returns an address configuration by IG SID; a *twilio.Error
	// (404) when unknown.
	Address(sid string) (AddressInfo, error)
	// OpenConversation creates a conversation, its participants and, with
	// AddressSID, the address configuration's auto-creation target (the
	// Studio flow or webhook, as a conversation-scoped webhook). Nothing is
	// left behind on an error.
	OpenConversation(p OpenConversationParams) (OpenedConversation, error)
	// DiscardConversation deletes a conversation OpenConversation made.
	DiscardConversation(sid string)
}

// AddressInfo is the part of an address configuration Flex reads.
type AddressInfo struct {
	SID, Type, Address, FriendlyName string
	// ConversationServiceSID is the auto-creation service ("" = default).
	ConversationServiceSID string
	// Target describes the auto-creation target, e.g. "studio FW…".
	Target string
}

// OpenConversationParams is a conversation Flex opens.
type OpenConversationParams struct {
	ChatServiceSID string
	FriendlyName   string
	Attributes     string // JSON object text; "" for {}
	AddressSID     string // attach this address configuration's target
	Participants   []OpenParticipant
}

// OpenParticipant is a chat (Identity) or messaging (Address/ProxyAddress)
// participant of a conversation Flex opens.
type OpenParticipant struct {
	Identity, Attributes  string
	Address, ProxyAddress string
}

// OpenedConversation is what OpenConversation made.
type OpenedConversation struct {
	ConversationInfo
	ParticipantSIDs []string
}

// WebChatParams are the POST /v2/WebChats parameters.
type WebChatParams struct {
	AddressSID           string
	ChatFriendlyName     string
	CustomerFriendlyName string
	PreEngagementData    string
	// Identity is the guest's identity; "" mints one.
	Identity string
}

// WebChat is a started webchat: the conversation and the customer's
// identity (and chat participant).
type WebChat struct {
	ConversationSID, Identity, ParticipantSID, AddressSID string
}

// webchatAddressTypes are the address configuration types a webchat may
// start on: Flex's webchat addresses are Conversations addresses of type
// chat ("webchat" is accepted too).
var webchatAddressTypes = []string{"chat", "webchat", "web"}

// CreateWebChat does what Flex's webchat orchestration does for a guest:
// a conversation (friendly name ChatFriendlyName, attributes holding
// pre_engagement_data), the customer as a chat participant with a new
// identity, and the address's auto-creation target attached to the
// conversation, so the customer's first message runs the Studio flow (or
// webhook) as an inbound message to the address would.
func (e *Engine) CreateWebChat(p WebChatParams) (WebChat, error) {
	if strings.TrimSpace(p.AddressSID) == "" {
		return WebChat{}, twilio.MissingParam("AddressSid")
	}
	op, ok := e.conv.(ConversationOpener)
	if !ok {
		return WebChat{}, twilio.BadRequest("webchat is not available: no Conversations to open it in")
	}
	addr, err := op.Address(p.AddressSID)
	if err != nil {
		return WebChat{}, twilio.InvalidParam("AddressSid", "%s is not an address configuration of this account", p.AddressSID)
	}
	if !contains(webchatAddressTypes, strings.ToLower(addr.Type)) {
		return WebChat{}, twilio.InvalidParam("AddressSid", "address configuration %s is of type %q, not a webchat (chat) address", addr.SID, addr.Type)
	}
	attrs := map[string]any{}
	if strings.TrimSpace(p.PreEngagementData) != "" {
		var ped any
		if err := twilio.CheckJSON("PreEngagementData", p.PreEngagementData, twilio.MaxJSONBytes); err != nil {
			return WebChat{}, err
		}
		if json.Unmarshal([]byte(p.PreEngagementData), &ped) != nil {
			ped = p.PreEngagementData // not JSON: kept as the string sent
		}
		attrs["pre_engagement_data"] = ped
	}
	attrText, err := json.Marshal(attrs)
	if err != nil {
		return WebChat{}, fmt.Errorf("flex: encoding webchat attributes: %w", err)
	}
	identity := p.Identity
	if identity == "" {
		identity = newGuestIdentity()
	}
	partAttrs := "{}"
	if p.CustomerFriendlyName != "" {
		b, _ := json.Marshal(map[string]any{"friendlyName": p.CustomerFriendlyName})
		partAttrs = string(b)
	}
	opened, err := op.OpenConversation(OpenConversationParams{ChatServiceSID: addr.ConversationServiceSID,
		FriendlyName: p.ChatFriendlyName, Attributes: string(attrText), AddressSID: addr.SID,
		Participants: []OpenParticipant{{Identity: identity, Attributes: partAttrs}}})
	if err != nil {
		return WebChat{}, err
	}
	wc := WebChat{ConversationSID: opened.SID, Identity: identity, AddressSID: addr.SID}
	if len(opened.ParticipantSIDs) > 0 {
		wc.ParticipantSID = opened.ParticipantSIDs[0]
	}
	summary := "webchat " + opened.SID + " started by " + identity + " on address " + addr.SID
	if addr.Target != "" {
		summary += " (" + addr.Target + ")"
	}
	e.env.Record(product, eventtype.WebchatCreated, opened.SID, summary,
		map[string]string{"conversation_sid": opened.SID, "identity": identity, "participant_sid": wc.ParticipantSID,
			"address_configuration_sid": addr.SID})
	return wc, nil
}

// newGuestIdentity mints a guest identity (Twilio's format is not
// documented; flexemu uses a random UUID).
func newGuestIdentity() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
