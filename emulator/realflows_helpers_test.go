package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
)

// realFlowsDir finds the third-party flow exports (../shared/real-flows, a
// sibling of the module root) or FLEXEMU_REAL_FLOWS; "" when absent.
func realFlowsDir() string {
	if d := os.Getenv("FLEXEMU_REAL_FLOWS"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "real-flows")
		if st, err := os.Stat(filepath.Join(cand, "SOURCES.md")); err == nil && !st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// flowMock answers every HTTP widget and Function of the real flows on
// 127.0.0.1, with what leads each flow to Send to Flex.
type flowMock struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // "METHOD path"
}

func newFlowMock(t *testing.T) *flowMock {
	m := &flowMock{}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *flowMock) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	m.mu.Lock()
	m.hits = append(m.hits, r.Method+" "+r.URL.Path)
	m.mu.Unlock()
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/getProfileFlagsForIdentifier"):
		reply(map[string]any{"flags": []string{}})
	case strings.HasSuffix(p, "/operatingHours"):
		reply(map[string]any{"status": "open", "message": "open"})
	case strings.HasPrefix(p, "/ext/eliminarcaracteres-4423.twil.io/"):
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "15558675310")
	case strings.HasPrefix(p, "/ext/getcontacthubspot-1498.twil.io/"):
		reply(map[string]any{"contacts": []any{map[string]any{"vid": 1201, "canonical-vid": 1201,
			"properties": map[string]any{"firstname": map[string]any{"value": "Ana"}, "lastname": map[string]any{"value": "Ruiz"}}}}})
	case p == "/ext/flex-api.twilio.com/v1/Configuration":
		reply(map[string]any{"attributes": map[string]any{"system_down": false}})
	case p == "/slack":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	default: // lambda channel capture, co-assets waitFiveSeconds, serverless
		reply(map[string]any{"ok": true})
	}
}

func (m *flowMock) Hits() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.hits...)
}

// flowAPI is the REST side of one emulator the real flows run on.
type flowAPI struct {
	t    *testing.T
	emu  *emulator.Emulator
	sid  string
	tok  string
	ws   string // default workspace
	wf   string // its "Assign to Anyone" workflow
	chat string // its chat task channel
}

func newFlowAPI(t *testing.T, emu *emulator.Emulator) *flowAPI {
	info := emu.Info(emu.URL())
	a := &flowAPI{t: t, emu: emu, sid: info.AccountSID, tok: info.AuthToken}
	_, wss := a.call(http.MethodGet, "/taskrouter/v1/Workspaces", nil, 200)
	list := wss["workspaces"].([]any)
	if len(list) == 0 {
		t.Fatal("no TaskRouter workspace after reset")
	}
	a.ws = list[0].(map[string]any)["sid"].(string)
	_, wfs := a.call(http.MethodGet, "/taskrouter/v1/Workspaces/"+a.ws+"/Workflows?FriendlyName="+url.QueryEscape("Assign to Anyone"), nil, 200)
	for _, w := range wfs["workflows"].([]any) {
		if wm := w.(map[string]any); wm["friendly_name"] == "Assign to Anyone" {
			a.wf = wm["sid"].(string)
		}
	}
	_, tcs := a.call(http.MethodGet, "/taskrouter/v1/Workspaces/"+a.ws+"/TaskChannels", nil, 200)
	for _, c := range tcs["channels"].([]any) {
		if cm := c.(map[string]any); cm["unique_name"] == "chat" {
			a.chat = cm["sid"].(string)
		}
	}
	if a.wf == "" || a.chat == "" {
		t.Fatalf("default workspace %s lacks the Assign to Anyone workflow (%q) or the chat channel (%q)", a.ws, a.wf, a.chat)
	}
	return a
}

