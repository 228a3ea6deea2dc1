package steps

// The flow-author steps' machinery (flow_author_steps.go): the widget mock
// that answers make-http-request and run-function widgets, deploying a flow
// file, and reading execution context values.

import (
	"encoding/json"
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

	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// flowAuthor is the flow-author steps' state, owned by World: it outlives
// the emulator restarts of "the emulator is running…", so widget answers
// declared before one still hold.
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

func newFlowAuthor(featureDir string) *flowAuthor {
	return &flowAuthor{featureDir: featureDir, answers: map[string]widgetAnswer{},
		calls: map[string][]WidgetCall{}, placeholders: map[string]string{}, flows: map[string]string{}}
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

// declare sets how the mock answers widget name, starting the mock.
func (fa *flowAuthor) declare(name string, a widgetAnswer) {
	fa.mockURL()
	fa.mu.Lock()
	fa.answers[name] = a
	fa.mu.Unlock()
}

// calledWidgets names the widgets that called the mock, sorted.
func (fa *flowAuthor) calledWidgets() []string {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	var called []string
	for n := range fa.calls {
		called = append(called, n)
	}
	sort.Strings(called)
	return called
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
			account, accountErr = w.accountPlaceholders()
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
func (w *World) accountPlaceholders() (map[string]string, error) {
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
func (w *World) routeAddressToFlow(address, flowSID, flowName string) error {
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
