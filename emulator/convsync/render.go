package convsync

import (
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// REST-style (snake_case) renderings the AIM answers carry.

func (c *conn) conversationURL(service, sid string) string {
	return c.serviceBase(service) + "/Conversations/" + sid
}

func convSyncObjects(sid string) map[string]any {
	return map[string]any{
		"conversation": convObject(kindDocument, sid).uniqueName(),
		"messages":     convObject(kindMessages, sid).uniqueName(),
		"participants": convObject(kindRoster, sid).uniqueName(),
	}
}

func (c *conn) conversationJSON(eng *conversations.Engine, conv *conversations.Conversation) map[string]any {
	u := c.conversationURL(conv.ChatServiceSID, conv.SID)
	return map[string]any{
		"sid":                conv.SID,
		"account_sid":        c.accountSID,
		"chat_service_sid":   conv.ChatServiceSID,
		"friendly_name":      nullable(conv.FriendlyName),
		"unique_name":        nullable(conv.UniqueName),
		"attributes":         conv.Attributes,
		"state":              conv.State,
		"created_by":         "system",
		"date_created":       twilio.Time(conv.DateCreated),
		"date_updated":       twilio.Time(conv.DateUpdated),
		"url":                u,
		"links":              map[string]any{"participants": u + "/Participants", "messages": u + "/Messages"},
		"sync_objects":       convSyncObjects(conv.SID),
		"participants_count": eng.ParticipantCount(conv.SID),
		"messages_count":     eng.MessageCount(conv.SID),
	}
}

// myConversationJSON is a User Conversation as the SDK reads it (AIM 2-4).
func (c *conn) myConversationJSON(eng *conversations.Engine, p *conversations.Participation) map[string]any {
	conv := p.Conversation
	d := map[string]any{
		"conversation_sid":        conv.SID,
		"chat_service_sid":        conv.ChatServiceSID,
		"participant_sid":         p.Participant.SID,
		"status":                  "joined",
		"sync_objects":            convSyncObjects(conv.SID),
		"last_read_message_index": intOrNil(p.LastReadMessageIndex),
		"notification_level":      p.NotificationLevel,
		"unread_messages_count":   nil,
		"friendly_name":           nullable(conv.FriendlyName),
		"unique_name":             nullable(conv.UniqueName),
		"attributes":              conv.Attributes,
		"conversation_state":      conv.State,
		"created_by":              "system",
		"date_created":            twilio.Time(conv.DateCreated),
		"date_updated":            twilio.Time(conv.DateUpdated),
		"url":                     c.serviceBase(conv.ChatServiceSID) + "/Users/" + escape(c.identity) + "/Conversations/" + conv.SID,
	}
	if p.LastReadMessageIndex != nil {
		n := 0
		if msgs, err := eng.MessagesSince(conv.SID, *p.LastReadMessageIndex+1); err == nil {
			n = len(msgs)
		}
		d["unread_messages_count"] = n
	}
	return d
}

func (c *conn) participantJSON(eng *conversations.Engine, p *conversations.Participant) map[string]any {
	rh := eng.ParticipantReadHorizon(p.SID)
	d := map[string]any{
		"sid":                     p.SID,
		"account_sid":             c.accountSID,
		"conversation_sid":        p.ConversationSID,
		"chat_service_sid":        p.ChatServiceSID,
		"identity":                nullable(p.Identity),
		"attributes":              p.Attributes,
		"role_sid":                p.RoleSID,
		"messaging_binding":       nil,
		"last_read_message_index": intOrNil(rh.LastReadMessageIndex),
		"date_created":            twilio.Time(p.DateCreated),
		"date_updated":            twilio.Time(p.DateUpdated),
		"url":                     c.conversationURL(p.ChatServiceSID, p.ConversationSID) + "/Participants/" + p.SID,
	}
	if b := p.Binding; b != nil {
		d["messaging_binding"] = map[string]any{"type": b.Type, "address": nullable(b.Address),
			"proxy_address": nullable(b.ProxyAddress), "projected_address": nullable(b.ProjectedAddress)}
	}
	return d
}

func (c *conn) messageJSON(m *conversations.Message) map[string]any {
	var media any
	if len(m.MediaSIDs) > 0 {
		list := make([]map[string]any, 0, len(m.MediaSIDs))
		for _, s := range m.MediaSIDs {
			list = append(list, map[string]any{"sid": s, "category": "media"})
		}
		media = list
	}
	return map[string]any{
		"sid":              m.SID,
		"account_sid":      c.accountSID,
		"conversation_sid": m.ConversationSID,
		"chat_service_sid": m.ChatServiceSID,
		"index":            m.Index,
		"author":           m.Author,
		"body":             nullable(m.Body),
		"attributes":       m.Attributes,
		"participant_sid":  nullable(m.ParticipantSID),
		"content_sid":      nullable(m.ContentSID),
		"media":            media,
		"date_created":     twilio.Time(m.DateCreated),
		"date_updated":     twilio.Time(m.DateUpdated),
		"url":              c.conversationURL(m.ChatServiceSID, m.ConversationSID) + "/Messages/" + m.SID,
	}
}

func (c *conn) userJSON(eng *conversations.Engine, u *conversations.User) map[string]any {
	var online, notifiable any
	if eng.Reachable(u.ChatServiceSID) {
		online, notifiable = false, false
	}
	return map[string]any{
		"sid":              u.SID,
		"account_sid":      c.accountSID,
		"chat_service_sid": u.ChatServiceSID,
		"identity":         u.Identity,
		"friendly_name":    nullable(u.FriendlyName),
		"attributes":       u.Attributes,
		"role_sid":         u.RoleSID,
		"is_online":        online,
		"is_notifiable":    notifiable,
		"date_created":     twilio.Time(u.DateCreated),
		"date_updated":     twilio.Time(u.DateUpdated),
		"url":              c.serviceBase(u.ChatServiceSID) + "/Users/" + escape(u.Identity),
		"sync_objects":     map[string]any{"user_info_map": userObject(kindUser, objService(eng, u.ChatServiceSID), u.Identity).uniqueName()},
	}
}
