package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator/studio"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	studiov2 "github.com/twilio/twilio-go/rest/studio/v2"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Steps for teams that own Studio flows: deploy an exported flow JSON onto
// an address, drive it as a customer, and assert on the path its execution
// took, its widgets' outputs, its flow variables and what it sent; answer
// its make-http-request and run-function widgets from the feature itself.
//
// Deploying rewrites the url of every make-http-request and run-function
// widget to the scenario's widget mock (an httptest server on 127.0.0.1),
// at /widgets/<widget name> (the original query string is kept). The mock
// answers each widget as declared with `the HTTP widget "NAME" answers …`,
// whether that step comes before or after the deploy, and 404 with a JSON
// error naming the widget when nothing was declared for it (the widget then
// takes its failed/fail transition). It keeps every request it receives.
//
// Placeholders ${NAME} in the flow file are filled before it is parsed:
// WORKFLOW_SID, WORKFLOW_SID_<anything> and workflow_sids.<anything> with
// the account's default workflow ("Assign to Anyone" in the first
// workspace, else that workspace's first workflow); CHAT_CHANNEL_SID and
// task_channel_sids.chat with the "chat" task channel's SID; WORKSPACE_SID
// and ACCOUNT_SID; and any name set with `the flow placeholder "NAME" is
// "VALUE"`. Other ${…} are left as they are.
func registerFlowAuthorSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		fa := &flowAuthor{featureDir: filepath.Dir(s.Uri), answers: map[string]widgetAnswer{},
			calls: map[string][]WidgetCall{}, placeholders: map[string]string{}, flows: map[string]string{}}
		return context.WithValue(ctx, flowAuthorKey{}, fa), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if fa, _ := ctx.Value(flowAuthorKey{}).(*flowAuthor); fa != nil {
			fa.close()
		}
		return ctx, nil
	})

	sc.Step(`^the flow placeholder "([^"]+)" is "([^"]*)"$`, func(ctx context.Context, name, value string) error {
		fa, err := flowAuthorState(ctx)
		if err != nil {
			return err
		}
		fa.placeholders[name] = value
		return nil
	})
	sc.Step(`^the flow "([^"]+)" handles "([^"]+)"$`, deployFlow)
	sc.Step(`^the (?:HTTP|Function|function) widget "([^"]+)" answers (\d{3}) with JSON:$`, func(ctx context.Context, name string, status int, doc *godog.DocString) error {
		body := strings.TrimSpace(doc.Content)
		if !json.Valid([]byte(body)) {
			return fmt.Errorf("the answer for widget %q is not valid JSON:\n%s", name, body)
		}
		return declareAnswer(ctx, name, widgetAnswer{status: status, body: body, contentType: "application/json"})
	})
	sc.Step(`^the (?:HTTP|Function|function) widget "([^"]+)" answers (\d{3})$`, func(ctx context.Context, name string, status int) error {
		return declareAnswer(ctx, name, widgetAnswer{status: status})
	})
	sc.Step(`^the Studio execution should pass through ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)$`, func(ctx context.Context, list string) error {
		return executionPath(ctx, quotedItems(list), false)
	})
	sc.Step(`^the Studio execution should have taken the path ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)$`, func(ctx context.Context, list string) error {
		return executionPath(ctx, quotedItems(list), true)
	})
	sc.Step(`^the Studio execution should be "(active|ended)"$`, func(ctx context.Context, status string) error {
		w, ex, err := latestExecution(ctx)
		if err != nil {
			return err
		}
		got, err := w.Twilio.StudioV2.FetchExecution(ex.flowSID, ex.sid)
		if err != nil {
			return err
		}
		if str(got.Status) != status {
			return fmt.Errorf("execution %s of flow %s is %q, want %q", ex.sid, ex.flowSID, str(got.Status), status)
		}
		return nil
	})
	sc.Step(`^the widget "([^"]+)" should have output "([^"]+)" equal to "([^"]*)"$`, func(ctx context.Context, widget, key, want string) error {
		ectx, ex, err := executionContext(ctx)
		if err != nil {
			return err
		}
		all, _ := ctxLookup(ectx, "widgets")
		m, _ := all.(map[string]any)
		outputs, found := m[widget]
		if !found {
			return fmt.Errorf("widget %q has no outputs in execution %s (widgets with outputs: %s)", widget, ex.sid, ctxKeys(all))
		}
		got, found := ctxLookup(outputs, key)
		if !found {
			return fmt.Errorf("widget %q has no output %q in execution %s; its outputs: %s", widget, key, ex.sid, ctxShow(outputs))
		}
		if ctxShow(got) != want {
			return fmt.Errorf("widget %q output %q is %q, want %q (outputs: %s)", widget, key, ctxShow(got), want, ctxShow(outputs))
		}
		return nil
	})
	sc.Step(`^the flow variable "([^"]+)" should be "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		ectx, ex, err := executionContext(ctx)
		if err != nil {
			return err
		}
		vars, _ := ctxLookup(ectx, "flow.variables")
		got, found := ctxLookup(vars, name)
		if m, ok := vars.(map[string]any); ok {
			if v, direct := m[name]; direct {
				got, found = v, true
			}
		}
		if !found {
			return fmt.Errorf("execution %s has no flow variable %q; flow.variables: %s", ex.sid, name, ctxShow(vars))
		}
		if ctxShow(got) != want {
			return fmt.Errorf("flow variable %q is %q, want %q (flow.variables: %s)", name, ctxShow(got), want, ctxShow(vars))
		}
		return nil
	})
	sc.Step(`^the customer should have received "([^"]*)" from the flow$`, customerReceivedFromFlow)
	sc.Step(`^the (?:HTTP|Function|function) widget "([^"]+)" should have been called(?: with "([^"]*)")?$`, func(ctx context.Context, name, want string) error {
		return widgetCalledWith(ctx, name, want, false)
	})
	sc.Step(`^the (?:HTTP|Function|function) widget "([^"]+)" should have been called with:$`, func(ctx context.Context, name string, doc *godog.DocString) error {
		return widgetCalledWith(ctx, name, strings.TrimSpace(doc.Content), true)
	})
	sc.Step(`^the (?:HTTP|Function|function) widget "([^"]+)" should not have been called$`, func(ctx context.Context, name string) error {
		fa, err := settledFlowAuthor(ctx)
		if err != nil {
			return err
		}
		if calls := fa.widgetCalls(name); len(calls) > 0 {
			return fmt.Errorf("widget %q was called %d time(s); first: %s", name, len(calls), calls[0])
		}
		return nil
	})
}

