package taskrouter

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// eventRoutes is the Events resource (list and fetch).
func eventRoutes() []route {
	const ws = "/v1/Workspaces/{WorkspaceSid}"
	return []route{
		{Method: http.MethodGet, Path: ws + "/Events", Handle: listEvents},
		{Method: http.MethodGet, Path: ws + "/Events/{Sid}", Handle: fetchEvent},
	}
}

// eventSourceIP is the source_ip_address of every Event: the emulator is local.
const eventSourceIP = "127.0.0.1"

type eventView struct {
	AccountSID      string            `json:"account_sid"`
	ActorSID        string            `json:"actor_sid"`
	ActorType       string            `json:"actor_type"`
	ActorURL        string            `json:"actor_url"`
	Description     string            `json:"description"`
	EventData       map[string]string `json:"event_data"`
	EventDate       string            `json:"event_date"`
	EventDateMS     int64             `json:"event_date_ms"`
	EventType       string            `json:"event_type"`
	ResourceSID     string            `json:"resource_sid"`
	ResourceType    string            `json:"resource_type"`
	ResourceURL     string            `json:"resource_url"`
	SID             string            `json:"sid"`
	Source          string            `json:"source"`
	SourceIPAddress string            `json:"source_ip_address"`
	URL             string            `json:"url"`
	WorkspaceSID    string            `json:"workspace_sid"`
}

// renderEvent renders a stored Event; the actor is always the workspace
// (the engine does not know whether a change came from the API or a timer).
func renderEvent(r *twilio.Request, ev *EventRecord) any {
	ws := "/v1/Workspaces/" + ev.WorkspaceSID()
	date, sid := ev.Date(), ev.SID()
	return eventView{AccountSID: ev.AccountSID(), ActorSID: ev.WorkspaceSID(), ActorType: "workspace", ActorURL: r.URL(ws),
		Description: describe(ev.Description), EventData: ev.DataMap(), EventDate: twilio.Time(date),
		EventDateMS: date.UnixMilli(), EventType: ev.EventType, ResourceSID: ev.ResourceSID,
		ResourceType: ev.ResourceType(), ResourceURL: r.URL(ev.ResourcePath()), SID: sid, Source: "twilio",
		SourceIPAddress: eventSourceIP, URL: r.URL(ws + "/Events/" + sid), WorkspaceSID: ev.WorkspaceSID()}
}

func listEvents(e *Engine, r *twilio.Request) (any, error) {
	f := r.Form
	var ef EventFilter
	var err error
	if ef.Minutes, err = f.OptInt("Minutes", 1, maxLookbackMinutes); err != nil {
		return nil, err
	}
	if ef.StartDate, err = optTime(f, "StartDate"); err != nil {
		return nil, err
	}
	if ef.EndDate, err = optTime(f, "EndDate"); err != nil {
		return nil, err
	}
	ef.EventType, _ = f.String("EventType")
	ef.TaskSID, _ = f.String("TaskSid")
	ef.ReservationSID, _ = f.String("ReservationSid")
	ef.WorkerSID, _ = f.String("WorkerSid")
	ef.WorkflowSID, _ = f.String("WorkflowSid")
	ef.TaskQueueSID, _ = f.String("TaskQueueSid")
	ef.TaskChannel, _ = f.String("TaskChannel")
	ef.SID, _ = f.String("Sid")
	list, err := e.Events(r.Path("WorkspaceSid"), ef)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/Events"), "events", list,
		func(ev *EventRecord) any { return renderEvent(r, ev) }, maxPageSize)
}

func fetchEvent(e *Engine, r *twilio.Request) (any, error) {
	ev, err := e.EventRecord(r.Path("WorkspaceSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderEvent(r, ev), nil
}
