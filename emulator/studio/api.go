package studio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is the Studio API host and the emulator path prefix serving it.
var Product = twilio.Product{Prefix: "studio", Host: "studio.twilio.com"}

// maxPageSize bounds list pages.
const maxPageSize = 1000

// Routes is the Studio v2 route table.
func Routes() []twilio.Route[*Engine] {
	const (
		flows      = "/v2/Flows"
		flow       = flows + "/{Sid}"
		executions = flows + "/{FlowSid}/Executions"
		execution  = executions + "/{Sid}"
		steps      = executions + "/{ExecutionSid}/Steps"
	)
	return []twilio.Route[*Engine]{
		{Method: http.MethodGet, Path: flows, Handle: listFlows},
		{Method: http.MethodPost, Path: flows, Status: http.StatusCreated, Handle: createFlow},
		{Method: http.MethodPost, Path: flows + "/Validate", Handle: validateFlow},
		{Method: http.MethodGet, Path: flow, Handle: fetchFlow},
		{Method: http.MethodPost, Path: flow, Handle: updateFlow},
		{Method: http.MethodDelete, Path: flow, Status: http.StatusNoContent, Handle: deleteFlow},
		{Method: http.MethodGet, Path: flow + "/TestUsers", Handle: fetchTestUsers},
		{Method: http.MethodPost, Path: flow + "/TestUsers", Handle: updateTestUsers},
		{Method: http.MethodGet, Path: flow + "/Revisions", Handle: listRevisions},
		{Method: http.MethodGet, Path: flow + "/Revisions/{Revision}", Handle: fetchRevision},
		{Method: http.MethodGet, Path: executions, Handle: listExecutions},
		{Method: http.MethodPost, Path: executions, Status: http.StatusCreated, Handle: createExecution},
		{Method: http.MethodGet, Path: execution, Handle: fetchExecution},
		{Method: http.MethodPost, Path: execution, Handle: updateExecution},
		{Method: http.MethodDelete, Path: execution, Status: http.StatusNoContent, Handle: deleteExecution},
		{Method: http.MethodGet, Path: executions + "/{ExecutionSid}/Context", Handle: fetchExecutionContext},
		{Method: http.MethodGet, Path: steps, Handle: listSteps},
		{Method: http.MethodGet, Path: steps + "/{Sid}", Handle: fetchStep},
		{Method: http.MethodGet, Path: steps + "/{StepSid}/Context", Handle: fetchStepContext},
	}
}

// --- views -----------------------------------------------------------------

type flowView struct {
	SID           string            `json:"sid"`
	AccountSID    string            `json:"account_sid"`
	AuthorSID     *string           `json:"author_sid"`
	FriendlyName  string            `json:"friendly_name"`
	Definition    json.RawMessage   `json:"definition"`
	Status        string            `json:"status"`
	Revision      int               `json:"revision"`
	CommitMessage *string           `json:"commit_message"`
	Valid         *bool             `json:"valid"`
	Errors        []any             `json:"errors"`
	Warnings      []any             `json:"warnings"`
	DateCreated   string            `json:"date_created"`
	DateUpdated   *string           `json:"date_updated"`
	WebhookURL    string            `json:"webhook_url"`
	URL           string            `json:"url"`
	Links         map[string]string `json:"links"`
}

type revisionView struct {
	SID           string          `json:"sid"`
	AccountSID    string          `json:"account_sid"`
	AuthorSID     *string         `json:"author_sid"`
	FriendlyName  string          `json:"friendly_name"`
	Definition    json.RawMessage `json:"definition"`
	Status        string          `json:"status"`
	Revision      int             `json:"revision"`
	CommitMessage *string         `json:"commit_message"`
	Valid         *bool           `json:"valid"`
	Errors        []any           `json:"errors"`
	DateCreated   string          `json:"date_created"`
	DateUpdated   *string         `json:"date_updated"`
	URL           string          `json:"url"`
}

// savedDefinitionValid is what a flow's and a revision's "valid" point to:
// a saved definition always validated.
var savedDefinitionValid = true

// listed is a flow as the Flows list shows it: Twilio leaves out the
// definition and its validation (null), as the spec's list example shows;
// fetch the flow or the revision for them.
func (v flowView) listed() flowView {
	v.Definition, v.Valid, v.Errors, v.Warnings = nil, nil, nil, nil
	return v
}

// listed is a revision as the Revisions list shows it (see flowView.listed).
func (v revisionView) listed() revisionView {
	v.Definition, v.Valid, v.Errors = nil, nil, nil
	return v
}

