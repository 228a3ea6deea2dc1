package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator/studio"
	studiov2 "github.com/twilio/twilio-go/rest/studio/v2"
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
var flowAuthorSteps = []stepDef{
	{pattern: `^the flow placeholder "([^"]+)" is "([^"]*)"$`, fn: (*World).flowPlaceholder,
		doc: "fills ${NAME} in flow files deployed after it (wins over the account's own placeholders)"},
	{pattern: `^the flow "([^"]+)" handles "([^"]+)"$`, fn: (*World).deployFlow,
		doc: "creates a published flow from the file (relative to the feature file, the working directory or the module root; a Console export or a Flow resource) and routes the address to it (auto-creation type studio)"},
	{pattern: `^the (?:HTTP|Function|function) widget "([^"]+)" answers (\d{3}) with JSON:$`, fn: (*World).widgetAnswersJSON,
		doc: "the widget mock answers that make-http-request or run-function widget with that status and the docstring's JSON"},
	{pattern: `^the (?:HTTP|Function|function) widget "([^"]+)" answers (\d{3})$`, fn: (*World).widgetAnswersStatus,
		doc: "the widget mock answers that widget with that status and no body"},
	{pattern: `^the Studio execution should pass through ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)$`, fn: (*World).executionPassesThrough,
		doc: "the latest execution went through these widgets in this order (others may lie between)"},
	{pattern: `^the Studio execution should have taken the path ((?:"[^"]+"(?:,\s*|\s+and\s+)?)+)$`, fn: (*World).executionTookPath,
		doc: "the latest execution went through exactly these widgets"},
	{pattern: `^the Studio execution should be "(active|ended)"$`, fn: (*World).executionStatus,
		doc: "the latest execution's status"},
	{pattern: `^the widget "([^"]+)" should have output "([^"]+)" equal to "([^"]*)"$`, fn: (*World).widgetOutput,
		doc: "widgets.NAME.<dotted path> in the latest execution's context (numbers as 200, objects as JSON)"},
	{pattern: `^the flow variable "([^"]+)" should be "([^"]*)"$`, fn: (*World).flowVariable,
		doc: "flow.variables.NAME in the latest execution's context"},
	{pattern: `^the customer should have received "([^"]*)" from the flow$`, fn: (*World).customerReceivedFromFlow,
		doc: "the flow posted that message in the conversation (a widget's outbound.Sid, or authored system or by the Twilio-side address)"},
	{pattern: `^the (?:HTTP|Function|function) widget "([^"]+)" should have been called(?: with "([^"]*)")?$`, fn: (*World).widgetCalled,
		doc: "the widget called the mock; with \"…\": a substring of a call's body or query, or a key=value parameter (JSON bodies flattened to dotted keys)"},
	{pattern: `^the (?:HTTP|Function|function) widget "([^"]+)" should have been called with:$`, fn: (*World).widgetCalledWithDoc,
		doc: "a call's JSON body (or parameters) holds the docstring's JSON object; other docstrings as with \"…\""},
	{pattern: `^the (?:HTTP|Function|function) widget "([^"]+)" should not have been called$`, fn: (*World).widgetNotCalled,
		doc: "the widget never called the mock"},
}

func (w *World) flowPlaceholder(ctx context.Context, name, value string) error {
	w.flow.placeholders[name] = value
	return nil
}

func (w *World) widgetAnswersJSON(ctx context.Context, name string, status int, doc *godog.DocString) error {
	body := strings.TrimSpace(doc.Content)
	if !json.Valid([]byte(body)) {
		return fmt.Errorf("the answer for widget %q is not valid JSON:\n%s", name, body)
	}
	w.flow.declare(name, widgetAnswer{status: status, body: body, contentType: "application/json"})
	return nil
}

func (w *World) widgetAnswersStatus(ctx context.Context, name string, status int) error {
	w.flow.declare(name, widgetAnswer{status: status})
	return nil
}

func (w *World) executionPassesThrough(ctx context.Context, list string) error {
	return w.executionPath(ctx, quotedItems(list), false)
}

func (w *World) executionTookPath(ctx context.Context, list string) error {
	return w.executionPath(ctx, quotedItems(list), true)
}

func (w *World) executionStatus(ctx context.Context, status string) error {
	ex, err := w.latestExecution(ctx)
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
}

func (w *World) widgetOutput(ctx context.Context, widget, key, want string) error {
	ectx, ex, err := w.executionContext(ctx)
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
}

