package convsync

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/flexemu/flexemu/emulator/conversations"
)

// The projection: each Sync object's data computed from the engine, under
// the account lock. Items carry the engine revision of the record they
// render, which makes their event ids stable between reads.

// syncTime formats dates inside Sync data, as the SDK parses them.
func syncTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// item is one rendered map or list item.
type item struct {
	key     string // map key, or the list index as text
	index   int    // list index
	data    any
	rev     uint64 // engine revision of the record the item renders
	updated time.Time
}

// view renders objects from an engine; valid only under the account lock.
type view struct {
	eng    *conversations.Engine
	offset uint64
}

func (v view) id(rev uint64) uint64 { return v.offset + rev }

// now is the latest event id of the account.
func (v view) now() uint64 { return v.offset + v.eng.Revision() }

// exists reports whether o exists: a conversation's objects while it exists,
// a user's always (an identity has a map even before it joins anything).
func (v view) exists(o object) bool {
	if o.conv == "" {
		return true
	}
	_, err := v.eng.Conversation(o.conv)
	return err == nil
}

// items renders all items of a map or list, in key (map) or index (list)
// order.
func (v view) items(o object) []item {
	var out []item
	switch o.kind {
	case kindMyConversations:
		for _, p := range v.eng.IdentityConversations(o.service, o.identity) {
			out = append(out, item{key: p.Conversation.SID, data: myConversationData(p), rev: p.Participant.Rev,
				updated: p.Participant.DateUpdated})
		}
	case kindUser:
		u, err := v.eng.User(o.service, o.identity)
		var rev uint64
		fn, attrs, updated := any(nil), "{}", time.Time{}
		if err == nil {
			rev, attrs, updated = u.Rev, u.Attributes, u.DateUpdated
			if u.FriendlyName != "" {
				fn = u.FriendlyName
			}
		}
		out = append(out,
			item{key: "attributes", data: map[string]any{"value": attrs}, rev: rev, updated: updated},
			item{key: "friendlyName", data: map[string]any{"value": fn}, rev: rev, updated: updated},
			// Reachability never changes (revision 0): no SDK session is reported online.
			item{key: "reachability", data: map[string]any{"online": false, "notifiable": false}, updated: updated})
	case kindMessages:
		msgs, _ := v.eng.Messages(o.conv, false)
		for _, m := range msgs {
			out = append(out, item{key: strconv.Itoa(m.Index), index: m.Index, data: messageData(m), rev: m.Rev, updated: m.DateUpdated})
		}
	case kindRoster:
		parts, _ := v.eng.Participants(o.conv)
		for _, p := range parts {
			out = append(out, item{key: p.SID, data: v.participantData(p), rev: p.Rev, updated: p.DateUpdated})
		}
	}
	if o.kind != kindMessages {
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	}
	return out
}

// document renders a conversation's document data and its revision.
func (v view) document(o object) (any, uint64, time.Time, bool) {
	c, err := v.eng.Conversation(o.conv)
	if err != nil {
		return nil, 0, time.Time{}, false
	}
	return v.documentData(c), c.Rev, c.DateUpdated, true
}

// documentData is the conversation document the SDK reads (conversation.js
// _update): attributes as a JSON string, state, lastMessage, and the names
// of the messages list and roster map.
func (v view) documentData(c *conversations.Conversation) map[string]any {
	d := map[string]any{
		"friendlyName": nullable(c.FriendlyName),
		"uniqueName":   nullable(c.UniqueName),
		"attributes":   c.Attributes,
		"createdBy":    "system",
		"dateCreated":  syncTime(c.DateCreated),
		"dateUpdated":  syncTime(c.DateUpdated),
		"state":        map[string]any{"current": c.State, "dateUpdated": syncTime(c.DateUpdated)},
		"messages":     convObject(kindMessages, c.SID).uniqueName(),
		"roster":       convObject(kindRoster, c.SID).uniqueName(),
	}
	// null (not absent) once the last message is gone, so the SDK drops it.
	d["lastMessage"] = nil
	if m := v.eng.LastMessage(c.SID); m != nil {
		d["lastMessage"] = map[string]any{"index": m.Index, "timestamp": syncTime(m.DateCreated)}
	}
	return d
}

// myConversationData is a my-conversations item: the SDK needs channel and
// status, and reads the user's read horizon and notification level from it.
func myConversationData(p *conversations.Participation) map[string]any {
	c := p.Conversation.SID
	return map[string]any{
		"status":                   "joined",
		"channel":                  convObject(kindDocument, c).uniqueName(),
		"messages":                 convObject(kindMessages, c).uniqueName(),
		"roster":                   convObject(kindRoster, c).uniqueName(),
		"lastConsumedMessageIndex": intOrNil(p.LastReadMessageIndex),
		"notificationLevel":        p.NotificationLevel,
	}
}