type flowAuthorKey struct{}

// flowAuthor is the flow-author steps' per-scenario state.
type flowAuthor struct {
	featureDir   string
	placeholders map[string]string
	flows        map[string]string // address → FW… deployed on it
	lastFlow     string

	mu      sync.Mutex
	mock    *httptest.Server
	answers map[string]widgetAnswer
	calls   map[string][]WidgetCall
}

type widgetAnswer struct {
	status            int
	body, contentType string
}

// WidgetCall is one request a make-http-request or run-function widget
// made to the scenario's widget mock.
type WidgetCall struct {
	Method, ContentType, Query, Body string
	// Params are the query and form parameters (GET, form POST, run-function).
	Params url.Values
}

func (c WidgetCall) String() string {
	s := c.Method
	if c.Query != "" {
		s += " ?" + c.Query
	}
	if c.Body != "" {
		s += " " + c.Body
	}
	return s
}

func flowAuthorState(ctx context.Context) (*flowAuthor, error) {
	fa, _ := ctx.Value(flowAuthorKey{}).(*flowAuthor)
	if fa == nil {
		return nil, errors.New("flexemu steps: no flow author state in context; call steps.Register(sc)")
	}
	return fa, nil
}

// settledFlowAuthor waits for the emulator's webhooks (HTTP widgets
// included) to settle and returns the state.
func settledFlowAuthor(ctx context.Context) (*flowAuthor, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, err
	}
	if err := settleFlow(ctx, w); err != nil {
		return nil, err
	}
	return flowAuthorState(ctx)
}

