// Package studio emulates Twilio Studio v2 for the inbound messaging path:
// flows (definitions validated and their Liquid parsed at save time, with
// revisions), executions started by a Conversations studio webhook or the
// REST API, and the widgets that path uses (split, set variables, Send to
// Flex, send message and send and wait for reply, free text or content
// template, make HTTP request, run function, run subflow). Every other
// widget type Studio exports (voice, Autopilot, virtual agents…) is valid in
// a definition; reached, it ends the execution, or fails the subflow it is
// in, with a message saying why.
//
// Widgets run synchronously inside the call that triggered them, except two
// kinds that park the execution: a send-and-wait-for-reply until the next
// message on the conversation or its timeout on the emulator clock, and a
// make-http-request or run-function until its answer. The engine never waits
// on the network under the account lock (the user's endpoint may call the
// emulator's API back): it sends through env.Webhooks and resumes from the
// answer through env.Answered. It reaches Flex and Conversations only through
// the narrow interfaces below.
package studio

import (
	"github.com/flexemu/flexemu/emulator/env"
)

// product is the timeline product name of every entry this engine records.
const product = "studio"

// Flex is what Studio's Send to Flex widget needs.
type Flex interface {
	// SendToFlex creates the Flex interaction and task for a conversation.
	SendToFlex(p SendToFlexParams) (taskSID string, err error)
}

// SendToFlexParams are the rendered properties of a send-to-flex widget.
type SendToFlexParams struct {
	ConversationSID string
	Workflow        string // WW… SID or friendly name
	TaskChannel     string // TC… SID or unique name
	Attributes      string // rendered JSON object text
	// AttributesMap is Attributes decoded by encoding/json, shared: the
	// receiver must not change it.
	AttributesMap map[string]any
	Priority      int
	Timeout       int
}

// Conversations is what Studio needs from Conversations.
type Conversations interface {
	// RemoveWebhook deletes the studio webhook: the hand-off to Flex.
	RemoveWebhook(conversationSID, webhookSID string) error
	// PostMessage posts a message into a conversation (send-message and
	// send-and-wait-for-reply widgets).
	PostMessage(m OutboundMessage) (PostedMessage, error)
}

// MessageAuthor is the author Conversations gives a message posted without
// one: a send widget whose from renders empty. Messages by this author
// never start or resume an execution.
const MessageAuthor = "system"

// Engine is one account's Studio state. It is not safe for concurrent use:
// the account serialises calls into it (timer callbacks included).
type Engine struct {
	env     env.Env
	flex    Flex
	conv    Conversations
	content Content // nil: content templates are sent without a body

	flows     map[string]*Flow
	flowOrder []string

	executions map[string]*Execution
	execOrder  []string
	// active maps a conversation SID to its active execution: one per
	// conversation.
	active map[string]string
	// handedOff holds studio webhook SIDs whose conversation was sent to Flex:
	// their messages never reach a flow again.
	handedOff map[string]bool
	// contacts maps a contact address to its stable FC… SID.
	contacts map[string]string
}

// New returns an empty engine that hands conversations to flex and posts
// messages through conv.
func New(e env.Env, flex Flex, conv Conversations) *Engine {
	return &Engine{
		env:        e,
		flex:       flex,
		conv:       conv,
		flows:      map[string]*Flow{},
		executions: map[string]*Execution{},
		active:     map[string]string{},
		handedOff:  map[string]bool{},
		contacts:   map[string]string{},
	}
}