// participantData is a roster item (participant.js): a chat participant has
// an identity and type "chat", a channel participant its binding's type.
func (v view) participantData(p *conversations.Participant) map[string]any {
	rh := v.eng.ParticipantReadHorizon(p.SID)
	d := map[string]any{
		"identity":                 nullable(p.Identity),
		"attributes":               p.Attributes,
		"dateCreated":              syncTime(p.DateCreated),
		"dateUpdated":              syncTime(p.DateUpdated),
		"roleSid":                  p.RoleSID,
		"lastConsumedMessageIndex": intOrNil(rh.LastReadMessageIndex),
		"lastConsumptionTimestamp": nil,
		"type":                     "chat",
		"bindings":                 map[string]any{},
	}
	if rh.LastReadTimestamp != nil {
		d["lastConsumptionTimestamp"] = syncTime(*rh.LastReadTimestamp)
	}
	if b := p.Binding; b != nil && b.Address != "" {
		d["type"] = b.Type
	}
	if p.Identity != "" {
		d["userInfo"] = userObject(kindUser, p.ChatServiceSID, p.Identity).uniqueName()
	}
	return d
}

// messageData is a messages-list item (message.js): body as text, dates,
// attributes as a JSON string, the author's participant, delivery summary
// and media.
func messageData(m *conversations.Message) map[string]any {
	d := map[string]any{
		"sid":         m.SID,
		"author":      m.Author,
		"text":        m.Body,
		"timestamp":   syncTime(m.DateCreated),
		"dateUpdated": syncTime(m.DateUpdated),
		"attributes":  m.Attributes,
		"type":        "text",
	}
	if m.ParticipantSID != "" {
		d["memberSid"] = m.ParticipantSID
	}
	if m.ContentSID != "" {
		d["contentSid"] = m.ContentSID
	}
	if dl := m.Delivery; dl != nil {
		d["delivery"] = map[string]any{"total": dl.Total, "sent": dl.Sent, "delivered": dl.Delivered, "read": dl.Read,
			"undelivered": dl.Undelivered, "failed": dl.Failed}
	}
	if len(m.MediaSIDs) > 0 {
		d["type"] = "media"
		if m.Body == "" {
			d["text"] = nil
		}
		medias := make([]map[string]any, 0, len(m.MediaSIDs))
		for _, s := range m.MediaSIDs {
			medias = append(medias, map[string]any{"sid": s, "category": "media", "filename": nil,
				"contentType": "application/octet-stream", "size": 0})
		}
		d["medias"] = medias
	}
	return d
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func intOrNil(i *int) any {
	if i == nil {
		return nil
	}
	return *i
}

// cdsBase is the CDS URL objects' links use; hosts are reported, never resolved.
const cdsBase = "https://cds.us1.twilio.com"

func objectURL(o object) string { return cdsBase + "/v3/" + o.collection() + "/" + o.sid() }

func itemURL(o object, key string) string { return objectURL(o) + "/Items/" + key }

// descriptor renders an object's descriptor (GET /v3/{collection}/{id}),
// with its items when includeItems; ok is false when o does not exist.
func (v view) descriptor(o object, includeItems bool) (map[string]any, bool) {
	if !v.exists(o) {
		return nil, false
	}
	d := map[string]any{
		"sid":          o.sid(),
		"unique_name":  o.uniqueName(),
		"url":          objectURL(o),
		"date_expires": nil,
	}
	if o.kind == kindDocument {
		data, rev, updated, _ := v.document(o)
		id := v.id(rev)
		d["data"] = data
		d["revision"] = strconv.FormatUint(id, 10)
		d["last_event_id"] = id
		d["date_updated"] = syncTime(updated)
		return d, true
	}
	id := v.now()
	d["revision"] = strconv.FormatUint(id, 10)
	d["last_event_id"] = id
	d["links"] = map[string]any{"items": objectURL(o) + "/Items", "context": objectURL(o) + "/Context"}
	items := v.items(o)
	var updated time.Time
	for _, it := range items {
		if it.updated.After(updated) {
			updated = it.updated
		}
	}
	d["date_updated"] = syncTime(updated)
	if includeItems {
		rendered := make([]map[string]any, 0, len(items))
		for _, it := range items {
			rendered = append(rendered, v.itemJSON(o, it))
		}
		d["items"] = rendered
	}
	return d, true
}

// itemJSON renders one item as CDS returns it in pages and descriptors.
func (v view) itemJSON(o object, it item) map[string]any {
	id := v.id(it.rev)
	d := map[string]any{
		"data":          it.data,
		"revision":      strconv.FormatUint(id, 10),
		"last_event_id": id,
		"url":           itemURL(o, it.key),
		"date_updated":  syncTime(it.updated),
		"date_expires":  nil,
	}
	if o.kind == kindMessages {
		d["index"] = it.index
	} else {
		d["key"] = it.key
	}
	return d
}

// mustJSON marshals v, which the projection builds from plain values.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