// settleFlow waits for the emulator's webhooks (HTTP widgets included) and
// their reactions, then adopts the task the flow created in the scenario's
// conversation after the last customer message's trace was returned: a
// flow that waited for an HTTP widget's answer goes on outside that trace
// (the reaction to the answer does not carry the message's cause), so
// customerSends did not see its Send to Flex. Task steps that follow any
// flow-author Then step see that task.
func settleFlow(ctx context.Context, w *World) error {
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	if w.conversationSID == "" || w.lastTrace == nil {
		return nil
	}
	var after int64
	for _, e := range w.lastTrace.Entries {
		if e.Seq > after {
			after = e.Seq
		}
	}
	if after == 0 {
		return nil
	}
	entries, err := w.Control.Timeline(ctx, after)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Product == "flex" && e.Type == "interaction.created" && e.Refs["conversation_sid"] == w.conversationSID && e.Refs["task_sid"] != "" {
			w.taskSID = e.Refs["task_sid"]
		}
	}
	return nil
}

func (fa *flowAuthor) close() {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if fa.mock != nil {
		fa.mock.Close()
		fa.mock = nil
	}
}

// mockURL starts the widget mock on first use and returns its base URL.
func (fa *flowAuthor) mockURL() string {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if fa.mock == nil {
		fa.mock = httptest.NewServer(http.HandlerFunc(fa.serve))
	}
	return fa.mock.URL
}

func (fa *flowAuthor) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.EscapedPath(), "/widgets/")
	if ok {
		name, _ = url.PathUnescape(name)
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	call := WidgetCall{Method: r.Method, ContentType: r.Header.Get("Content-Type"), Query: r.URL.RawQuery,
		Body: string(raw), Params: r.URL.Query()}
	if strings.HasPrefix(call.ContentType, "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(raw)); err == nil {
			for k, vs := range form {
				call.Params[k] = append(call.Params[k], vs...)
			}
		}
	}
	fa.mu.Lock()
	fa.calls[name] = append(fa.calls[name], call)
	answer, declared := fa.answers[name]
	fa.mu.Unlock()
	if !ok || !declared {
		answer = widgetAnswer{status: http.StatusNotFound, contentType: "application/json",
			body: fmt.Sprintf(`{"message": %q}`, fmt.Sprintf("flexemu widget mock: no answer declared for widget %q "+
				`(add: Given the HTTP widget "%s" answers 200 with JSON:)`, name, name))}
	}
	if answer.contentType != "" {
		w.Header().Set("Content-Type", answer.contentType)
	}
	w.WriteHeader(answer.status)
	_, _ = io.WriteString(w, answer.body)
}

func (fa *flowAuthor) widgetCalls(name string) []WidgetCall {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	return append([]WidgetCall(nil), fa.calls[name]...)
}

func declareAnswer(ctx context.Context, name string, a widgetAnswer) error {
	fa, err := flowAuthorState(ctx)
	if err != nil {
		return err
	}
	fa.mockURL()
	fa.mu.Lock()
	fa.answers[name] = a
	fa.mu.Unlock()
	return nil
}

// --- deploying ---------------------------------------------------------------

// deployFlow creates a published flow from the file at path and routes
// address to it, replacing the address's configuration if it has one.
func deployFlow(ctx context.Context, path, address string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	fa, err := flowAuthorState(ctx)
	if err != nil {
		return err
	}
	file, err := fa.resolve(path)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text, err := fa.fillPlaceholders(w, string(raw))
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("flow %s is not a JSON object: %w", file, err)
	}
	// A Console export is the definition itself; an API or CLI export is
	// the Flow resource, with the definition inside.
	def, name := doc, ""
	if inner, ok := doc["definition"].(map[string]any); ok && doc["states"] == nil {
		def = inner
		name, _ = doc["friendly_name"].(string)
	}
	if name == "" {
		name, _ = def["description"].(string)
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	fa.rewriteHTTPWidgets(def)

	p := &studiov2.CreateFlowParams{}
	p.SetFriendlyName(name).SetStatus("published").SetDefinition(def).
		SetCommitMessage("deployed by flexemu's flow steps from " + path)
	flow, err := w.Twilio.StudioV2.CreateFlow(p)
	if err != nil {
		left := regexp.MustCompile(`\$\{[^}]*\}`).FindAllString(text, -1)
		if len(left) > 0 {
			return fmt.Errorf("creating flow %s: %w (placeholders left unfilled: %s; set them with `the flow placeholder \"NAME\" is \"VALUE\"`)",
				path, err, strings.Join(dedupeStrings(left), ", "))
		}
		return fmt.Errorf("creating flow %s: %w", path, err)
	}
	if err := routeAddressToFlow(w, address, *flow.Sid, name); err != nil {
		return err
	}
	fa.flows[address] = *flow.Sid
	fa.lastFlow = *flow.Sid
	return nil
}

