package emulator

import "github.com/flexemu/flexemu/emulator/controlapi"

// The control API's wire types live in package controlapi, which clients
// import without linking the server; these names keep the library's API.
type (
	// Info describes a running emulator (controlapi.Info).
	Info = controlapi.Info
	// APIKey is an API key that signs Access Tokens (controlapi.APIKey).
	APIKey = controlapi.APIKey
	// SetupWorkspace names the fixture's TaskRouter workspace.
	SetupWorkspace = controlapi.SetupWorkspace
	// SetupAddress is a configured Conversations address and what it leads to.
	SetupAddress = controlapi.SetupAddress
	// InboundParams is a customer message arriving on a channel.
	InboundParams = controlapi.InboundParams
	// Trace is what one inbound message caused.
	Trace = controlapi.Trace
	// PendingDelivery is a webhook still on its way when a trace was returned.
	PendingDelivery = controlapi.PendingDelivery
	// ConversationMessage is a message as `send --wait` shows it.
	ConversationMessage = controlapi.ConversationMessage
	// TokenParams is the body of POST /emulator/v1/tokens.
	TokenParams = controlapi.TokenParams
	// AgentToken is an Access Token for the agent SDKs, with what to point them at.
	AgentToken = controlapi.AgentToken
)

// Control API paths and the webchat channel name (see controlapi).
const (
	ControlPrefix  = controlapi.ControlPrefix
	AccountPrefix  = controlapi.AccountPrefix
	ChannelWebchat = controlapi.ChannelWebchat
)