// call makes a REST call to the emulator and checks its status.
func (a *flowAPI) call(method, path string, body any, want int) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case url.Values:
		r, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case nil:
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, a.emu.URL()+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.SetBasicAuth(a.sid, a.tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	if want != 0 && resp.StatusCode != want {
		if len(raw) > 1500 {
			raw = append(raw[:1500:1500], "…"...)
		}
		a.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	return resp.StatusCode, m
}

// createFlow publishes a definition through the Flows API.
func (a *flowAPI) createFlow(name, def string) string {
	a.t.Helper()
	_, f := a.call(http.MethodPost, "/studio/v2/Flows", url.Values{"FriendlyName": {name}, "Status": {"published"},
		"Definition": {def}, "CommitMessage": {"conformance: " + name}}, http.StatusCreated)
	if f["valid"] != true {
		a.t.Fatalf("flow %s is not valid: errors %v", name, f["errors"])
	}
	return f["sid"].(string)
}

// bindAddress attaches a flow to a Conversations address.
func (a *flowAPI) bindAddress(typ, address, flowSID string) {
	a.t.Helper()
	a.call(http.MethodPost, "/conversations/v1/Configuration/Addresses", url.Values{"Type": {typ}, "Address": {address},
		"FriendlyName": {"conformance " + address}, "AutoCreation.Enabled": {"true"}, "AutoCreation.Type": {"studio"},
		"AutoCreation.StudioFlowSid": {flowSID}}, http.StatusCreated)
}

// createContent declares a content template through the Content API.
func (a *flowAPI) createContent(name string) string {
	a.t.Helper()
	_, c := a.call(http.MethodPost, "/content/v1/Content", map[string]any{"friendly_name": name, "language": "es",
		"variables": map[string]string{}, "types": map[string]any{"twilio/text": map[string]string{"body": "[" + name + "]"}}},
		http.StatusCreated)
	return c["sid"].(string)
}

// step is one Studio step as the Steps API lists it.
type step struct{ Name, From, To string }

func (a *flowAPI) execution(flowSID string) (sid, status string) {
	a.t.Helper()
	_, m := a.call(http.MethodGet, "/studio/v2/Flows/"+flowSID+"/Executions", nil, 200)
	ex := m["executions"].([]any)
	if len(ex) == 0 {
		return "", ""
	}
	e := ex[0].(map[string]any)
	return e["sid"].(string), e["status"].(string)
}

func (a *flowAPI) steps(flowSID, exSID string) []step {
	a.t.Helper()
	_, m := a.call(http.MethodGet, "/studio/v2/Flows/"+flowSID+"/Executions/"+exSID+"/Steps?PageSize=1000", nil, 200)
	var out []step
	for _, s := range m["steps"].([]any) {
		sm := s.(map[string]any)
		name, _ := sm["name"].(string)
		from, _ := sm["transitioned_from"].(string)
		to, _ := sm["transitioned_to"].(string)
		out = append(out, step{name, from, to})
	}
	return out
}

// paths are the widgets an execution went through, in order: top is the
// flow's own, sub the path through each run-subflow widget's subflow
// (from its Trigger), whose steps the Steps API lists between the step
// entering the run-subflow widget and the one leaving it.
func paths(steps []step, subflowWidget func(string) bool) (top []string, sub map[string][]string) {
	sub = map[string][]string{}
	if len(steps) == 0 {
		return nil, sub
	}
	top = []string{steps[0].From}
	running := ""
	for _, s := range steps {
		if running != "" && s.From != running {
			if len(sub[running]) == 0 {
				sub[running] = append(sub[running], s.From)
			}
			sub[running] = append(sub[running], s.To)
			continue
		}
		running = ""
		top = append(top, s.To)
		if subflowWidget(s.To) {
			running = s.To
		}
	}
	return top, sub
}

// waitFor polls the flow's execution until its own path reaches widget.
func (a *flowAPI) waitFor(flowSID, widget string, subflowWidget func(string) bool, max time.Duration) ([]string, map[string][]string, bool) {
	a.t.Helper()
	deadline := time.Now().Add(max)
	var p []string
	var sub map[string][]string
	for {
		a.emu.Account().Settle(context.Background(), 200*time.Millisecond)
		if ex, _ := a.execution(flowSID); ex != "" {
			p, sub = paths(a.steps(flowSID, ex), subflowWidget)
			for _, w := range p {
				if w == widget {
					return p, sub, true
				}
			}
		}
		if time.Now().After(deadline) {
			return p, sub, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tasks lists the default workspace's tasks with their attributes decoded.
func (a *flowAPI) tasks() []map[string]any {
	a.t.Helper()
	_, m := a.call(http.MethodGet, "/taskrouter/v1/Workspaces/"+a.ws+"/Tasks?PageSize=100", nil, 200)
	var out []map[string]any
	for _, t := range m["tasks"].([]any) {
		tm := t.(map[string]any)
		var attrs map[string]any
		if err := json.Unmarshal([]byte(tm["attributes"].(string)), &attrs); err != nil {
			a.t.Fatalf("task %s attributes %q are not JSON: %v", tm["sid"], tm["attributes"], err)
		}
		tm["attributes"] = attrs
		out = append(out, tm)
	}
	return out
}

// --- placeholders ------------------------------------------------------------

var tfPlaceholder = regexp.MustCompile(`\$\{\s*([A-Za-z0-9_.]+)\s*\}`)

// stripJSONEncode removes a Terraform template's `${ jsonencode(` … `) }`.
func stripJSONEncode(t *testing.T, text string) string {
	t.Helper()
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "${") {
		return text
	}
	inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(text, "${"), "}"))
	if !strings.HasPrefix(inner, "jsonencode(") || !strings.HasSuffix(inner, ")") {
		t.Fatalf("template is wrapped in ${…} but not in jsonencode(…)")
	}
	return strings.TrimSpace(inner[len("jsonencode(") : len(inner)-1])
}

// fakeSID is a stable fake SID for a placeholder name.
func fakeSID(prefix, name string) string {
	h := uint64(1469598103934665603)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return fmt.Sprintf("%s%016x%016x", prefix, h, h^0x9e3779b97f4a7c15)
}

// filler fills a flow's placeholders as SOURCES.md describes.
type filler struct {
	mock     string            // the mock server's URL
	api      *flowAPI          // workflow and chat channel
	values   map[string]string // explicit values
	content  map[string]string // content_sid placeholder → HX SID
	attrsTpl string            // text of ${channel_attributes.default}
}

func (f *filler) value(t *testing.T, key string) string {
	if v, ok := f.values[key]; ok {
		return v
	}
	if v, ok := f.content[key]; ok {
		return v
	}
	last := key[strings.LastIndexByte(key, '.')+1:]
	switch {
	case strings.HasPrefix(key, "workflow_sids.") || strings.HasPrefix(key, "WORKFLOW_SID"):
		return f.api.wf
	case strings.HasPrefix(key, "task_channel_sids.") || key == "CHAT_CHANNEL_SID":
		return f.api.chat
	case key == "channel_attributes.default":
		return f.attrsTpl
	case key == "lambda_twilio_account_scoped_url" || key == "get_profile_flags_for_identifier_base_url":
		return f.mock + "/lambda"
	case key == "webhook_url_studio_errors":
		return f.mock + "/slack"
	case key == "serverless_url":
		return f.mock + "/serverless"
	case strings.HasSuffix(key, "co_assets_url"):
		return f.mock + "/co-assets"
	case strings.HasSuffix(last, "recording_url"):
		return f.mock + "/co-assets/recording.mp3"
	case strings.HasSuffix(last, "service_sid"):
		return fakeSID("ZS", key)
	case strings.HasSuffix(last, "environment_sid"):
		return fakeSID("ZE", key)
	case strings.HasSuffix(last, "function_sid"):
		return fakeSID("ZH", key)
	case strings.HasSuffix(last, "_sid"):
		t.Fatalf("no value for SID placeholder ${%s}", key)
	}
	return "[" + key + "]" // message texts
}

// fillPlaceholders replaces every ${name} (inside JSON strings) with its
// JSON-escaped value.
func (f *filler) fillPlaceholders(t *testing.T, text string) string {
	return tfPlaceholder.ReplaceAllStringFunc(text, func(m string) string {
		v := f.value(t, tfPlaceholder.FindStringSubmatch(m)[1])
		q := jsonString(v)
		return q[1 : len(q)-1]
	})
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSpace(b.String())
}

var (
	hardWorkflow = regexp.MustCompile(`\bWW[0-9a-f]{32}\b`)
	hardChannel  = regexp.MustCompile(`\bTC[0-9a-f]{32}\b`)
)

// definition reads a flow and fills it: placeholders, hard-coded workflow
// and task channel SIDs, and every HTTP widget URL not on the mock.
func (f *filler) definition(t *testing.T, dir, file string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if strings.HasSuffix(file, ".tftpl") {
		text = stripJSONEncode(t, text)
	}
	text = f.fillPlaceholders(t, text)
	text = hardWorkflow.ReplaceAllString(text, f.api.wf)
	text = hardChannel.ReplaceAllString(text, f.api.chat)
	var doc struct {
		States []struct {
			Properties map[string]any `json:"properties"`
		} `json:"states"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%s is not JSON once filled: %v", file, err)
	}
	for _, st := range doc.States {
		u, _ := st.Properties["url"].(string)
		if u == "" || strings.HasPrefix(u, f.mock+"/") {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			t.Fatalf("%s: widget url %q is not absolute", file, u)
		}
		local := f.mock + "/ext/" + pu.Host + pu.EscapedPath()
		if pu.RawQuery != "" {
			local += "?" + pu.RawQuery
		}
		text = strings.ReplaceAll(text, jsonString(u), jsonString(local))
	}
	return text
}

// contentSIDKeys lists the placeholders a flow uses as content_sid.
func contentSIDKeys(t *testing.T, dir, file string) []string {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"content_sid"\s*:\s*"\$\{\s*([A-Za-z0-9_.]+)\s*\}"`)
	seen := map[string]bool{}
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}
