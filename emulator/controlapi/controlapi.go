// Package controlapi is the wire shape of flexemu's control API
// (/emulator/v1): the types the emulator answers with and its clients
// (emulator/remote, the send CLI, the Godog steps) decode. It imports no
// engine, so a client never links the server.
package controlapi

import (
	"strings"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// An emulator's defaults: fixed so a developer can paste them into .env
// once. Both credentials are alphanumeric, as twilio-go requires.
const (
	DefaultAccountSID = "AC00000000000000000000000000000001"
	DefaultAuthToken  = "flexemu0000000000000000000000000"
	DefaultAddr       = "127.0.0.1:7070"
)

// EmulatorPaths are the roots of the control API's emulator-wide routes
// (health, the account table, snapshots): they live under ControlPrefix
// only, never under an account's prefix. Every other route acts on one
// account. The emulator checks its route table against this list.
var EmulatorPaths = []string{"/health", "/accounts", "/snapshot"}

// IsEmulatorPath reports whether path (below ControlPrefix, query
// included or not) is an emulator-wide route.
func IsEmulatorPath(path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for _, root := range EmulatorPaths {
		if path == root || strings.HasPrefix(path, root+"/") {
			return true
		}
	}
	return false
}

// ChannelWebchat is InboundParams.Channel for a Flex webchat customer.
const ChannelWebchat = "webchat"

// ControlPrefix is where the emulator's own API lives (JSON in and out).
const ControlPrefix = "/emulator/v1"

// Info describes a running emulator: what `emulator up` prints and what
// `send` reads to pick its defaults.
type Info struct {
	URL        string            `json:"url"`
	AccountSID string            `json:"account_sid"`
	AuthToken  string            `json:"auth_token"`
	Fixture    string            `json:"fixture"`
	ClockMode  string            `json:"clock_mode"`
	Now        string            `json:"now"`
	Addresses  []SetupAddress    `json:"addresses"`
	Customers  map[string]string `json:"customers"`
	Workspace  *SetupWorkspace   `json:"workspace,omitempty"`
	// APIKeys are the fixture's API keys (SID and secret), for minting
	// Access Tokens the way a token server does.
	APIKeys []APIKey `json:"api_keys"`
}

// APIKey is an API key that signs Access Tokens.
type APIKey struct {
	SID    string `json:"sid"`
	Secret string `json:"secret"`
}

// AccountPrefix is where the control API of a given account lives:
// ControlPrefix+"/accounts/AC…/inbound" is that account's inbound.
const AccountPrefix = ControlPrefix + "/accounts/"

// SetupWorkspace names the fixture's TaskRouter workspace.
type SetupWorkspace struct {
	SID          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
}

// SetupAddress is a configured Conversations address and what it leads to.
type SetupAddress struct {
	SID          string `json:"sid"`
	Type         string `json:"type"`
	Address      string `json:"address"`
	FriendlyName string `json:"friendly_name,omitempty"`
	// Target says where messages go: "studio flow Messaging Flow (FW…)", a webhook URL, …
	Target string `json:"target"`
}

// InboundParams is a customer message arriving on a channel.
type InboundParams struct {
	From string `json:"from"`
	To   string `json:"to"`
	Body string `json:"body"`
	// Channel "webchat" is a Flex webchat customer (From is the chat
	// identity, To the chat address; see inbound_webchat.go); "" is the
	// messaging channel To implies.
	Channel string `json:"channel,omitempty"`
	// PreEngagementData is a webchat's pre-engagement form (JSON object).
	PreEngagementData string `json:"pre_engagement_data,omitempty"`
}

// Trace is what one inbound message caused, in order: exactly its own
// causal chain, never another conversation's entries.
type Trace struct {
	ConversationSID     string           `json:"conversation_sid"`
	ParticipantSID      string           `json:"participant_sid"`
	MessageSID          string           `json:"message_sid"`
	MessageIndex        int              `json:"message_index"`
	CreatedConversation bool             `json:"created_conversation"`
	Cause               cause.ID         `json:"cause"`
	Entries             []timeline.Entry `json:"entries"`
	// Truncated reports a chain longer than MaxTraceEntries (the rest is
	// on the timeline, under the same cause).
	Truncated bool `json:"truncated,omitempty"`
	// Pending lists the webhooks the message caused that had not been
	// answered within TraceWait; their deliveries go on, and show on the
	// timeline under the trace's cause.
	Pending []PendingDelivery `json:"pending,omitempty"`
}

// PendingDelivery is a webhook still on its way when a trace was returned.
type PendingDelivery struct {
	URL   string `json:"url"`
	Event string `json:"event"`
}

// ConversationMessage is a message as `send --wait` shows it.
type ConversationMessage struct {
	SID         string `json:"sid"`
	Index       int    `json:"index"`
	Author      string `json:"author"`
	Body        string `json:"body"`
	DateCreated string `json:"date_created"`
}

// TokenParams is the body of POST /emulator/v1/tokens.
type TokenParams struct {
	Identity string `json:"identity"`
	// TTL is the token's lifetime in seconds: default 3600, at most 86400.
	TTL int `json:"ttl,omitempty"`
}

// AgentToken is an Access Token for the agent SDKs, with what to point them at.
type AgentToken struct {
	Token          string `json:"token"`
	Identity       string `json:"identity"`
	AccountSID     string `json:"account_sid"`
	WorkerSID      string `json:"worker_sid"`
	WorkspaceSID   string `json:"workspace_sid"`
	ChatServiceSID string `json:"chat_service_sid"`
	// ExpiresAt is the token's exp on the token clock (see Account.TokenNow).
	ExpiresAt string `json:"expires_at"`
	// EventBridgeURL and EventBridgeWSURL are twilio-taskrouter's ebServer and wsServer options.
	EventBridgeURL   string `json:"event_bridge_url"`
	EventBridgeWSURL string `json:"event_bridge_ws_url"`
	// TwilsockURL is @twilio/conversations' Twilsock.uri option.
	TwilsockURL string `json:"twilsock_url"`
}
