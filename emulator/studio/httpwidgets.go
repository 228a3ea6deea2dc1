package studio

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// httpTimeout is how long Studio waits for a make-http-request or
// run-function answer (Twilio documents 10 s for both widgets).
const httpTimeout = 10 * time.Second

// The make-http-request content types Studio offers.
const (
	contentTypeForm = "application/x-www-form-urlencoded;charset=utf-8"
	contentTypeJSON = "application/json;charset=utf-8"
)

// call is a make-http-request or run-function parked until its answer to
// the request sent to url.
type call struct {
	state         *State
	success, fail string // the widget's events
	url           string
}

// runHTTPRequest renders a make-http-request and sends it: GET carries the
// parameters in the query, a form POST in the body, a JSON POST the rendered
// body. The execution parks until the answer (success on 2xx, failed
// otherwise).
func (e *Engine) runHTTPRequest(ex *Execution, st *State) outcome {
	fail := func(why string) outcome {
		e.widgetFailed(ex, st, why)
		return outcome{event: "failed"}
	}
	methodText, err := e.render(ex, prop(st, "method"))
	if err != nil {
		return fail("rendering method: " + err.Error())
	}
	method, err := httpMethod(methodText)
	if err != nil {
		return fail(err.Error())
	}
	target, err := e.renderURL(ex, st)
	if err != nil {
		return fail(err.Error())
	}
	ctText, err := e.render(ex, prop(st, "content_type"))
	if err != nil {
		return fail("rendering content_type: " + err.Error())
	}
	isJSON, err := requestIsJSON(ctText)
	if err != nil {
		return fail(err.Error())
	}
	req := webhook.Request{URL: target, Method: method}
	if isJSON && method == "POST" {
		body, err := e.render(ex, prop(st, "body"))
		if err != nil {
			return fail("rendering body: " + err.Error())
		}
		req.Body, req.ContentType = []byte(body), contentTypeJSON
	} else if req.Params, err = e.renderParameters(ex, st); err != nil {
		return fail(err.Error())
	}
	auth, err := e.render(ex, prop(st, "add_twilio_auth"))
	if err != nil {
		return fail("rendering add_twilio_auth: " + err.Error())
	}
	if b, _ := strconv.ParseBool(strings.TrimSpace(auth)); b {
		req.BasicAuth = &webhook.Credentials{Username: e.env.AccountSID, Password: e.env.AuthToken}
	}
	return e.sendAndPark(ex, st, req, "success", "failed")
}

// runFunction POSTs the widget's parameters to the Function's url and parks
// until the answer (success on 2xx, fail otherwise). The emulator has no
// Functions runtime: the url must point at wherever the Function is served.
func (e *Engine) runFunction(ex *Execution, st *State) outcome {
	fail := func(why string) outcome {
		e.widgetFailed(ex, st, why)
		return outcome{event: "fail"}
	}
	target, err := e.renderURL(ex, st)
	if err != nil {
		return fail(err.Error())
	}
	params, err := e.renderParameters(ex, st)
	if err != nil {
		return fail(err.Error())
	}
	return e.sendAndPark(ex, st, webhook.Request{URL: target, Method: "POST", Params: params}, "success", "fail")
}

// sendAndPark sends req off the account lock and parks ex; the answer comes
// back through env.Answered to httpAnswered.
func (e *Engine) sendAndPark(ex *Execution, st *State, req webhook.Request, success, fail string) outcome {
	if e.env.Webhooks == nil {
		e.widgetFailed(ex, st, "no webhook dispatcher to send the request")
		return outcome{event: fail}
	}
	c := &call{state: st, success: success, fail: fail, url: req.URL}
	ex.calling = c
	sid := ex.SID
	req.Product, req.Event, req.Timeout = product, st.Type, httpTimeout
	req.Refs = e.refs(ex, "widget", st.Name)
	req.OnResponse = func(d webhook.Delivery) {
		e.env.Answered(d, func() { e.httpAnswered(sid, c, d) })
	}
	e.env.Record(product, "execution.waiting", ex.SID,
		fmt.Sprintf("execution %s waits in %s for %s %s", ex.SID, st.Name, req.Method, req.URL),
		e.refs(ex, "widget", st.Name, "url", req.URL, "method", req.Method))
	e.env.Webhooks.Send(req)
	return outcome{park: true}
}

