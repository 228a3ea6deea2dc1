package studio

import (
	"fmt"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// OutboundMessage is a message a send widget posts into a conversation.
type OutboundMessage struct {
	ConversationSID string
	// Author is the widget's rendered from; "" lets Conversations author the
	// message "system".
	Author string
	Body   string
	// Attributes is the widget's rendered attributes (JSON object text), or "".
	Attributes string
	// ContentSID and ContentVariables (a JSON object of placeholder values,
	// or "") are set for a content template.
	ContentSID       string
	ContentVariables string
}

// PostedMessage is the message Conversations created.
type PostedMessage struct {
	SID            string
	Index          int
	Author         string
	Body           string
	Attributes     string
	ParticipantSID string
}

// post renders a send widget (from, service, channel, attributes, and the
// body or content template) and posts the message. It returns the widget's
// outbound outputs.
func (e *Engine) post(ex *Execution, st *State) (map[string]any, error) {
	conv, err := e.targetConversation(ex, st)
	if err != nil {
		return nil, err
	}
	m := OutboundMessage{ConversationSID: conv}
	if m.Author, err = e.render(ex, prop(st, "from")); err != nil {
		return nil, fmt.Errorf("rendering from: %w", err)
	}
	m.Author = strings.TrimSpace(m.Author)
	if src := prop(st, "attributes"); strings.TrimSpace(src) != "" {
		if m.Attributes, err = e.render(ex, src); err != nil {
			return nil, fmt.Errorf("rendering attributes: %w", err)
		}
	}
	if isContentTemplate(st) {
		c, err := e.renderContent(ex, st)
		if err != nil {
			return nil, err
		}
		m.Body, m.ContentSID, m.ContentVariables = c.body, c.sid, variablesJSON(c.variables)
	} else if m.Body, err = e.render(ex, prop(st, "body")); err != nil {
		return nil, fmt.Errorf("rendering body: %w", err)
	}
	sent, err := e.conv.PostMessage(m)
	if err != nil {
		return nil, fmt.Errorf("posting to %s: %w", conv, err)
	}
	out := map[string]any{"Sid": sent.SID, "ConversationSid": conv, "Body": sent.Body, "Author": sent.Author,
		"Index": sent.Index, "Attributes": sent.Attributes, "ParticipantSid": sent.ParticipantSID}
	if m.ContentSID != "" {
		out["ContentSid"] = m.ContentSID
	}
	return out, nil
}

// targetConversation is the conversation a send widget posts into: its
// rendered channel when that is a Conversation SID, else the conversation
// that triggered the execution. A rendered service that is a Conversations
// service SID must be that conversation's.
func (e *Engine) targetConversation(ex *Execution, st *State) (string, error) {
	channel, err := e.render(ex, prop(st, "channel"))
	if err != nil {
		return "", fmt.Errorf("rendering channel: %w", err)
	}
	conv := strings.TrimSpace(channel)
	if !twilio.IsSID(conv, "CH") {
		conv = ex.ConversationSID
	}
	if conv == "" {
		return "", fmt.Errorf("no conversation to send into: the execution was not started by a Conversations message "+
			"and channel %q is not a Conversation SID (the emulator sends messages into conversations only)", channel)
	}
	service, err := e.render(ex, prop(st, "service"))
	if err != nil {
		return "", fmt.Errorf("rendering service: %w", err)
	}
	service = strings.TrimSpace(service)
	if ex.msg != nil && conv == ex.ConversationSID && twilio.IsSID(service, "IS") &&
		ex.msg.ChatServiceSID != "" && service != ex.msg.ChatServiceSID {
		return "", fmt.Errorf("service %s is not the Conversations service %s of conversation %s",
			service, ex.msg.ChatServiceSID, conv)
	}
	return conv, nil
}

func (e *Engine) runSendMessage(ex *Execution, st *State) outcome {
	sent, err := e.post(ex, st)
	if err != nil {
		e.widgetFailed(ex, st, err.Error())
		return outcome{event: "failed"}
	}
	ex.setWidgetOutputs(st.Name, map[string]any{"outbound": sent})
	return outcome{event: "sent"}
}
