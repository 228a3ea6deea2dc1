package convsync

import (
	"context"
	"net/http"
	"net/url"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// serveAIM answers the Conversations client API (segments after
// "Client/v2"): Configuration, ContentTemplates, and the service's links.
func (c *conn) serveAIM(ctx context.Context, r twilsock.Request, segs []string) twilsock.Response {
	c.noteHost(r)
	switch {
	case len(segs) == 1 && segs[0] == "Configuration":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return c.configuration()
	case len(segs) == 1 && segs[0] == "ContentTemplates":
		return jsonResponse(http.StatusOK, map[string]any{"templates": []any{}, "meta": pageMeta()})
	case len(segs) >= 3 && segs[0] == "Services":
		// The path's service is the one a Configuration named; the session's
		// service is served (the same, unless a reset re-created the services).
		return c.serveService(ctx, r, segs[2:])
	}
	return aimError(twilio.NotFound(r.Path))
}

// serveService routes the paths under Services/{IS}.
func (c *conn) serveService(ctx context.Context, r twilsock.Request, s []string) twilsock.Response {
	m := r.Method
	switch {
	case len(s) == 1 && s[0] == "Typing":
		if m != http.MethodPost {
			return methodNotAllowed(r)
		}
		return c.typing(r)
	case s[0] == "Users" && len(s) == 2:
		switch m {
		case http.MethodGet:
			return c.getUser(s[1])
		case http.MethodPost:
			return c.updateUser(ctx, s[1], parseBody(r))
		}
	case s[0] == "Users" && len(s) >= 3 && s[2] == "Conversations":
		if s[1] != c.identity {
			return aimError(twilio.NewError(http.StatusForbidden, twilio.CodeForbidden, "Users may only read their own conversations"))
		}
		switch {
		case len(s) == 3 && m == http.MethodGet:
			return c.myConversations()
		case len(s) == 4 && m == http.MethodGet:
			return c.myConversation(s[3])
		case len(s) == 4 && m == http.MethodPost:
			return c.updateMyConversation(s[3], parseBody(r))
		case len(s) == 4 && m == http.MethodDelete:
			return c.leave(s[3])
		}
	case s[0] == "Conversations" && len(s) == 1 && m == http.MethodPost:
		return c.createConversation(ctx, parseBody(r))
	case s[0] == "Conversations" && len(s) == 2:
		switch m {
		case http.MethodGet:
			return c.getConversation(s[1])
		case http.MethodPost:
			return c.updateConversation(ctx, s[1], parseBody(r))
		case http.MethodDelete:
			return c.deleteConversation(s[1])
		}
	case s[0] == "Conversations" && len(s) >= 3 && s[2] == "Participants":
		switch {
		case len(s) == 3 && m == http.MethodPost:
			return c.addParticipant(ctx, s[1], parseBody(r))
		case len(s) == 4 && m == http.MethodPost:
			return c.updateParticipant(s[1], s[3], parseBody(r))
		case len(s) == 4 && m == http.MethodDelete:
			return c.removeParticipant(s[1], s[3])
		}
	case s[0] == "Conversations" && len(s) >= 3 && s[2] == "Messages":
		switch {
		case len(s) == 3 && m == http.MethodPost:
			return c.sendMessage(ctx, s[1], parseBody(r))
		case len(s) == 4 && m == http.MethodPost:
			return c.updateMessage(s[1], s[3], parseBody(r))
		case len(s) == 4 && m == http.MethodDelete:
			return c.deleteMessage(s[1], s[3])
		case len(s) == 5 && s[4] == "ChannelMetadata" && m == http.MethodGet:
			// 50530 tells the SDK the message has no channel metadata (no retries).
			return jsonResponse(http.StatusNotFound, map[string]any{"status": http.StatusNotFound, "code": 50530,
				"message": "No channel metadata for this message"})
		case len(s) == 5 && s[4] == "Receipts" && m == http.MethodGet:
			return c.messageReceipts(s[1], s[3])
		}
	case s[0] == "Conversations" && len(s) == 3 && s[2] == "MessageRecipients" && m == http.MethodGet:
		// Recipients are an email channel's (to, cc); flexemu's channels are
		// messaging and chat, whose messages have none.
		return jsonResponse(http.StatusOK, map[string]any{"message_recipients": []any{}, "meta": pageMeta()})
	}
	return aimError(twilio.NotFound(r.Path))
}

// pageMeta is the meta of a single (last) page.
func pageMeta() map[string]any {
	return map[string]any{"next_token": nil, "previous_token": nil, "page_size": 50}
}

// origin is the origin of the session's actions: the SDK, as its identity.
func (c *conn) origin() conversations.Origin {
	return conversations.Origin{Source: conversations.SourceSDK, ClientIdentity: c.identity}
}

// do runs fn under the account lock and answers its result, or the error.
func (c *conn) do(fn func(eng *conversations.Engine, v view) (any, error)) twilsock.Response {
	var out any
	err := c.svc.backend.Do(c.accountSID, func(eng *conversations.Engine) error {
		var err error
		out, err = fn(eng, c.svc.viewOf(c.accountSID, eng))
		return err
	})
	if err != nil {
		return aimError(err)
	}
	return jsonResponse(http.StatusOK, out)
}

// act runs an SDK action through its pre-event, then renders its result
// under the lock.
func (c *conn) act(ctx context.Context, prepare func(*conversations.Engine) (*conversations.Pending, error),
	render func(eng *conversations.Engine, v view, res *conversations.Result) any) twilsock.Response {
	res, err := c.svc.backend.Act(ctx, c.accountSID, prepare)
	if err != nil {
		return aimError(err)
	}
	return c.do(func(eng *conversations.Engine, v view) (any, error) { return render(eng, v, res), nil })
}

// convSID resolves a conversation path reference (SID or unique name).
func (c *conn) convSID(eng *conversations.Engine, ref string) (string, error) {
	conv, err := eng.ServiceConversation(c.service(eng), ref)
	if err != nil {
		return "", err
	}
	return conv.SID, nil
}

func escape(s string) string { return url.PathEscape(s) }

// resolveConversation turns a path's conversation reference (a CH SID or a
// unique name) into its SID, for the actions that then run through
// pre-events off the lock.
func (c *conn) resolveConversation(ref string) (string, error) {
	var sid string
	err := c.svc.backend.Do(c.accountSID, func(eng *conversations.Engine) error {
		var err error
		sid, err = c.convSID(eng, ref)
		return err
	})
	return sid, err
}