// resolve finds path relative to the feature file's folder, the working
// directory or the module root.
func (fa *flowAuthor) resolve(path string) (string, error) {
	if filepath.IsAbs(path) {
		return path, nil
	}
	tried := []string{filepath.Join(fa.featureDir, path), path}
	if root := moduleRoot(); root != "" {
		tried = append(tried, filepath.Join(root, path))
	}
	tried = dedupeStrings(tried)
	for _, p := range tried {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("flow file %q not found (tried %s)", path, strings.Join(tried, ", "))
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

var placeholderRE = regexp.MustCompile(`\$\{\s*([A-Za-z0-9_.\-]+)\s*\}`)

// fillPlaceholders replaces the ${NAME}s it knows (JSON-escaped, as they
// stand inside JSON strings) and leaves the others.
func (fa *flowAuthor) fillPlaceholders(w *World, text string) (string, error) {
	if !placeholderRE.MatchString(text) {
		return text, nil
	}
	var account map[string]string
	var accountErr error
	var loaded bool
	known := func(name string) (string, bool) {
		if v, ok := fa.placeholders[name]; ok {
			return v, true
		}
		if !loaded {
			account, accountErr = accountPlaceholders(w)
			loaded = true
		}
		switch {
		case name == "WORKFLOW_SID" || strings.HasPrefix(name, "WORKFLOW_SID_") || strings.HasPrefix(name, "workflow_sids."):
			name = "WORKFLOW_SID"
		case name == "task_channel_sids.chat":
			name = "CHAT_CHANNEL_SID"
		}
		v, ok := account[name]
		return v, ok && v != ""
	}
	out := placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		v, ok := known(placeholderRE.FindStringSubmatch(m)[1])
		if !ok {
			return m
		}
		b, _ := json.Marshal(v)
		return string(b[1 : len(b)-1])
	})
	if accountErr != nil {
		return "", fmt.Errorf("reading the account's workflow and task channel for placeholders: %w", accountErr)
	}
	return out, nil
}

// accountPlaceholders reads the account's default workflow and chat task
// channel from TaskRouter.
func accountPlaceholders(w *World) (map[string]string, error) {
	out := map[string]string{"ACCOUNT_SID": w.Info.AccountSID}
	ws := ""
	if w.Info.Workspace != nil {
		ws = w.Info.Workspace.SID
	}
	if ws == "" {
		spaces, err := w.Twilio.TaskrouterV1.ListWorkspace(nil)
		if err != nil {
			return nil, err
		}
		if len(spaces) == 0 {
			return out, nil
		}
		ws = str(spaces[0].Sid)
	}
	out["WORKSPACE_SID"] = ws
	flows, err := w.Twilio.TaskrouterV1.ListWorkflow(ws, &taskrouter.ListWorkflowParams{})
	if err != nil {
		return nil, err
	}
	for i, f := range flows {
		if i == 0 || str(f.FriendlyName) == "Assign to Anyone" {
			out["WORKFLOW_SID"] = str(f.Sid)
		}
	}
	channels, err := w.Twilio.TaskrouterV1.ListTaskChannel(ws, nil)
	if err != nil {
		return nil, err
	}
	for _, c := range channels {
		if str(c.UniqueName) == "chat" {
			out["CHAT_CHANNEL_SID"] = str(c.Sid)
		}
	}
	return out, nil
}

// rewriteHTTPWidgets points every make-http-request and run-function
// widget at the widget mock, keeping the original query string.
func (fa *flowAuthor) rewriteHTTPWidgets(def map[string]any) {
	states, _ := def["states"].([]any)
	for _, s := range states {
		st, _ := s.(map[string]any)
		typ, _ := st["type"].(string)
		name, _ := st["name"].(string)
		if typ != "make-http-request" && typ != "run-function" {
			continue
		}
		props, _ := st["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			st["properties"] = props
		}
		target := fa.mockURL() + "/widgets/" + url.PathEscape(name)
		if old, _ := props["url"].(string); strings.Contains(old, "?") {
			target += old[strings.Index(old, "?"):]
		}
		props["url"] = target
	}
}

