package emulator

import (
	"context"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Messages returns the conversation's messages with an index above after,
// waiting up to wait for at least one to arrive (agent replies, Studio's
// messages). It must not be called inside Do.
func (a *Account) Messages(ctx context.Context, conversationSID string, after int, wait time.Duration) ([]ConversationMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		seq := a.timeline.Last()
		msgs, err := a.messagesAfter(conversationSID, after)
		if err != nil || len(msgs) > 0 || wait <= 0 {
			return msgs, err
		}
		_, err = a.timeline.Wait(ctx, seq, func(e timeline.Entry) bool {
			return e.Type == eventtype.MessageCreated && e.Refs["conversation_sid"] == conversationSID
		})
		if err != nil {
			return []ConversationMessage{}, nil // nothing arrived in time: an empty answer, not an error
		}
	}
}

func (a *Account) messagesAfter(conversationSID string, after int) ([]ConversationMessage, error) {
	var all []*conversations.Message
	err := a.locked(0, func(e *Engines) error {
		var err error
		all, err = e.Conversations.Messages(conversationSID, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []ConversationMessage{}
	for _, m := range all {
		if m.Index > after {
			out = append(out, ConversationMessage{SID: m.SID, Index: m.Index, Author: m.Author, Body: m.Body,
				DateCreated: twilio.Time(m.DateCreated)})
		}
	}
	return out, nil
}

// AgentReply posts body into the conversation as identity does from the
// Flex UI (the Conversations SDK): an SDK-origin message, so pre-event and
// post-event webhooks fire, and the customer's channel receives it. It must
// not be called inside Do.
func (a *Account) AgentReply(ctx context.Context, conversationSID, identity, body string) (ConversationMessage, error) {
	if strings.TrimSpace(identity) == "" {
		return ConversationMessage{}, twilio.MissingParam("author")
	}
	c := a.causes.New()
	res, err := a.preEvented(ctx, c, func(c *conversations.Engine) (*conversations.Pending, error) {
		return c.PrepareMessage(conversationSID, conversations.CreateMessageParams{Author: identity, Body: body,
			Origin: conversations.Origin{Source: conversations.SourceSDK, ClientIdentity: identity}})
	})
	if err != nil {
		return ConversationMessage{}, err
	}
	a.await(ctx, c, TraceWait)
	m := res.Message
	return ConversationMessage{SID: m.SID, Index: m.Index, Author: m.Author, Body: m.Body, DateCreated: twilio.Time(m.DateCreated)}, nil
}
