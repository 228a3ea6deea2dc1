package studio

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Flow statuses.
const (
	FlowDraft     = "draft"
	FlowPublished = "published"
)

// Flow is a Studio flow (FW…) and its revision history.
type Flow struct {
	SID         string
	DateCreated time.Time
	// Revisions holds every save, oldest first; the last is the flow's
	// current state.
	Revisions []*Revision
	TestUsers []string
}

// Revision is one saved version of a flow.
type Revision struct {
	Revision      int
	FriendlyName  string
	Status        string
	CommitMessage string
	Definition    *Definition
	DateCreated   time.Time
	DateUpdated   time.Time
}

// Latest is the flow's newest revision (what fetching the flow shows).
func (f *Flow) Latest() *Revision { return f.Revisions[len(f.Revisions)-1] }

// Published is the newest published revision, which runs for inbound
// traffic; nil if the flow was never published.
func (f *Flow) Published() *Revision {
	for i := len(f.Revisions) - 1; i >= 0; i-- {
		if f.Revisions[i].Status == FlowPublished {
			return f.Revisions[i]
		}
	}
	return nil
}

// DateUpdated is when the flow was last saved.
func (f *Flow) DateUpdated() time.Time { return f.Latest().DateCreated }

// CreateFlowParams are the inputs of CreateFlow.
type CreateFlowParams struct {
	SID           string // optional fixed FW… SID; empty mints one
	FriendlyName  string
	Status        string // draft | published
	Definition    string // JSON
	CommitMessage string
}

// UpdateFlowParams are the inputs of UpdateFlow; nil keeps the current value.
type UpdateFlowParams struct {
	Status        string // required
	FriendlyName  *string
	Definition    *string
	CommitMessage *string
}

func validStatus(s string) error {
	switch s {
	case FlowDraft, FlowPublished:
		return nil
	case "":
		return twilio.MissingParam("Status")
	}
	return twilio.InvalidParam("Status", "%q is not one of draft, published", s)
}

// ValidateFlow checks create parameters without saving (POST /v2/Flows/Validate).
func (e *Engine) ValidateFlow(p CreateFlowParams) error {
	_, err := validateCreate(p)
	return err
}

func validateCreate(p CreateFlowParams) (*Definition, error) {
	if strings.TrimSpace(p.FriendlyName) == "" {
		return nil, twilio.MissingParam("FriendlyName")
	}
	if err := validStatus(p.Status); err != nil {
		return nil, err
	}
	return ParseDefinition(p.Definition)
}

// CreateFlow saves a new flow as revision 1.
func (e *Engine) CreateFlow(p CreateFlowParams) (*Flow, error) {
	def, err := validateCreate(p)
	if err != nil {
		return nil, err
	}
	sid := p.SID
	if sid != "" {
		if !twilio.IsSID(sid, "FW") {
			return nil, twilio.InvalidParam("Sid", "%q is not a Flow SID (FW…)", sid)
		}
		if _, dup := e.flows[sid]; dup {
			return nil, twilio.Conflict(twilio.CodeConflict, "Flow %s already exists", sid)
		}
	} else {
		sid = twilio.NewSID("FW")
	}
	now := e.env.Now()
	f := &Flow{SID: sid, DateCreated: now, Revisions: []*Revision{{Revision: 1, FriendlyName: p.FriendlyName,
		Status: p.Status, CommitMessage: p.CommitMessage, Definition: def, DateCreated: now, DateUpdated: now}}}
	e.flows[sid] = f
	e.flowOrder = append(e.flowOrder, sid)
	e.env.Record(product, "flow.created", sid, fmt.Sprintf("flow %q created (%s, revision 1)", p.FriendlyName, p.Status),
		map[string]string{"flow_sid": sid, "flow_name": p.FriendlyName, "status": p.Status})
	return f, nil
}

