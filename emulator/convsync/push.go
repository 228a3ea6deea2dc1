package convsync

import (
	"strconv"

	"github.com/flexemu/flexemu/emulator/conversations"
)

// Live pushes: each engine change becomes the Sync events of the objects it
// affects (dossier §2.10), sent to the sessions subscribed to them.

// messageTypeSync is the notification type of Sync events.
const messageTypeSync = "twilio.sync.event"

// syncEvent is one rendered Sync event of one object.
type syncEvent struct {
	sid     string // object SID
	id      uint64
	payload []byte // {"event_type","event_protocol_version","event"}
}

func newEvent(o object, typ string, id uint64, fields map[string]any) syncEvent {
	return syncEvent{sid: o.sid(), id: id, payload: mustJSON(map[string]any{
		"event_type": typ, "event_protocol_version": 4, "event": fields})}
}

// itemEvent renders a map or list item event (added, updated).
func (v view) itemEvent(o object, typ string, it item) syncEvent {
	id := v.id(it.rev)
	rev := strconv.FormatUint(id, 10)
	f := map[string]any{"id": id, "item_url": itemURL(o, it.key), "item_revision": rev, "item_data": it.data,
		"date_created": syncTime(it.updated)}
	if o.kind == kindMessages {
		f["list_sid"], f["item_index"], f["list_revision"] = o.sid(), it.index, rev
		return newEvent(o, "list_"+typ, id, f)
	}
	f["map_sid"], f["item_key"], f["map_revision"] = o.sid(), it.key, rev
	return newEvent(o, "map_"+typ, id, f)
}

// itemRemoved renders the removal of an item, carrying its last data.
func (v view) itemRemoved(o object, id uint64, it item) syncEvent {
	f := map[string]any{"id": id, "item_data": it.data, "date_created": syncTime(it.updated)}
	rev := strconv.FormatUint(id, 10)
	if o.kind == kindMessages {
		f["list_sid"], f["item_index"], f["list_revision"] = o.sid(), it.index, rev
		return newEvent(o, "list_item_removed", id, f)
	}
	f["map_sid"], f["item_key"], f["map_revision"] = o.sid(), it.key, rev
	return newEvent(o, "map_item_removed", id, f)
}

// documentEvent renders document_updated with the whole document.
func (v view) documentEvent(o object) (syncEvent, bool) {
	data, rev, updated, ok := v.document(o)
	if !ok {
		return syncEvent{}, false
	}
	id := v.id(rev)
	return newEvent(o, "document_updated", id, map[string]any{"document_sid": o.sid(), "id": id,
		"document_revision": strconv.FormatUint(id, 10), "document_data": data, "date_created": syncTime(updated)}), true
}

// objectRemoved renders map_removed, list_removed or document_removed.
func objectRemoved(o object, id uint64) syncEvent {
	return newEvent(o, o.typ()+"_removed", id, map[string]any{o.typ() + "_sid": o.sid(), "id": id})
}

// findItem renders the item of o with key, if it exists.
func (v view) findItem(o object, key string) (item, bool) {
	switch o.kind {
	case kindMessages:
		n, err := strconv.Atoi(key)
		if err != nil {
			return item{}, false
		}
		m, err := v.eng.MessageByIndex(o.conv, n)
		if err != nil {
			return item{}, false
		}
		return item{key: key, index: n, data: messageData(m), rev: m.Rev, updated: m.DateUpdated}, true
	case kindRoster:
		p, err := v.eng.Participant(o.conv, key)
		if err != nil {
			return item{}, false
		}
		return item{key: p.SID, data: v.participantData(p), rev: p.Rev, updated: p.DateUpdated}, true
	case kindMyConversations:
		p, err := v.eng.IdentityConversation(o.service, o.identity, key)
		if err != nil {
			return item{}, false
		}
		return item{key: key, data: myConversationData(p), rev: p.Participant.Rev, updated: p.Participant.DateUpdated}, true
	}
	for _, it := range v.items(o) {
		if it.key == key {
			return it, true
		}
	}
	return item{}, false
}

