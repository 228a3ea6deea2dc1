package convsync

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/flexemu/flexemu/emulator/twilsock"
)

// Subscriptions: POST /v4/Subscriptions establishes or cancels a session's
// subscriptions. The answer only acknowledges the request; the outcome
// comes as notifications echoing its correlation_id: for each object the
// events the session missed since its last_event_id (replay), then
// subscription_established (or subscription_failed), or
// subscription_canceled.

// maxSubscriptions bounds one session's subscriptions.
const maxSubscriptions = 10_000

type subscriptionRequest struct {
	Action        string          `json:"action"`
	CorrelationID json.RawMessage `json:"correlation_id"`
	Requests      []struct {
		ObjectSID   string  `json:"object_sid"`
		ObjectType  string  `json:"object_type"`
		LastEventID *uint64 `json:"last_event_id"`
	} `json:"requests"`
}

// subscriptionAck is the POST answer (SY subscriptions.js reads all three).
var subscriptionAck = map[string]any{"estimated_delivery_in_ms": 5000, "max_batch_size": 100, "ttl_in_s": -1}

func (c *conn) serveSubscriptions(r twilsock.Request) twilsock.Response {
	if r.Method != http.MethodPost {
		return syncError(http.StatusMethodNotAllowed, codeSyncBadRequest, "Method not allowed: "+r.Method+" "+r.Path)
	}
	var req subscriptionRequest
	if err := json.Unmarshal(r.Body, &req); err != nil || (req.Action != "establish" && req.Action != "cancel") {
		return syncError(http.StatusBadRequest, codeSyncBadRequest, "Invalid subscriptions request: action must be establish or cancel")
	}
	if len(req.CorrelationID) == 0 {
		req.CorrelationID = json.RawMessage("null")
	}
	err := c.view(func(v view) error {
		c.svc.mu.Lock()
		defer c.svc.mu.Unlock()
		if c.closed {
			return nil
		}
		a := c.svc.account(c.accountSID)
		var done, failed []map[string]any
		for _, q := range req.Requests {
			o, ok := c.objectBySID(v, a, q.ObjectType, q.ObjectSID)
			if req.Action == "cancel" {
				c.unsubscribe(a, q.ObjectSID)
				done = append(done, map[string]any{"object_sid": q.ObjectSID, "object_type": q.ObjectType})
				continue
			}
			switch {
			case !ok:
				failed = append(failed, subscriptionFailure(q.ObjectSID, q.ObjectType, http.StatusNotFound, codeSyncNotFound, "Object "+q.ObjectSID+" not found"))
				continue
			case len(c.subs) >= maxSubscriptions:
				failed = append(failed, subscriptionFailure(q.ObjectSID, q.ObjectType, http.StatusTooManyRequests, 54502,
					"Too many subscriptions for this session"))
				continue
			}
			var since uint64
			if q.LastEventID != nil {
				since = *q.LastEventID
			}
			if !v.exists(o) {
				// Removed while the session was away: replay the removal, then refuse.
				evs := a.removals.since(o.sid(), since)
				if len(evs) == 0 {
					evs = []syncEvent{objectRemoved(o, v.now())}
				}
				for _, ev := range evs {
					c.sess.Notify(messageTypeSync, ev.payload)
				}
				failed = append(failed, subscriptionFailure(q.ObjectSID, q.ObjectType, http.StatusNotFound, codeSyncNotFound, "Object "+q.ObjectSID+" not found"))
				continue
			}
			for _, ev := range v.replay(a, o, since) {
				c.sess.Notify(messageTypeSync, ev.payload)
			}
			c.subscribe(a, o.sid())
			last := v.lastEventID(o)
			if since > last {
				last = since
			}
			done = append(done, map[string]any{"object_sid": q.ObjectSID, "object_type": q.ObjectType,
				"replay_status": "completed", "last_event_id": last})
		}
		typ := "subscription_established"
		if req.Action == "cancel" {
			typ = "subscription_canceled"
		}
		if len(done) > 0 {
			c.sess.Notify(messageTypeSync, mustJSON(map[string]any{"event_type": typ, "correlation_id": req.CorrelationID,
				"event_protocol_version": 4, "events": done}))
		}
		if len(failed) > 0 {
			c.sess.Notify(messageTypeSync, mustJSON(map[string]any{"event_type": "subscription_failed", "correlation_id": req.CorrelationID,
				"event_protocol_version": 4, "events": failed}))
		}
		return nil
	})
	if err != nil {
		return aimError(err)
	}
	return jsonResponse(http.StatusOK, subscriptionAck)
}

func subscriptionFailure(sid, typ string, status, code int, msg string) map[string]any {
	return map[string]any{"object_sid": sid, "object_type": typ,
		"error": map[string]any{"status": status, "code": code, "message": msg}}
}

// objectBySID resolves a subscription request's object. Callers hold s.mu.
func (c *conn) objectBySID(v view, a *account, typ, sid string) (object, bool) {
	collection := map[string]string{"map": "Maps", "list": "Lists", "document": "Documents"}[typ]
	if collection == "" || len(sid) != 34 {
		return object{}, false
	}
	o, ok := parseRef(collection, sid, objService(v.eng, c.service(v.eng)), a.names)
	return o, ok && o.sid() == sid
}

// lastEventID is the id a subscription is established at: the document's
// own, or the account's latest for maps and lists (their items carry theirs).
func (v view) lastEventID(o object) uint64 {
	if o.kind == kindDocument {
		if _, rev, _, ok := v.document(o); ok {
			return v.id(rev)
		}
	}
	return v.now()
}

// replay renders what a session subscribing with last event id since has
// missed: the document if it changed, every item changed after since (as
// *_item_added, which the SDK applies to known and unknown items alike),
// and the logged removals, in id order.
func (v view) replay(a *account, o object, since uint64) []syncEvent {
	var evs []syncEvent
	if o.kind == kindDocument {
		if ev, ok := v.documentEvent(o); ok && ev.id > since {
			evs = append(evs, ev)
		}
		return evs
	}
	for _, it := range v.items(o) {
		if v.id(it.rev) > since {
			evs = append(evs, v.itemEvent(o, "item_added", it))
		}
	}
	evs = append(evs, a.removals.since(o.sid(), since)...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].id < evs[j].id })
	return evs
}

// subscribe and unsubscribe change the session's subscriptions. Callers hold s.mu.
func (c *conn) subscribe(a *account, sid string) {
	set := a.subs[sid]
	if set == nil {
		set = map[*conn]struct{}{}
		a.subs[sid] = set
	}
	set[c] = struct{}{}
	c.subs[sid] = struct{}{}
}

func (c *conn) unsubscribe(a *account, sid string) {
	if set := a.subs[sid]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(a.subs, sid)
		}
	}
	delete(c.subs, sid)
}