// httpAnswered resumes an execution parked in a make-http-request or
// run-function, under the account lock. An execution that ended, was
// deleted or moved on meanwhile ignores the answer.
func (e *Engine) httpAnswered(sid string, c *call, d webhook.Delivery) {
	ex, ok := e.executions[sid]
	if !ok || ex.calling != c || ex.Status != ExecutionActive {
		return
	}
	ex.calling = nil
	st := c.state
	out := map[string]any{}
	if d.Status != 0 {
		out["status_code"] = d.Status
		out["body"] = d.ResponseBody
		out["content_type"] = d.ResponseContentType
		if parsed := parseJSONObject(d.ResponseContentType, d.ResponseBody); parsed != nil {
			out["parsed"] = parsed
		}
	}
	ex.setWidgetOutputs(st.Name, out)
	event := c.success
	switch {
	case d.ResponseTruncated:
		event = c.fail
		e.widgetFailed(ex, st, fmt.Sprintf("the response body exceeds %d bytes", webhook.MaxResponse))
	case d.Status == 0:
		event = c.fail
		e.widgetFailed(ex, st, "no answer from "+d.Request.URL+": "+d.Error)
	case !d.OK():
		event = c.fail
		e.widgetFailed(ex, st, fmt.Sprintf("%s answered HTTP %d", d.Request.URL, d.Status))
	}
	e.advance(ex, st, event, nil)
}

// renderURL renders the url property and checks it is absolute http(s).
func (e *Engine) renderURL(ex *Execution, st *State) (string, error) {
	raw := prop(st, "url")
	if strings.TrimSpace(raw) == "" {
		return "", fmt.Errorf("%s widget %s has no url", st.Type, st.Name)
	}
	text, err := e.render(ex, raw)
	if err != nil {
		return "", fmt.Errorf("rendering url: %w", err)
	}
	text = strings.TrimSpace(text)
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("url %q is not an absolute http(s) URL after rendering", text)
	}
	return text, nil
}

// renderParameters renders the [{key, value}] parameters in order.
func (e *Engine) renderParameters(ex *Execution, st *State) (url.Values, error) {
	items, _ := st.Properties["parameters"].([]any)
	params := url.Values{}
	for _, item := range items {
		m, _ := item.(map[string]any)
		key, err := e.render(ex, scalarString(m["key"]))
		if err != nil {
			return nil, fmt.Errorf("rendering parameter key: %w", err)
		}
		if key == "" {
			continue
		}
		value, err := e.render(ex, scalarString(m["value"]))
		if err != nil {
			return nil, fmt.Errorf("rendering parameter %s: %w", key, err)
		}
		params.Add(key, value)
	}
	return params, nil
}

// httpMethod normalises a make-http-request method: GET (the default) or
// POST.
func httpMethod(text string) (string, error) {
	switch m := strings.ToUpper(strings.TrimSpace(text)); m {
	case "":
		return "GET", nil
	case "GET", "POST":
		return m, nil
	default:
		return "", fmt.Errorf("method %q is not GET or POST", text)
	}
}

// requestIsJSON reports whether a make-http-request content_type is JSON
// (else form; "" means form). Parameters such as charset are ignored.
func requestIsJSON(contentType string) (bool, error) {
	if strings.TrimSpace(contentType) == "" {
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return false, fmt.Errorf("content_type %q is not a media type", contentType)
	case mt == "application/json":
		return true, nil
	case mt == "application/x-www-form-urlencoded":
		return false, nil
	}
	return false, fmt.Errorf("content_type %q is not %s or %s", contentType, contentTypeForm, contentTypeJSON)
}

// parseJSONObject returns the body parsed when the answer is JSON
// (application/json or a +json type) holding an object, as Studio fills
// widgets.<name>.parsed only for JSON objects.
func parseJSONObject(contentType, body string) map[string]any {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	// A body nested too deep to be rendered again in the execution's context
	// (and so in every Executions and Steps list) is not parsed.
	if twilio.JSONDepth(body, twilio.MaxJSONDepth) > twilio.MaxJSONDepth {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return nil
	}
	return m
}

// validateHTTPWidget checks what can be checked at save time: parameters
// are [{key, value}] with keys, and a literal (Liquid-free) method and
// content_type are ones Studio offers.
func validateHTTPWidget(path string, st *State) []ValidationError {
	var errs []ValidationError
	add := func(p, format string, args ...any) {
		errs = append(errs, ValidationError{Message: fmt.Sprintf(format, args...), PropertyPath: p})
	}
	if v, present := st.Properties["parameters"]; present && v != nil {
		items, ok := v.([]any)
		if !ok {
			add(path+"/parameters", "parameters must be an array of {key, value}")
		}
		for i, item := range items {
			m, ok := item.(map[string]any)
			if key, _ := m["key"].(string); !ok || key == "" {
				add(fmt.Sprintf("%s/parameters/%d/key", path, i), "parameter key is required")
			}
		}
	}
	if st.Type != "make-http-request" {
		return errs
	}
	if m := prop(st, "method"); !strings.Contains(m, "{") {
		if _, err := httpMethod(m); err != nil {
			add(path+"/method", "%v", err)
		}
	}
	if ct := prop(st, "content_type"); !strings.Contains(ct, "{") {
		if _, err := requestIsJSON(ct); err != nil {
			add(path+"/content_type", "%v", err)
		}
	}
	return errs
}