func (w *World) flowVariable(ctx context.Context, name, want string) error {
	ectx, ex, err := w.executionContext(ctx)
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
}

func (w *World) widgetCalled(ctx context.Context, name, want string) error {
	return w.widgetCalledWith(ctx, name, want, false)
}

func (w *World) widgetCalledWithDoc(ctx context.Context, name string, doc *godog.DocString) error {
	return w.widgetCalledWith(ctx, name, strings.TrimSpace(doc.Content), true)
}

func (w *World) widgetNotCalled(ctx context.Context, name string) error {
	if err := w.settleFlow(ctx); err != nil {
		return err
	}
	if calls := w.flow.widgetCalls(name); len(calls) > 0 {
		return fmt.Errorf("widget %q was called %d time(s); first: %s", name, len(calls), calls[0])
	}
	return nil
}

// settleFlow waits for the emulator's webhooks (HTTP widgets included) and
// their reactions, then adopts the task the flow created in the scenario's
// conversation after the last customer message's trace was returned: a
// flow that waited for an HTTP widget's answer goes on outside that trace
// (the reaction to the answer does not carry the message's cause), so
// customerSends did not see its Send to Flex. Task steps that follow any
// flow-author Then step see that task.
func (w *World) settleFlow(ctx context.Context) error {
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
		if e.Product == "flex" && e.Type == eventtype.InteractionCreated && e.Refs["conversation_sid"] == w.conversationSID && e.Refs["task_sid"] != "" {
			w.taskSID = e.Refs["task_sid"]
		}
	}
	return nil
}

// deployFlow creates a published flow from the file at path and routes
// address to it, replacing the address's configuration if it has one.
func (w *World) deployFlow(ctx context.Context, path, address string) error {
	fa := w.flow
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
	if err := w.routeAddressToFlow(address, *flow.Sid, name); err != nil {
		return err
	}
	fa.flows[address] = *flow.Sid
	fa.lastFlow = *flow.Sid
	return nil
}

type executionRef struct{ flowSID, sid string }

// latestExecution is the newest execution started in the scenario's
// conversation (the last customer message's), or, without one, the newest
// execution of the flow the scenario deployed last.
func (w *World) latestExecution(ctx context.Context) (executionRef, error) {
	if err := w.settleFlow(ctx); err != nil {
		return executionRef{}, err
	}
	fa := w.flow
	if w.conversationSID != "" {
		entries, err := w.Control.Timeline(ctx, 0)
		if err != nil {
			return executionRef{}, err
		}
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if e.Product == "studio" && e.Type == eventtype.ExecutionCreated && e.Refs["conversation_sid"] == w.conversationSID {
				return executionRef{flowSID: e.Refs["flow_sid"], sid: e.SID}, nil
			}
		}
	}
	if fa.lastFlow != "" {
		exs, err := w.Twilio.StudioV2.ListExecution(fa.lastFlow, &studiov2.ListExecutionParams{})
		if err != nil {
			return executionRef{}, err
		}
		if len(exs) > 0 {
			return executionRef{flowSID: fa.lastFlow, sid: str(exs[0].Sid)}, nil
		}
		return executionRef{}, fmt.Errorf("flow %s has no execution (conversation %q)", fa.lastFlow, w.conversationSID)
	}
	return executionRef{}, fmt.Errorf("no Studio execution in conversation %q and no flow deployed in this scenario", w.conversationSID)
}

// executionSteps returns an execution's steps oldest first.
func (w *World) executionSteps(ex executionRef) ([]studiov2.StudioV2ExecutionStep, error) {
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
func (w *World) executionPath(ctx context.Context, want []string, exact bool) error {
	ex, err := w.latestExecution(ctx)
	if err != nil {
		return err
	}
	steps, err := w.executionSteps(ex)
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

func (w *World) executionContext(ctx context.Context) (any, executionRef, error) {
	ex, err := w.latestExecution(ctx)
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
func (w *World) customerReceivedFromFlow(ctx context.Context, body string) error {
	if err := w.settleFlow(ctx); err != nil {
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
	if ectx, _, err := w.executionContext(ctx); err == nil {
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
func (w *World) widgetCalledWith(ctx context.Context, name, want string, doc bool) error {
	if err := w.settleFlow(ctx); err != nil {
		return err
	}
	calls := w.flow.widgetCalls(name)
	if len(calls) == 0 {
		return fmt.Errorf("widget %q was never called (widgets that called the mock: %s)", name, quoteList(w.flow.calledWidgets()))
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