// routeAddressToFlow replaces address's configuration (or creates one) with
// auto-creation of type studio to flowSID.
func routeAddressToFlow(w *World, address, flowSID, flowName string) error {
	addrs, err := w.Twilio.ConversationsV1.ListConfigurationAddress(nil)
	if err != nil {
		return err
	}
	typ := ""
	for _, a := range addrs {
		if str(a.Address) != address {
			continue
		}
		typ = str(a.Type)
		if err := w.Twilio.ConversationsV1.DeleteConfigurationAddress(str(a.Sid)); err != nil {
			return fmt.Errorf("replacing the address configuration of %s: %w", address, err)
		}
	}
	if typ == "" {
		if typ, err = addressType(address); err != nil {
			return err
		}
	}
	p := &conversations.CreateConfigurationAddressParams{}
	p.SetType(typ).SetAddress(address).SetFriendlyName(flowName).
		SetAutoCreationEnabled(true).SetAutoCreationType("studio").SetAutoCreationStudioFlowSid(flowSID)
	if _, err := w.Twilio.ConversationsV1.CreateConfigurationAddress(p); err != nil {
		return fmt.Errorf("routing %s to flow %s: %w", address, flowSID, err)
	}
	return nil
}

// addressType is the address configuration type of an address.
func addressType(address string) (string, error) {
	if prefix, _, ok := strings.Cut(address, ":"); ok {
		switch prefix {
		case "whatsapp", "messenger", "gbm", "rcs", "apple":
			return prefix, nil
		}
	}
	if strings.Contains(address, "@") {
		return "email", nil
	}
	if regexp.MustCompile(`^\+[0-9]{6,15}$`).MatchString(address) {
		return "sms", nil
	}
	return "", fmt.Errorf("cannot tell the channel of address %q (use +E.164, whatsapp:+…, messenger:…, an email address…)", address)
}

// --- executions --------------------------------------------------------------

type executionRef struct{ flowSID, sid string }

// latestExecution is the newest execution started in the scenario's
// conversation (the last customer message's), or, without one, the newest
// execution of the flow the scenario deployed last.
func latestExecution(ctx context.Context) (*World, executionRef, error) {
	fa, err := settledFlowAuthor(ctx)
	if err != nil {
		return nil, executionRef{}, err
	}
	w, _ := world(ctx)
	if w.conversationSID != "" {
		entries, err := w.Control.Timeline(ctx, 0)
		if err != nil {
			return nil, executionRef{}, err
		}
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if e.Product == "studio" && e.Type == "execution.created" && e.Refs["conversation_sid"] == w.conversationSID {
				return w, executionRef{flowSID: e.Refs["flow_sid"], sid: e.SID}, nil
			}
		}
	}
	if fa.lastFlow != "" {
		exs, err := w.Twilio.StudioV2.ListExecution(fa.lastFlow, &studiov2.ListExecutionParams{})
		if err != nil {
			return nil, executionRef{}, err
		}
		if len(exs) > 0 {
			return w, executionRef{flowSID: fa.lastFlow, sid: str(exs[0].Sid)}, nil
		}
		return nil, executionRef{}, fmt.Errorf("flow %s has no execution (conversation %q)", fa.lastFlow, w.conversationSID)
	}
	return nil, executionRef{}, fmt.Errorf("no Studio execution in conversation %q and no flow deployed in this scenario", w.conversationSID)
}

// executionSteps returns an execution's steps oldest first.
func executionSteps(w *World, ex executionRef) ([]studiov2.StudioV2ExecutionStep, error) {
	steps, err := w.Twilio.StudioV2.ListExecutionStep(ex.flowSID, ex.sid, &studiov2.ListExecutionStepParams{})
	if err != nil {
		return nil, err
	}
	// Twilio lists steps newest first; the first step is the trigger's.
	if n := len(steps); n > 1 && str(steps[0].Type) != "trigger" && str(steps[n-1].Type) == "trigger" {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			steps[i], steps[j] = steps[j], steps[i]
		}
	}
	return steps, nil
}

