package convsync

import (
	"context"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// myConversations answers AIM 2: the conversations the user takes part in,
// in one page.
func (c *conn) myConversations() twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		list := []any{}
		for _, p := range eng.IdentityConversations(c.service(eng), c.identity) {
			list = append(list, c.myConversationJSON(eng, p))
		}
		return map[string]any{"conversations": list, "meta": pageMeta()}, nil
	})
}

// myConversation answers AIM 3 (by SID or unique name).
func (c *conn) myConversation(ref string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		p, err := eng.IdentityConversation(c.service(eng), c.identity, ref)
		if err != nil {
			return nil, err
		}
		return c.myConversationJSON(eng, p), nil
	})
}

// updateMyConversation answers AIM 4: the user's read horizon
// (last_read_message_index, null clears it) or notification_level.
func (c *conn) updateMyConversation(ref string, b body) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		p := conversations.UpdateUserConversationParams{NotificationLevel: b.str("notification_level")}
		if b.has("last_read_message_index") {
			if b.isNull("last_read_message_index") {
				p.ClearLastReadMessageIndex = true
			} else {
				p.LastReadMessageIndex = b.int("last_read_message_index")
			}
		}
		if _, err := eng.User(c.service(eng), c.identity); err != nil {
			if _, err := eng.CreateUser(c.service(eng), conversations.CreateUserParams{Identity: c.identity}); err != nil {
				return nil, err
			}
		}
		if _, err := eng.UpdateUserConversation(c.service(eng), c.identity, ref, p); err != nil {
			return nil, err
		}
		part, err := eng.IdentityConversation(c.service(eng), c.identity, ref)
		if err != nil {
			return nil, err
		}
		return c.myConversationJSON(eng, part), nil
	})
}

// leave removes the user's own participant (DELETE on the User Conversation).
func (c *conn) leave(ref string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, eng.RemoveParticipant(sid, c.identity, c.origin())
	})
}

// createConversation answers AIM 5 through onConversationAdd.
func (c *conn) createConversation(ctx context.Context, b body) twilsock.Response {
	p := conversations.CreateConversationParams{Origin: c.origin()}
	if v := b.str("friendly_name"); v != nil {
		p.FriendlyName = *v
	}
	if v := b.str("unique_name"); v != nil {
		p.UniqueName = *v
	}
	if v := b.str("attributes"); v != nil {
		p.Attributes = *v
	}
	return c.act(ctx, func(eng *conversations.Engine) (*conversations.Pending, error) {
		p.ChatServiceSID = c.service(eng)
		return eng.PrepareConversation(p)
	},
		func(eng *conversations.Engine, _ view, res *conversations.Result) any {
			return c.conversationJSON(eng, res.Conversation)
		})
}

// getConversation answers AIM 6.
func (c *conn) getConversation(ref string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		conv, err := eng.ServiceConversation(c.service(eng), ref)
		if err != nil {
			return nil, err
		}
		return c.conversationJSON(eng, conv), nil
	})
}

// updateConversation answers AIM 7 through onConversationUpdate.
func (c *conn) updateConversation(ctx context.Context, ref string, b body) twilsock.Response {
	sid, err := c.resolveConversation(ref)
	if err != nil {
		return aimError(err)
	}
	p := conversations.UpdateConversationParams{FriendlyName: b.str("friendly_name"), UniqueName: b.str("unique_name"),
		Attributes: b.str("attributes"), State: b.str("state"), Origin: c.origin()}
	return c.act(ctx, func(eng *conversations.Engine) (*conversations.Pending, error) {
		return eng.PrepareConversationUpdate(sid, p)
	},
		func(eng *conversations.Engine, _ view, res *conversations.Result) any {
			return c.conversationJSON(eng, res.Conversation)
		})
}

// deleteConversation answers AIM 8.
func (c *conn) deleteConversation(ref string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, eng.DeleteConversation(sid, c.origin())
	})
}