// changed turns an engine change into Sync events: removals are always
// rendered and logged (for replay); the rest only for objects someone is
// subscribed to. It runs under the account lock.
func (s *Service) changed(accountSID string, eng *conversations.Engine, ch conversations.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountSID]
	if a == nil || a.eng != eng {
		return // a discarded engine
	}
	v := view{eng: eng, offset: a.offset}
	watched := func(o object) bool { return len(a.subs[o.sid()]) > 0 }
	send := func(ev syncEvent) {
		for c := range a.subs[ev.sid] {
			c.sess.Notify(messageTypeSync, ev.payload)
		}
	}
	// upsert pushes the current state of item key of o (added or updated).
	upsert := func(o object, typ, key string) {
		if !watched(o) {
			return
		}
		if it, ok := v.findItem(o, key); ok {
			send(v.itemEvent(o, typ, it))
		}
	}
	remove := func(o object, it item) {
		ev := v.itemRemoved(o, v.id(ch.Rev), it)
		a.removals.add(ev)
		send(ev)
	}
	doc := func() {
		if o := convObject(kindDocument, ch.ConversationSID); watched(o) {
			if ev, ok := v.documentEvent(o); ok {
				send(ev)
			}
		}
	}
	svc := objService(eng, ch.ChatServiceSID)
	myConv := func(identity string) object { return userObject(kindMyConversations, svc, identity) }
	messages, roster := convObject(kindMessages, ch.ConversationSID), convObject(kindRoster, ch.ConversationSID)

	switch ch.Kind {
	case conversations.ChangeMessageAdded:
		upsert(messages, "item_added", strconv.Itoa(ch.MessageIndex))
		doc()
	case conversations.ChangeMessageUpdated:
		upsert(messages, "item_updated", strconv.Itoa(ch.MessageIndex))
	case conversations.ChangeMessageRemoved:
		if m := ch.Message; m != nil {
			remove(messages, item{key: strconv.Itoa(m.Index), index: m.Index, data: messageData(m), updated: m.DateUpdated})
		}
		doc()
	case conversations.ChangeParticipantAdded:
		upsert(roster, "item_added", ch.ParticipantSID)
		if ch.Identity != "" {
			upsert(myConv(ch.Identity), "item_added", ch.ConversationSID)
		}
	case conversations.ChangeParticipantUpdated, conversations.ChangeReadHorizonChanged:
		upsert(roster, "item_updated", ch.ParticipantSID)
		if ch.PreviousIdentity != "" {
			remove(myConv(ch.PreviousIdentity), item{key: ch.ConversationSID,
				data: map[string]any{"status": "notParticipating", "channel": convObject(kindDocument, ch.ConversationSID).uniqueName()}})
			upsert(myConv(ch.Identity), "item_added", ch.ConversationSID)
		} else if ch.Identity != "" {
			upsert(myConv(ch.Identity), "item_updated", ch.ConversationSID)
		}
	case conversations.ChangeParticipantRemoved:
		if p := ch.Participant; p != nil {
			remove(roster, item{key: p.SID, data: v.participantData(p), updated: p.DateUpdated})
			if p.Identity != "" {
				remove(myConv(p.Identity), item{key: ch.ConversationSID, updated: p.DateUpdated,
					data: map[string]any{"status": "joined", "channel": convObject(kindDocument, ch.ConversationSID).uniqueName()}})
			}
		}
	case conversations.ChangeConversationUpdated:
		doc()
	case conversations.ChangeConversationRemoved:
		id := v.id(ch.Rev)
		for _, kind := range []objKind{kindDocument, kindMessages, kindRoster} {
			ev := objectRemoved(convObject(kind, ch.ConversationSID), id)
			a.removals.add(ev)
			send(ev)
		}
		for _, p := range ch.Participants {
			if p.Identity != "" {
				remove(myConv(p.Identity), item{key: ch.ConversationSID, updated: p.DateUpdated,
					data: map[string]any{"status": "joined", "channel": convObject(kindDocument, ch.ConversationSID).uniqueName()}})
			}
		}
	case conversations.ChangeUserAdded, conversations.ChangeUserUpdated:
		o := userObject(kindUser, svc, ch.Identity)
		if watched(o) {
			for _, it := range v.items(o) {
				if it.key != "reachability" {
					send(v.itemEvent(o, "item_updated", it))
				}
			}
		}
	}
}

// removalLog keeps the latest removal events of an account, for replay to
// sessions that resubscribe after missing them.
type removalLog struct {
	ring []syncEvent
	next int
}

// maxRemovals bounds the removal log of an account.
const maxRemovals = 1024

func (l *removalLog) add(ev syncEvent) {
	if len(l.ring) < maxRemovals {
		l.ring = append(l.ring, ev)
		return
	}
	l.ring[l.next] = ev
	l.next = (l.next + 1) % maxRemovals
}

// since returns the logged removals of object sid with an id above id.
func (l *removalLog) since(sid string, id uint64) []syncEvent {
	var out []syncEvent
	for _, ev := range l.ring {
		if ev.sid == sid && ev.id > id {
			out = append(out, ev)
		}
	}
	return out
}
