package convsync

import (
	"context"
	"net/http"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// getUser answers AIM 18: a user and the name of its Sync map.
func (c *conn) getUser(identity string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		u, err := eng.User(c.service(eng), identity)
		if err != nil {
			return nil, err
		}
		c.svc.remember(c.accountSID, userObject(kindUser, objService(eng, u.ChatServiceSID), u.Identity))
		return c.userJSON(eng, u), nil
	})
}

// updateUser answers AIM 19: a user changes its own friendly_name or
// attributes, an SDK action through the onUserUpdate pre-event.
func (c *conn) updateUser(ctx context.Context, identity string, b body) twilsock.Response {
	if identity != c.identity {
		return aimError(twilio.NewError(http.StatusForbidden, twilio.CodeForbidden, "Users may only update themselves"))
	}
	p := conversations.UpdateUserParams{FriendlyName: b.str("friendly_name"), Attributes: b.str("attributes"), Origin: c.origin()}
	return c.act(ctx, func(eng *conversations.Engine) (*conversations.Pending, error) {
		return eng.PrepareUserUpdate(c.service(eng), identity, p)
	}, func(eng *conversations.Engine, _ view, res *conversations.Result) any {
		return c.userJSON(eng, res.User)
	})
}

// Typing indicators: the typing timeout the SDK is told, in seconds. The
// notification carries one more second, as Twilio's does (the SDK's
// typing-indicator.js: "+1 of that in the console … to account for latency").
const typingTimeout = 5

// messageTypeTyping is the notification type of typing indicators.
const messageTypeTyping = "twilio.ipmsg.typing_indicator"

// typing answers AIM 20 (form ChannelSid=CH…): the other sessions of the
// conversation's chat participants are told the user is typing.
func (c *conn) typing(r twilsock.Request) twilsock.Response {
	b := parseBody(r)
	ref := b.str("ChannelSid")
	if ref == nil {
		return aimError(twilio.MissingParam("ChannelSid"))
	}
	var members map[string]bool
	var convSID string
	err := c.svc.backend.Do(c.accountSID, func(eng *conversations.Engine) error {
		sid, err := c.convSID(eng, *ref)
		if err != nil {
			return err
		}
		parts, err := eng.Participants(sid)
		if err != nil {
			return err
		}
		convSID, members = sid, map[string]bool{}
		for _, p := range parts {
			if p.Identity != "" {
				members[p.Identity] = true
			}
		}
		if !members[c.identity] {
			return twilio.NewError(http.StatusForbidden, twilio.CodeForbidden, "%s is not a participant of %s", c.identity, sid)
		}
		payload := mustJSON(map[string]any{"channel_sid": convSID, "identity": c.identity, "typing_timeout": typingTimeout + 1})
		c.svc.mu.Lock()
		defer c.svc.mu.Unlock()
		for other := range c.svc.account(c.accountSID).conns {
			if other.identity != c.identity && other.grantService == c.grantService && members[other.identity] && !other.closed {
				other.sess.Notify(messageTypeTyping, payload)
			}
		}
		return nil
	})
	if err != nil {
		return aimError(err)
	}
	return jsonResponse(http.StatusOK, map[string]any{"typing_timeout": typingTimeout})
}