func renderFlow(e *Engine, r *twilio.Request, f *Flow) flowView {
	rev := f.Latest()
	self := r.URL("/v2/Flows/" + f.SID)
	return flowView{SID: f.SID, AccountSID: e.env.AccountSID, FriendlyName: rev.FriendlyName,
		Definition: rev.Definition.Raw, Status: rev.Status, Revision: rev.Revision,
		CommitMessage: twilio.NullString(rev.CommitMessage), Valid: &savedDefinitionValid, Errors: []any{}, Warnings: []any{},
		DateCreated: twilio.Time(f.DateCreated), DateUpdated: twilio.TimePtr(f.DateUpdated()),
		WebhookURL: fmt.Sprintf("https://webhooks.twilio.com/v1/Accounts/%s/Flows/%s", e.env.AccountSID, f.SID),
		URL:        self,
		Links: map[string]string{"test_users": self + "/TestUsers", "revisions": self + "/Revisions",
			"executions": self + "/Executions"}}
}

func renderRevision(e *Engine, r *twilio.Request, flowSID string, rev *Revision) revisionView {
	return revisionView{SID: flowSID, AccountSID: e.env.AccountSID, FriendlyName: rev.FriendlyName,
		Definition: rev.Definition.Raw, Status: rev.Status, Revision: rev.Revision,
		CommitMessage: twilio.NullString(rev.CommitMessage), Valid: &savedDefinitionValid, Errors: []any{},
		DateCreated: twilio.Time(rev.DateCreated), DateUpdated: twilio.TimePtr(rev.DateUpdated),
		URL: r.URL(fmt.Sprintf("/v2/Flows/%s/Revisions/%d", flowSID, rev.Revision))}
}

type executionView struct {
	SID                   string            `json:"sid"`
	AccountSID            string            `json:"account_sid"`
	FlowSID               string            `json:"flow_sid"`
	ContactChannelAddress string            `json:"contact_channel_address"`
	ContactSID            string            `json:"contact_sid"`
	FlowVersion           int               `json:"flow_version"`
	Context               map[string]any    `json:"context"`
	Status                string            `json:"status"`
	DateCreated           string            `json:"date_created"`
	DateUpdated           *string           `json:"date_updated"`
	InitiatedBy           string            `json:"initiated_by"`
	URL                   string            `json:"url"`
	Links                 map[string]string `json:"links"`
}

func renderExecution(e *Engine, r *twilio.Request, ex *Execution) executionView {
	self := r.URL(fmt.Sprintf("/v2/Flows/%s/Executions/%s", ex.FlowSID, ex.SID))
	return executionView{SID: ex.SID, AccountSID: e.env.AccountSID, FlowSID: ex.FlowSID,
		ContactChannelAddress: ex.ContactChannelAddress, ContactSID: ex.ContactSID, FlowVersion: ex.FlowVersion,
		Context: ex.Context(), Status: ex.Status,
		DateCreated: twilio.Time(ex.DateCreated), DateUpdated: twilio.TimePtr(ex.DateUpdated),
		InitiatedBy: ex.InitiatedBy, URL: self,
		Links: map[string]string{"steps": self + "/Steps", "execution_context": self + "/Context"}}
}

type stepView struct {
	SID              string            `json:"sid"`
	AccountSID       string            `json:"account_sid"`
	FlowSID          string            `json:"flow_sid"`
	ExecutionSID     string            `json:"execution_sid"`
	ParentStepSID    *string           `json:"parent_step_sid"`
	Name             string            `json:"name"`
	Context          map[string]any    `json:"context"`
	TransitionedFrom string            `json:"transitioned_from"`
	TransitionedTo   string            `json:"transitioned_to"`
	Type             string            `json:"type"`
	DateCreated      string            `json:"date_created"`
	DateUpdated      *string           `json:"date_updated"`
	URL              string            `json:"url"`
	Links            map[string]string `json:"links"`
}

func renderStep(e *Engine, r *twilio.Request, ex *Execution, st *Step) stepView {
	self := r.URL(fmt.Sprintf("/v2/Flows/%s/Executions/%s/Steps/%s", ex.FlowSID, ex.SID, st.SID))
	return stepView{SID: st.SID, AccountSID: e.env.AccountSID, FlowSID: ex.FlowSID, ExecutionSID: ex.SID,
		ParentStepSID: twilio.NullString(st.ParentStepSID), Name: st.Name, Context: st.Context(), TransitionedFrom: st.TransitionedFrom, TransitionedTo: st.TransitionedTo,
		Type: st.Type, DateCreated: twilio.Time(st.DateCreated), DateUpdated: twilio.TimePtr(st.DateCreated),
		URL: self, Links: map[string]string{"step_context": self + "/Context"}}
}