// executionPath checks the widgets the latest execution went through:
// want in order (others may lie between) or, exact, all of them.
func executionPath(ctx context.Context, want []string, exact bool) error {
	w, ex, err := latestExecution(ctx)
	if err != nil {
		return err
	}
	steps, err := executionSteps(w, ex)
	if err != nil {
		return err
	}
	var path []string
	for i, st := range steps {
		if i == 0 {
			path = append(path, str(st.TransitionedFrom))
		}
		if to := str(st.TransitionedTo); to != studio.Ended {
			path = append(path, to)
		}
	}
	status := ""
	if got, err := w.Twilio.StudioV2.FetchExecution(ex.flowSID, ex.sid); err == nil {
		status = str(got.Status)
	}
	describe := func() string {
		return fmt.Sprintf("execution %s of flow %s (%s) went through %s", ex.sid, ex.flowSID, status, quoteList(path))
	}
	if exact {
		if strings.Join(path, "\x00") != strings.Join(want, "\x00") {
			return fmt.Errorf("%s, want exactly %s", describe(), quoteList(want))
		}
		return nil
	}
	i := 0
	for _, p := range path {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	if i < len(want) {
		if i == 0 {
			return fmt.Errorf("%s: never %q", describe(), want[i])
		}
		return fmt.Errorf("%s: no %q after %q", describe(), want[i], want[i-1])
	}
	return nil
}

func executionContext(ctx context.Context) (any, executionRef, error) {
	w, ex, err := latestExecution(ctx)
	if err != nil {
		return nil, ex, err
	}
	c, err := w.Twilio.StudioV2.FetchExecutionContext(ex.flowSID, ex.sid)
	if err != nil {
		return nil, ex, err
	}
	if c.Context == nil {
		return map[string]any{}, ex, nil
	}
	return *c.Context, ex, nil
}

// customerReceivedFromFlow checks for a message the flow posted in the
// scenario's conversation: one a widget of its latest execution reports as
// sent (widgets.*.outbound.Sid), or one authored as Studio authors them,
// "system" (a send widget with no from) or the Twilio-side address (from
// {{flow.channel.address}}).
func customerReceivedFromFlow(ctx context.Context, body string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	if err := settleFlow(ctx, w); err != nil {
		return err
	}
	if w.conversationSID == "" {
		return errors.New("no conversation yet: a customer has not sent anything")
	}
	flowAuthors := map[string]bool{studio.MessageAuthor: true}
	parts, err := w.Twilio.ConversationsV1.ListConversationParticipant(w.conversationSID, nil)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.MessagingBinding == nil {
			continue
		}
		if b, ok := (*p.MessagingBinding).(map[string]any); ok {
			if proxy, _ := b["proxy_address"].(string); proxy != "" {
				flowAuthors[proxy] = true
			}
		}
	}
	sentByWidgets := map[string]bool{}
	if ectx, _, err := executionContext(ctx); err == nil {
		all, _ := ctxLookup(ectx, "widgets")
		widgets, _ := all.(map[string]any)
		for _, out := range widgets {
			if sid, ok := ctxLookup(out, "outbound.Sid"); ok {
				sentByWidgets[ctxShow(sid)] = true
			}
		}
	}
	msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
	if err != nil {
		return err
	}
	var fromFlow, others []string
	for _, m := range msgs {
		if !sentByWidgets[str(m.Sid)] && !flowAuthors[str(m.Author)] {
			others = append(others, str(m.Author)+": "+strconv.Quote(str(m.Body)))
			continue
		}
		if str(m.Body) == body {
			return nil
		}
		fromFlow = append(fromFlow, str(m.Body))
	}
	return fmt.Errorf("the flow did not send %q in conversation %s; it sent %s (other messages: %s)",
		body, w.conversationSID, quoteList(fromFlow), strings.Join(others, "; "))
}