// UpdateFlow saves a new revision. A draft save does not replace the
// published revision that runs for inbound traffic.
func (e *Engine) UpdateFlow(sid string, p UpdateFlowParams) (*Flow, error) {
	if err := validStatus(p.Status); err != nil {
		return nil, err
	}
	f, err := e.Flow(sid)
	if err != nil {
		return nil, err
	}
	cur := f.Latest()
	next := &Revision{Revision: cur.Revision + 1, FriendlyName: cur.FriendlyName, Status: p.Status,
		Definition: cur.Definition}
	if p.FriendlyName != nil {
		if strings.TrimSpace(*p.FriendlyName) == "" {
			return nil, twilio.InvalidParam("FriendlyName", "must not be empty")
		}
		next.FriendlyName = *p.FriendlyName
	}
	if p.Definition != nil {
		def, err := ParseDefinition(*p.Definition)
		if err != nil {
			return nil, err
		}
		next.Definition = def
	}
	if p.CommitMessage != nil {
		next.CommitMessage = *p.CommitMessage
	}
	now := e.env.Now()
	next.DateCreated, next.DateUpdated = now, now
	f.Revisions = append(f.Revisions, next)
	e.env.Record(product, "flow.updated", sid,
		fmt.Sprintf("flow %q saved as revision %d (%s)", next.FriendlyName, next.Revision, next.Status),
		map[string]string{"flow_sid": sid, "flow_name": next.FriendlyName, "status": next.Status,
			"revision": strconv.Itoa(next.Revision)})
	return f, nil
}

// Flow returns a flow by SID.
func (e *Engine) Flow(sid string) (*Flow, error) {
	f, ok := e.flows[sid]
	if !ok {
		return nil, twilio.NotFound("/Flows/" + sid)
	}
	return f, nil
}

// FlowByName returns the oldest flow whose latest friendly name is name
// (fixtures and studio webhooks may name a flow instead of its SID).
func (e *Engine) FlowByName(name string) (*Flow, error) {
	for _, sid := range e.flowOrder {
		if f := e.flows[sid]; f.Latest().FriendlyName == name {
			return f, nil
		}
	}
	return nil, twilio.NewError(404, twilio.CodeNotFound, "No Flow named %q", name)
}

// Flows lists flows in creation order.
func (e *Engine) Flows() []*Flow {
	out := make([]*Flow, 0, len(e.flowOrder))
	for _, sid := range e.flowOrder {
		out = append(out, e.flows[sid])
	}
	return out
}

// DeleteFlow removes a flow with its executions, stopping their timers.
func (e *Engine) DeleteFlow(sid string) error {
	f, err := e.Flow(sid)
	if err != nil {
		return err
	}
	for _, ex := range e.flowExecutions(sid) {
		e.removeExecution(ex)
	}
	delete(e.flows, sid)
	e.flowOrder = removeString(e.flowOrder, sid)
	e.env.Record(product, "flow.deleted", sid, fmt.Sprintf("flow %q deleted", f.Latest().FriendlyName),
		map[string]string{"flow_sid": sid, "flow_name": f.Latest().FriendlyName})
	return nil
}

// FlowRevision returns revision rev of a flow: a number, "LatestPublished"
// or "LatestRevision".
func (e *Engine) FlowRevision(sid, rev string) (*Revision, error) {
	f, err := e.Flow(sid)
	if err != nil {
		return nil, err
	}
	notFound := twilio.NotFound(fmt.Sprintf("/Flows/%s/Revisions/%s", sid, rev))
	switch rev {
	case "LatestRevision":
		return f.Latest(), nil
	case "LatestPublished":
		if r := f.Published(); r != nil {
			return r, nil
		}
		return nil, notFound
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(f.Revisions) {
		return nil, notFound
	}
	return f.Revisions[n-1], nil
}

// SetTestUsers replaces the identities for whom the latest (even draft)
// revision runs.
func (e *Engine) SetTestUsers(sid string, users []string) (*Flow, error) {
	f, err := e.Flow(sid)
	if err != nil {
		return nil, err
	}
	f.TestUsers = append([]string{}, users...)
	return f, nil
}

// revisionFor picks the revision that runs for a contact: the latest one for
// a test user, else the latest published one (nil when never published).
func (f *Flow) revisionFor(identities ...string) *Revision {
	for _, id := range identities {
		if id != "" && containsString(f.TestUsers, id) {
			return f.Latest()
		}
	}
	return f.Published()
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