// --- flows -----------------------------------------------------------------

func flowParams(r *twilio.Request) CreateFlowParams {
	var p CreateFlowParams
	p.FriendlyName, _ = r.Form.String("FriendlyName")
	p.Status, _ = r.Form.String("Status")
	p.Definition, _ = r.Form.String("Definition")
	p.CommitMessage, _ = r.Form.String("CommitMessage")
	return p
}

func listFlows(e *Engine, r *twilio.Request) (any, error) {
	return twilio.Paginate(r, r.URL("/v2/Flows"), "flows", e.Flows(),
		func(f *Flow) any { return renderFlow(e, r, f).listed() }, maxPageSize)
}

func createFlow(e *Engine, r *twilio.Request) (any, error) {
	f, err := e.CreateFlow(flowParams(r))
	if err != nil {
		return nil, err
	}
	return renderFlow(e, r, f), nil
}

func validateFlow(e *Engine, r *twilio.Request) (any, error) {
	if err := e.ValidateFlow(flowParams(r)); err != nil {
		return nil, err
	}
	return map[string]bool{"valid": true}, nil
}

func fetchFlow(e *Engine, r *twilio.Request) (any, error) {
	f, err := e.Flow(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderFlow(e, r, f), nil
}

func updateFlow(e *Engine, r *twilio.Request) (any, error) {
	status, err := r.Form.Required("Status")
	if err != nil {
		return nil, err
	}
	f, err := e.UpdateFlow(r.Path("Sid"), UpdateFlowParams{Status: status,
		FriendlyName: r.Form.OptString("FriendlyName"), Definition: r.Form.OptString("Definition"),
		CommitMessage: r.Form.OptString("CommitMessage")})
	if err != nil {
		return nil, err
	}
	return renderFlow(e, r, f), nil
}

func deleteFlow(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteFlow(r.Path("Sid"))
}

type testUsersView struct {
	SID       string   `json:"sid"`
	TestUsers []string `json:"test_users"`
	URL       string   `json:"url"`
}

func renderTestUsers(r *twilio.Request, f *Flow) testUsersView {
	users := f.TestUsers
	if users == nil {
		users = []string{}
	}
	return testUsersView{SID: f.SID, TestUsers: users, URL: r.URL("/v2/Flows/" + f.SID + "/TestUsers")}
}

func fetchTestUsers(e *Engine, r *twilio.Request) (any, error) {
	f, err := e.Flow(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderTestUsers(r, f), nil
}

func updateTestUsers(e *Engine, r *twilio.Request) (any, error) {
	if !r.Form.Has("TestUsers") {
		return nil, twilio.MissingParam("TestUsers")
	}
	f, err := e.SetTestUsers(r.Path("Sid"), r.Form.Strings("TestUsers"))
	if err != nil {
		return nil, err
	}
	return renderTestUsers(r, f), nil
}

func listRevisions(e *Engine, r *twilio.Request) (any, error) {
	f, err := e.Flow(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	revs := make([]*Revision, 0, len(f.Revisions))
	for i := len(f.Revisions) - 1; i >= 0; i-- { // newest first
		revs = append(revs, f.Revisions[i])
	}
	return twilio.Paginate(r, r.URL("/v2/Flows/"+f.SID+"/Revisions"), "revisions", revs,
		func(rev *Revision) any { return renderRevision(e, r, f.SID, rev).listed() }, maxPageSize)
}

func fetchRevision(e *Engine, r *twilio.Request) (any, error) {
	rev, err := e.FlowRevision(r.Path("Sid"), r.Path("Revision"))
	if err != nil {
		return nil, err
	}
	return renderRevision(e, r, r.Path("Sid"), rev), nil
}

// --- executions ------------------------------------------------------------

func listExecutions(e *Engine, r *twilio.Request) (any, error) {
	var p ListExecutionsParams
	for name, dst := range map[string]*time.Time{"DateCreatedFrom": &p.DateCreatedFrom, "DateCreatedTo": &p.DateCreatedTo} {
		if v, ok := r.Form.String(name); ok && v != "" {
			t, ok := twilio.ParseTime(v)
			if !ok {
				return nil, twilio.InvalidParam(name, "%q is not an ISO 8601 date", v)
			}
			*dst = t
		}
	}
	if v, ok := r.Form.String("Status"); ok {
		p.Status = v
	} else if v, ok := r.Form.String("status"); ok {
		p.Status = v
	}
	flowSID := r.Path("FlowSid")
	exs, err := e.ListExecutions(flowSID, p)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL("/v2/Flows/"+flowSID+"/Executions"), "executions", exs,
		func(ex *Execution) any { return renderExecution(e, r, ex) }, maxPageSize)
}

func createExecution(e *Engine, r *twilio.Request) (any, error) {
	to, err := r.Form.Required("To")
	if err != nil {
		return nil, err
	}
	from, err := r.Form.Required("From")
	if err != nil {
		return nil, err
	}
	_, params, err := r.Form.JSONObject("Parameters")
	if err != nil {
		return nil, err
	}
	ex, err := e.CreateExecution(r.Path("FlowSid"), CreateExecutionParams{To: to, From: from, Parameters: params})
	if err != nil {
		return nil, err
	}
	return renderExecution(e, r, ex), nil
}

func fetchExecution(e *Engine, r *twilio.Request) (any, error) {
	ex, err := e.Execution(r.Path("FlowSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderExecution(e, r, ex), nil
}

func updateExecution(e *Engine, r *twilio.Request) (any, error) {
	status, err := r.Form.Required("Status")
	if err != nil {
		return nil, err
	}
	ex, err := e.UpdateExecution(r.Path("FlowSid"), r.Path("Sid"), status)
	if err != nil {
		return nil, err
	}
	return renderExecution(e, r, ex), nil
}

func deleteExecution(e *Engine, r *twilio.Request) (any, error) {
	return nil, e.DeleteExecution(r.Path("FlowSid"), r.Path("Sid"))
}

type executionContextView struct {
	AccountSID   string         `json:"account_sid"`
	Context      map[string]any `json:"context"`
	FlowSID      string         `json:"flow_sid"`
	ExecutionSID string         `json:"execution_sid"`
	URL          string         `json:"url"`
}

func fetchExecutionContext(e *Engine, r *twilio.Request) (any, error) {
	ex, err := e.Execution(r.Path("FlowSid"), r.Path("ExecutionSid"))
	if err != nil {
		return nil, err
	}
	return executionContextView{AccountSID: e.env.AccountSID, Context: ex.Context(),
		FlowSID: ex.FlowSID, ExecutionSID: ex.SID,
		URL: r.URL(fmt.Sprintf("/v2/Flows/%s/Executions/%s/Context", ex.FlowSID, ex.SID))}, nil
}

func listSteps(e *Engine, r *twilio.Request) (any, error) {
	ex, err := e.Execution(r.Path("FlowSid"), r.Path("ExecutionSid"))
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(fmt.Sprintf("/v2/Flows/%s/Executions/%s/Steps", ex.FlowSID, ex.SID)), "steps",
		ex.Steps, func(st *Step) any { return renderStep(e, r, ex, st) }, maxPageSize)
}

func fetchStep(e *Engine, r *twilio.Request) (any, error) {
	st, err := e.Step(r.Path("FlowSid"), r.Path("ExecutionSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	ex, _ := e.Execution(r.Path("FlowSid"), r.Path("ExecutionSid"))
	return renderStep(e, r, ex, st), nil
}

type stepContextView struct {
	AccountSID   string         `json:"account_sid"`
	Context      map[string]any `json:"context"`
	ExecutionSID string         `json:"execution_sid"`
	FlowSID      string         `json:"flow_sid"`
	StepSID      string         `json:"step_sid"`
	URL          string         `json:"url"`
}

func fetchStepContext(e *Engine, r *twilio.Request) (any, error) {
	st, err := e.Step(r.Path("FlowSid"), r.Path("ExecutionSid"), r.Path("StepSid"))
	if err != nil {
		return nil, err
	}
	flowSID, exSID := r.Path("FlowSid"), r.Path("ExecutionSid")
	return stepContextView{AccountSID: e.env.AccountSID, Context: st.Context(), ExecutionSID: exSID, FlowSID: flowSID,
		StepSID: st.SID, URL: r.URL(fmt.Sprintf("/v2/Flows/%s/Executions/%s/Steps/%s/Context", flowSID, exSID, st.SID))}, nil
}
