package taskrouter

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Activity is a worker state; Available decides whether workers in it can
// receive reservations. Available cannot change after creation.
type Activity struct {
	SID          string
	WorkspaceSID string
	FriendlyName string
	Available    bool
	DateCreated  time.Time
	DateUpdated  time.Time
}

// CreateActivityParams are the Activity create parameters.
type CreateActivityParams struct {
	SID          string // optional pinned SID (fixtures)
	FriendlyName string
	Available    bool // default false
}

// CreateActivity adds an activity to a workspace.
func (e *Engine) CreateActivity(wsSID string, p CreateActivityParams) (*Activity, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	sid, err := e.pickSID(p.SID, "WA", func(s string) bool { return ws.activities.get(s) != nil })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	a := &Activity{SID: sid, WorkspaceSID: ws.SID, FriendlyName: p.FriendlyName, Available: p.Available,
		DateCreated: now, DateUpdated: now}
	ws.activities.add(sid, a)
	e.emit(Event{Type: eventtype.ActivityCreated, WorkspaceSID: ws.SID}, sid,
		fmt.Sprintf("activity %s %q created (available=%t)", sid, a.FriendlyName, a.Available),
		map[string]string{"workspace_sid": ws.SID, "activity_name": a.FriendlyName})
	return a, nil
}

// UpdateActivity renames an activity (the only mutable field).
func (e *Engine) UpdateActivity(wsSID, sid string, friendlyName *string) (*Activity, error) {
	e.begin()
	defer e.end()
	ws, a, err := e.activity(wsSID, sid)
	if err != nil {
		return nil, err
	}
	if friendlyName != nil {
		if err := checkName("FriendlyName", *friendlyName); err != nil {
			return nil, err
		}
		a.FriendlyName = *friendlyName
		for _, w := range ws.workers.list {
			if w.activity == a {
				w.ActivityName = a.FriendlyName
				w.info.ActivityName = a.FriendlyName
				e.refreshMembership(ws, w) // expressions may read activity_name
				e.offerWorker(ws, w)
			}
		}
		for _, q := range ws.queues.list {
			if q.ReservationActivitySID == a.SID {
				q.ReservationActivityName = a.FriendlyName
			}
			if q.AssignmentActivitySID == a.SID {
				q.AssignmentActivityName = a.FriendlyName
			}
		}
	}
	a.DateUpdated = e.env.Now()
	e.emit(Event{Type: eventtype.ActivityUpdated, WorkspaceSID: ws.SID}, sid,
		fmt.Sprintf("activity %s renamed %q", sid, a.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "activity_name": a.FriendlyName})
	return a, nil
}

// DeleteActivity removes an activity that nothing uses: not the workspace
// default or timeout activity, no worker in it, no queue referencing it.
func (e *Engine) DeleteActivity(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, a, err := e.activity(wsSID, sid)
	if err != nil {
		return err
	}
	if ws.DefaultActivitySID == sid || ws.TimeoutActivitySID == sid {
		return twilio.BadRequest("Activity %s is the workspace's default or timeout activity and cannot be deleted", sid)
	}
	for _, w := range ws.workers.list {
		if w.activity == a {
			return twilio.BadRequest("Activity %s cannot be deleted: worker %s is in it", sid, w.FriendlyName)
		}
	}
	for _, q := range ws.queues.list {
		if q.ReservationActivitySID == sid || q.AssignmentActivitySID == sid {
			return twilio.BadRequest("Activity %s cannot be deleted: TaskQueue %s references it", sid, q.FriendlyName)
		}
	}
	ws.activities.remove(sid)
	e.emit(Event{Type: eventtype.ActivityDeleted, WorkspaceSID: ws.SID}, sid,
		fmt.Sprintf("activity %s %q deleted", sid, a.FriendlyName),
		map[string]string{"workspace_sid": ws.SID, "activity_name": a.FriendlyName})
	return nil
}

// Activity returns one activity.
func (e *Engine) Activity(wsSID, sid string) (*Activity, error) {
	_, a, err := e.activity(wsSID, sid)
	return a, err
}

// Activities lists a workspace's activities, oldest first, filtered by exact
// friendly name and availability when given.
func (e *Engine) Activities(wsSID, friendlyName string, available *bool) ([]*Activity, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	out := make([]*Activity, 0, len(ws.activities.list))
	for _, a := range ws.activities.list {
		if (friendlyName == "" || a.FriendlyName == friendlyName) && (available == nil || a.Available == *available) {
			out = append(out, a)
		}
	}
	return out, nil
}

// ActivityByName returns the oldest activity with that friendly name.
func (e *Engine) ActivityByName(wsSID, name string) (*Activity, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	for _, a := range ws.activities.list {
		if a.FriendlyName == name {
			return a, nil
		}
	}
	return nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Activities?FriendlyName=%s", wsSID, name))
}

func (e *Engine) activity(wsSID, sid string) (*Workspace, *Activity, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	a := ws.activities.get(sid)
	if a == nil {
		return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/Activities/%s", wsSID, sid))
	}
	return ws, a, nil
}