// widgetCalledWith checks a widget's requests to the mock: want empty
// means any call; doc with a JSON object means a request whose JSON body
// (or parameters) hold those values; otherwise a request whose body, query
// or any "key=value" parameter (JSON bodies flattened with dotted keys)
// contains want.
func widgetCalledWith(ctx context.Context, name, want string, doc bool) error {
	fa, err := settledFlowAuthor(ctx)
	if err != nil {
		return err
	}
	calls := fa.widgetCalls(name)
	if len(calls) == 0 {
		fa.mu.Lock()
		var called []string
		for n := range fa.calls {
			called = append(called, n)
		}
		fa.mu.Unlock()
		sort.Strings(called)
		return fmt.Errorf("widget %q was never called (widgets that called the mock: %s)", name, quoteList(called))
	}
	if want == "" {
		return nil
	}
	var wantObj map[string]any
	if doc && json.Unmarshal([]byte(want), &wantObj) != nil {
		wantObj = nil
	}
	var seen []string
	for _, c := range calls {
		if wantObj != nil {
			if callHolds(c, wantObj) {
				return nil
			}
		} else if callContains(c, want) {
			return nil
		}
		seen = append(seen, c.String())
	}
	return fmt.Errorf("no call of widget %q matches %q; its calls:\n  %s", name, want, strings.Join(seen, "\n  "))
}

func callContains(c WidgetCall, want string) bool {
	texts := []string{c.Body, c.Query}
	if q, err := url.QueryUnescape(c.Query); err == nil {
		texts = append(texts, q)
	}
	for k, vs := range c.Params {
		for _, v := range vs {
			texts = append(texts, k+"="+v)
		}
	}
	var body any
	if json.Unmarshal([]byte(c.Body), &body) == nil {
		flattenJSON("", body, func(k, v string) { texts = append(texts, k+"="+v) })
	}
	for _, t := range texts {
		if strings.Contains(t, want) {
			return true
		}
	}
	return false
}

// callHolds reports whether every key of want has its value in the call's
// JSON body, or, for form and query requests, in its parameters.
func callHolds(c WidgetCall, want map[string]any) bool {
	var body any
	if json.Unmarshal([]byte(c.Body), &body) != nil {
		m := map[string]any{}
		for k, vs := range c.Params {
			m[k] = vs[0]
		}
		body = m
	}
	return jsonSubset(want, body)
}

func jsonSubset(want, got any) bool {
	switch wv := want.(type) {
	case map[string]any:
		gm, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range wv {
			if !jsonSubset(v, gm[k]) {
				return false
			}
		}
		return true
	case []any:
		ga, ok := got.([]any)
		if !ok || len(ga) != len(wv) {
			return false
		}
		for i := range wv {
			if !jsonSubset(wv[i], ga[i]) {
				return false
			}
		}
		return true
	}
	return ctxShow(want) == ctxShow(got)
}

func flattenJSON(prefix string, v any, emit func(k, v string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			flattenJSON(dotJoin(prefix, k), x, emit)
		}
	case []any:
		for i, x := range t {
			flattenJSON(dotJoin(prefix, strconv.Itoa(i)), x, emit)
		}
	default:
		emit(prefix, ctxShow(v))
	}
}

func dotJoin(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// --- values ------------------------------------------------------------------

var indexRE = regexp.MustCompile(`^([^\[]*)((?:\[\d+\])*)$`)

// lookup reads a dotted path ("parsed.contacts[0].vid" or
// "parsed.contacts.0.vid") from decoded JSON.
func ctxLookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		m := indexRE.FindStringSubmatch(part)
		if m == nil {
			m = []string{part, part, ""}
		}
		keys := []string{m[1]}
		for _, idx := range regexp.MustCompile(`\d+`).FindAllString(m[2], -1) {
			keys = append(keys, idx)
		}
		for _, k := range keys {
			if k == "" {
				continue
			}
			switch t := v.(type) {
			case map[string]any:
				x, ok := t[k]
				if !ok {
					return nil, false
				}
				v = x
			case []any:
				i, err := strconv.Atoi(k)
				if err != nil || i < 0 || i >= len(t) {
					return nil, false
				}
				v = t[i]
			default:
				return nil, false
			}
		}
	}
	return v, true
}

// show renders a context value as a step compares it: strings as they
// are, whole numbers without a decimal point, the rest as JSON.
func ctxShow(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func ctxKeys(v any) string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return quoteList(ks)
}

var quotedRE = regexp.MustCompile(`"([^"]+)"`)

func quotedItems(list string) []string {
	var out []string
	for _, m := range quotedRE.FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	return out
}

func quoteList(items []string) string {
	if len(items) == 0 {
		return "nothing"
	}
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func dedupeStrings(items []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range items {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
