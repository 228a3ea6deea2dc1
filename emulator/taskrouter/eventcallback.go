package taskrouter

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/webhook"
)

// eventSelected applies a workspace's events_filter: a comma-separated list
// of event types (spaces allowed); empty selects every event.
func eventSelected(filter, typ string) bool {
	if strings.TrimSpace(filter) == "" {
		return true
	}
	for _, f := range strings.Split(filter, ",") {
		if strings.TrimSpace(f) == typ {
			return true
		}
	}
	return false
}

// EventCallbackParams are the form parameters TaskRouter POSTs to the
// event_callback_url for rec: the common ones plus event_data in CamelCase
// (task_queue_sid -> TaskQueueSid).
func EventCallbackParams(rec *EventRecord, workspaceName string) url.Values {
	p := url.Values{}
	for _, f := range rec.Data() {
		p.Set(camelCase(f.Key), f.Value)
	}
	ms := rec.Date().UnixMilli()
	p.Set("Sid", rec.SID())
	p.Set("EventType", rec.EventType)
	p.Set("AccountSid", rec.AccountSID())
	p.Set("WorkspaceSid", rec.WorkspaceSID())
	p.Set("WorkspaceName", workspaceName)
	p.Set("EventDescription", describe(rec.Description))
	p.Set("ResourceType", rec.ResourceType())
	p.Set("ResourceSid", rec.ResourceSID)
	p.Set("Timestamp", strconv.FormatInt(ms/1000, 10))
	p.Set("TimestampMs", strconv.FormatInt(ms, 10))
	return p
}

// sendEventCallback posts rec to the workspace's event_callback_url. The
// answer is ignored and failures are not retried; the dispatcher signs the
// request and logs the delivery on the timeline.
func (e *Engine) sendEventCallback(ws *Workspace, rec *EventRecord) {
	refs := map[string]string{"event_sid": rec.SID(), "event_type": rec.EventType, "workspace_sid": ws.SID}
	if rec.ResourceSID != "" {
		refs["resource_sid"] = rec.ResourceSID
	}
	e.env.Webhooks.Send(webhook.Request{URL: ws.EventCallbackURL, Method: "POST",
		Params: EventCallbackParams(rec, ws.FriendlyName), Product: productName, Event: "event_callback", Refs: refs})
}

// camelCase turns an event_data key into its callback parameter name.
func camelCase(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	up := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_':
			up = true
			continue
		case up && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	return b.String()
}
