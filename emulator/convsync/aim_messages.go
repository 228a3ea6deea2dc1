package convsync

import (
	"context"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// sendMessage answers AIM 12: a message authored by the session's identity,
// an SDK-origin action through onMessageAdd (pre- and post-event webhooks
// fire). The SDK resolves sendMessage to the answer's index; the message
// itself reaches it as list_item_added.
func (c *conn) sendMessage(ctx context.Context, ref string, b body) twilsock.Response {
	sid, err := c.resolveConversation(ref)
	if err != nil {
		return aimError(err)
	}
	p := conversations.CreateMessageParams{Author: c.identity, MediaSIDs: b.strings("media_sids"), Origin: c.origin()}
	if v := b.str("body"); v != nil {
		p.Body = *v
	}
	if v := b.str("attributes"); v != nil {
		p.Attributes = *v
	}
	if v := b.str("content_sid"); v != nil {
		p.ContentSID = *v
	}
	return c.act(ctx, func(eng *conversations.Engine) (*conversations.Pending, error) { return eng.PrepareMessage(sid, p) },
		func(_ *conversations.Engine, _ view, res *conversations.Result) any {
			return c.messageJSON(res.Message)
		})
}

// updateMessage answers AIM 13 (body or attributes).
func (c *conn) updateMessage(ref, message string, b body) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		m, err := eng.UpdateMessage(sid, message, conversations.UpdateMessageParams{Body: b.str("body"), Attributes: b.str("attributes"),
			Origin: c.origin()})
		if err != nil {
			return nil, err
		}
		return c.messageJSON(m), nil
	})
}

// deleteMessage answers AIM 14.
func (c *conn) deleteMessage(ref, message string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, eng.DeleteMessage(sid, message, c.origin())
	})
}

// messageReceipts answers AIM 16 (Message.getDetailedDeliveryReceipts): the
// message's delivery receipts, one per messaging-channel recipient, in one
// page; a message only chat participants read has none.
func (c *conn) messageReceipts(ref, messageSID string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		rs, err := eng.Receipts(sid, messageSID)
		if err != nil {
			return nil, err
		}
		list := make([]any, 0, len(rs))
		for _, r := range rs {
			list = append(list, receiptJSON(r))
		}
		return map[string]any{"delivery_receipts": list, "meta": pageMeta()}, nil
	})
}

// receiptJSON is a receipt as the SDK's DetailedDeliveryReceipt reads it.
func receiptJSON(r *conversations.Receipt) map[string]any {
	var code any // null without an error, as the REST API renders it
	if r.ErrorCode != nil {
		code = *r.ErrorCode
	}
	return map[string]any{"sid": r.SID, "message_sid": r.MessageSID, "conversation_sid": r.ConversationSID,
		"channel_message_sid": r.ChannelMessageSID, "participant_sid": r.ParticipantSID, "status": r.Status,
		"error_code": code, "date_created": twilio.Time(r.DateCreated), "date_updated": twilio.Time(r.DateUpdated)}
}
